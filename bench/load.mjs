// How busy the machine is with work other than ours: cores used by every process whose name
// is not one of the browsers, their helpers, or node, over a window. On a 2-core machine
// that others share, a timing taken while something else holds a core is not a timing of
// the browser.
import { readdirSync, readFileSync } from 'node:fs';

const OURS = /^(chromium|chrome|headless_shell|firefox-esr|firefox|Web Content|WebExtensions|Isolated Web Co|Socket Process|RDD Process|Utility Process|Privileged Cont|geckodriver|WebKitWebDriver|MiniBrowser|WebKitWebProces|WebKitNetworkPr|WebKitGPUProces|Xvfb|node|MainThread)$/;
const HZ = 100; // USER_HZ on Linux

/** Jiffies used so far by processes that are not ours. */
function othersJiffies() {
  let sum = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      if (OURS.test(comm)) continue;
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

/** CPU jiffies used so far by every thread on the machine, by thread name (`comm`). */
function threadJiffies() {
  /** @type {Map<string, number>} */
  const by = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        by.set(`${pid}/${tid}/${comm}`, Number(f[11]) + Number(f[12]));
      } catch {}
    }
  }
  return by;
}

/**
 * Start measuring; `stop()` returns the cores each thread name used meanwhile (threads of
 * one name summed, names using under 2% of a core left out), busiest first.
 */
export function threadLoad() {
  const a = threadJiffies();
  const t0 = performance.now();
  return () => {
    const b = threadJiffies();
    const secs = (performance.now() - t0) / 1000;
    /** @type {Record<string, number>} */
    const by = {};
    for (const [key, j] of b) {
      const d = j - (a.get(key) ?? 0);
      if (d <= 0) continue;
      const name = key.split('/').slice(2).join('/');
      by[name] = (by[name] ?? 0) + d / HZ / secs;
    }
    return Object.fromEntries(
      Object.entries(by)
        .filter(([, c]) => c >= 0.02)
        .sort((x, y) => y[1] - x[1])
        .map(([k, c]) => [k, Math.round(c * 100) / 100]),
    );
  };
}

/** Browser processes whose threads `threadTimes` follows (and the display WebKit draws to). */
const BROWSER = /^(WebKitWebProces|MiniBrowser|Xvfb|Web Content|Isolated Web Co|firefox-esr|chromium|chrome|headless_shell)$/;

/**
 * Follow every thread of the browsers' content processes until `stop()`: for each, the time
 * it spent on a CPU and the time it spent ready but waiting for one (the kernel's
 * schedstat), from when it was first seen to when it was last seen, so a worker that has
 * exited still counts. Waiting time is contention: a thread that waited as long as it ran
 * went at half speed, whatever the code.
 * @returns {() => Array<{pid: string, tid: string, name: string, cpuMs: number, waitMs: number}>}
 */
export function threadTimes(everyMs = 20) {
  /** @type {Map<string, {pid: string, tid: string, name: string, first: number[], last: number[]}>} */
  const seen = new Map();
  let pids = [];
  let scans = 0;
  const scan = () => {
    if (scans++ % 10 === 0) {
      pids = readdirSync('/proc').filter((p) => {
        if (!/^\d+$/.test(p)) return false;
        try {
          return BROWSER.test(readFileSync(`/proc/${p}/comm`, 'utf8').trim());
        } catch {
          return false;
        }
      });
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
