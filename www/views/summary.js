// @ts-check
/**
 * The rounds of a measurement, summed up: one row per model, workload and variant, whose
 * speedup is the median of its rounds' speedups (each over the sequential run of its own
 * round), with their range. Pure, so the results table and the matrix read the same figures.
 */
import { median, range } from '../shared/stats.js';

/** @typedef {import('../shared/types.js').Result} Result */

/**
 * @typedef {object} Summary
 * @property {string} model
 * @property {string} workload
 * @property {string} variant
 * @property {string} label
 * @property {number} rounds     rounds measured
 * @property {number} wallMs     the median wall time
 * @property {number|null} speedup the median of the rounds' speedups
 * @property {number|null} speedupMin
 * @property {number|null} speedupMax
 * @property {number|null} workers
 * @property {boolean|null} gil
 * @property {number|null} lagMaxMs the worst lag of any round
 * @property {number|null} lagP99Ms the median p99
 * @property {number|null} speedRatio the slowest kernel speed of any round, over the calibration's
 * @property {string} note       the latest round's
 * @property {Result} latest     the latest round, for its trace
 * @property {Result[]} results  every round
 */

/**
 * @param {Result[]} results in the order they were measured
 * @returns {Summary[]} in the order each row was first measured
 */
export function summarize(results) {
  /** @type {Map<string, Result[]>} */
  const groups = new Map();
  for (const r of results) {
    const key = `${r.model}\u0000${r.workload}\u0000${r.variant ?? ''}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((rs) => {
    const latest = rs[rs.length - 1];
    const speedups = rs.map((r) => r.speedup).filter((s) => s != null && Number.isFinite(s)).map(Number);
    const [lo, hi] = speedups.length ? range(speedups) : [null, null];
    const lags = rs.map((r) => r.lagMaxMs).filter((x) => x != null).map(Number);
    const p99s = rs.map((r) => r.lagP99Ms).filter((x) => x != null).map(Number);
    const ratios = rs.map((r) => r.speedRatio).filter((x) => x != null).map(Number);
    return {
      model: latest.model,
      workload: latest.workload,
      variant: latest.variant ?? '',
      label: latest.label,
      rounds: rs.length,
      wallMs: median(rs.map((r) => r.wallMs)),
      speedup: speedups.length ? median(speedups) : null,
      speedupMin: lo,
      speedupMax: hi,
      workers: latest.workers,
      gil: latest.gil,
      lagMaxMs: lags.length ? Math.max(...lags) : null,
      lagP99Ms: p99s.length ? median(p99s) : null,
      speedRatio: ratios.length ? Math.min(...ratios) : null,
      note: latest.note,
      latest,
      results: rs,
    };
  });
}
