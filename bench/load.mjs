// How busy the machine is with work other than ours: cores used by every process whose name
// is not one of the browsers, their helpers, or node, over a window. On a 2-core machine
// that others share, a timing taken while something else holds a core is not a timing of
// the browser.
import { readdirSync, readFileSync } from 'node:fs';

const HZ = 100; // USER_HZ on Linux

/** Parent pid of every process now. */
function parents() {
  /** @type {Map<string, string>} */
  const ppid = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      ppid.set(pid, s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {}
  }
  return ppid;
}

/**
 * Ours: this process and everything it started (browsers, drivers, Xvfb, servers), however
 * deep. Other sessions on a shared machine run browsers too: a name says nothing.
 */
function ours() {
  const ppid = parents();
  const mine = new Set([String(process.pid)]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of ppid) {
      if (!mine.has(pid) && mine.has(parent)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  return mine;
}

/** Jiffies used so far by processes that are not ours. */
function othersJiffies() {
  let sum = 0;
  const mine = ours();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || mine.has(pid)) continue;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      sum += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return sum;
}

/** Start measuring; `stop()` returns the cores others used meanwhile (0.0 to the core count). */
export function otherLoad() {
  const j0 = othersJiffies();
  const t0 = performance.now();
  return () => Math.round(((othersJiffies() - j0) / HZ / ((performance.now() - t0) / 1000)) * 100) / 100;
}

/**
 * Follow every thread of every process this one started (browsers, drivers, Xvfb) until `stop()`: for each, the time
 * it spent on a CPU and the time it spent ready but waiting for one (the kernel's
 * schedstat), from when it was first seen to when it was last seen, so a worker that has
 * exited still counts. Waiting time is contention: a thread that waited as long as it ran
 * went at half speed, whatever the code.
 * @returns {() => Array<{pid: string, tid: string, name: string, cpuMs: number, waitMs: number}>}
 */
/** @param {string} pid */
const procName = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
};

export function threadTimes(everyMs = 20) {
  /** @type {Map<string, {pid: string, tid: string, name: string, first: number[], last: number[]}>} */
  const seen = new Map();
  let pids = [];
  let scans = 0;
  const scan = () => {
    if (scans++ % 10 === 0) {
      pids = [...ours()].filter((p) => p !== String(process.pid));
    }
    for (const pid of pids) {
      let tids = [];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        try {
          const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
          const key = `${pid}/${tid}`;
          const t = seen.get(key);
          if (t) t.last = [cpu, wait];
          else {
            const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
            // A thread born after we started counts from zero.
            seen.set(key, { pid, tid, name, first: scans === 1 ? [cpu, wait] : [0, 0], last: [cpu, wait] });
          }
        } catch {}
      }
    }
  };
  scan();
  const timer = setInterval(scan, everyMs);
  return () => {
    clearInterval(timer);
    scan();
    return [...seen.values()]
      .map(({ pid, tid, name, first, last }) => ({
        process: procName(pid),
        pid,
        tid,
        name,
        cpuMs: Math.round((last[0] - first[0]) / 1e6),
        waitMs: Math.round((last[1] - first[1]) / 1e6),
      }))
      .filter((t) => t.cpuMs + t.waitMs >= 5)
      .sort((a, b) => b.cpuMs - a.cpuMs);
  };
}

/**
 * Wait until the machine is quiet: others use under `below` cores for two windows of a
 * second in a row, or `maxMs` passed. Returns the cores others used in the last window.
 */
export async function quiet({ below = 0.15, maxMs = 120_000 } = {}) {
  const deadline = Date.now() + maxMs;
  let calm = 0;
  let last = 0;
  while (Date.now() < deadline) {
    const stop = otherLoad();
    await new Promise((r) => setTimeout(r, 1000));
    last = stop();
    calm = last < below ? calm + 1 : 0;
    if (calm >= 2) break;
  }
  return last;
}
