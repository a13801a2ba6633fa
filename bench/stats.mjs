// Small helpers for the benchmark: summaries of repeated figures, their formatting, and
// how much of the machine other processes took meanwhile.
import { readFileSync, readdirSync } from 'node:fs';
import { median as medianOf, percentile } from '../www/shared/stats.js';

export { percentile };

/**
 * @typedef {{median: number, min: number, max: number, n: number, values: number[]}} Stats
 */

/**
 * Median, min and max of the finite values of `xs` (null when there are none).
 * @param {Array<number | null | undefined>} xs
 * @returns {Stats | null}
 */
export function stats(xs) {
  const values = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (!values.length) return null;
  return { median: medianOf(values), min: Math.min(...values), max: Math.max(...values), n: values.length, values: values.map(round3) };
}

/** @param {number} x */
export const round3 = (x) => Math.round(x * 1000) / 1000;

/**
 * The median of the finite values of `xs`; NaN for none.
 * @param {Array<number | null | undefined>} xs
 */
export function median(xs) {
  return stats(xs)?.median ?? NaN;
}

/**
 * A number with a sensible number of decimals.
 * @param {number} x
 * @param {number} [digits] decimals; by default 0 at 100 and above, 1 at 10, 2 below
 */
export function num(x, digits) {
  if (!Number.isFinite(x)) return 'n/a';
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toFixed(d);
}

/**
 * "median [min–max]unit" for a summary, or "n/a".
 * @param {Stats | null | undefined} s
 * @param {{unit?: string, digits?: number}} [opts]
 */
export function range(s, { unit = '', digits } = {}) {
  if (!s) return 'n/a';
  if (s.n === 1 || s.min === s.max) return `${num(s.median, digits)}${unit}`;
  return `${num(s.median, digits)}${unit} [${num(s.min, digits)}–${num(s.max, digits)}]`;
}

/**
 * A Markdown table.
 * @param {string[]} head
 * @param {string[][]} body
 */
export function table(head, body) {
  const esc = (/** @type {string} */ c) => String(c).replaceAll('|', '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/**
 * CPU time so far, in clock ticks: the whole machine's busy time and total time
 * (/proc/stat), and that of this process with all its descendants (Chromium, the server,
 * python3), live or already reaped (/proc/<pid>/stat utime + stime + cutime + cstime).
 * @returns {{busy: number, total: number, ours: number} | null} null without /proc
 */
export function cpuSnapshot() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const busy = total - f[3] - (f[4] ?? 0);
    /** @type {Map<number, number[]>} */
    const children = new Map();
    /** @type {Map<number, number>} */
    const ticks = new Map();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // Fields after "(comm) ": state ppid ... utime(11) stime(12) cutime(13) cstime(14).
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      ticks.set(Number(d), Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]));
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)?.push(Number(d));
    }
    let ours = 0;
    const stack = [process.pid];
    while (stack.length) {
      const pid = /** @type {number} */ (stack.pop());
      ours += ticks.get(pid) ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return { busy, total, ours };
  } catch {
    return null;
  }
}

/**
 * The share of the machine's CPU time that other processes (not this benchmark's) used
 * between two snapshots, 0 to 1; null when unknown.
 * @param {ReturnType<typeof cpuSnapshot>} a @param {ReturnType<typeof cpuSnapshot>} b
 */
export function othersShare(a, b) {
  if (!a || !b || b.total <= a.total) return null;
  return Math.max(0, b.busy - a.busy - (b.ours - a.ours)) / (b.total - a.total);
}

/**
 * How busy other processes keep the machine, 0 to 1, over `ms` of this one waiting.
 * @param {number} ms
 */
export async function busyFraction(ms = 1000) {
  const a = cpuSnapshot();
  await new Promise((r) => setTimeout(r, ms));
  return othersShare(a, cpuSnapshot());
}
