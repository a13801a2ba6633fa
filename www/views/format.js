// Number formatting shared by every view, so a figure reads the same in the timeline, the
// results table, the matrix and the exports. English number style whatever the browser's
// locale: the page's words are English, and "1.234 ms" must never mean 1234.

const grouped = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** The placeholder for a value that was not measured. */
export const NONE = '—';

/** Human names of the workloads. */
export const WORKLOAD_NAMES = /** @type {Record<string, string>} */ ({
  io: 'I/O-bound',
  cpu: 'CPU-bound',
  mixed: 'Mixed',
});

/** Human names of the variants; anything else is shown as written. */
export const VARIANT_NAMES = /** @type {Record<string, string>} */ ({
  cold: 'cold start',
  warm: 'warm pool',
  'gil-off': 'GIL off',
  'gil-on': 'GIL on',
  blocking: 'time.sleep in a coroutine',
  'to-thread': 'asyncio.to_thread',
});

/**
 * A duration: "4.2 ms", "203 ms", "1,234 ms", then seconds from 10 s up ("12.3 s").
 * @param {number|null|undefined} ms
 * @returns {string}
 */
export function formatMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return NONE;
  const a = Math.abs(ms);
  if (a < 10) return `${ms.toFixed(1)} ms`;
  if (a < 10_000) return `${grouped.format(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A time on an axis or in a tooltip, always in ms: "0", "12.5", "1,250".
 * @param {number} ms
 * @param {number} [step] the axis step, to choose the decimals
 * @returns {string}
 */
export function formatTick(ms, step = 1) {
  const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step) - 1e-9));
  return fixed(decimals).format(ms);
}

/** @type {Intl.NumberFormat[]} formatters by number of decimals, made on first use */
const fixedFormats = [grouped];

/** @param {number} decimals */
function fixed(decimals) {
  return (fixedFormats[decimals] ??= new Intl.NumberFormat('en', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }));
}

/**
 * A count with thousands separators: "10,000".
 * @param {number} n
 * @returns {string}
 */
export function formatCount(n) {
  return grouped.format(n);
}

/**
 * A speedup as a bare number: "7.9", "0.98", "12", "4,870".
 * @param {number} s
 * @returns {string}
 */
export function speedupNumber(s) {
  const a = Math.abs(s);
  if (a < 1) return s.toFixed(2);
  if (a < 10) return s.toFixed(1);
  return grouped.format(s);
}

/**
 * A speedup for display: "7.9×", or the placeholder when there is no baseline.
 * @param {number|null|undefined} s
 * @returns {string}
 */
export function formatSpeedup(s) {
  if (s == null || !Number.isFinite(s)) return NONE;
  return `${speedupNumber(s)}×`;
}
