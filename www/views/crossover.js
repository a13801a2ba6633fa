// @ts-check
/**
 * The crossover's figures, from its measurements: each model's median speedup at each
 * share of computing, and the points where one model overtakes another. Pure (no DOM), so
 * it is tested in Node (`tests/crossover.test.mjs`); the chart draws what it finds
 * (`crossover-chart.js`).
 *
 * The rules are the verdicts': each figure is the median of its rounds (`summarize`), and a
 * crossing is "inconclusive" where the rounds' ranges of the two models overlap beside it,
 * where the order flips more than once, or where the machine was busy (the median round
 * of a model, or of the baseline, ran its kernel well below its calibrated speed).
 */
import { summarize } from './summary.js';
import { median } from '../shared/stats.js';

/** @typedef {import('../shared/types.js').Result} Result */
/** @typedef {Omit<Result, 'trace'> & {share: number}} Point one measurement of the crossover */

/** Two speedups within this share of the larger are a tie, not an order. */
export const TIE = 0.1;
/** A round whose slowest kernel ran below this share of its calibrated speed was busy. */
export const BUSY_SPEED = 0.75;

/** @typedef {{speedup: number, min: number, max: number, busy: boolean}} Cell one model at one share */
/**
 * @typedef {object} Crossing
 * @property {string} ahead the model ahead from here on
 * @property {string} behind the model it overtakes
 * @property {number} share where, percent (interpolated between two measured shares)
 * @property {number} speedup the speedup both have there
 * @property {'clear' | 'inconclusive'} status
 * @property {string} why for an inconclusive one
 */

/**
 * Each model's median speedup (and the range of its rounds) at each share. A cell is busy
 * when its median round ran its kernel below BUSY_SPEED of the calibrated speed, or the
 * baseline it is measured against did.
 * @param {Point[]} points @param {number[]} shares @param {string[]} models
 * @returns {Map<string, (Cell | null)[]>}
 */
export function series(points, shares, models) {
  /** @type {Map<string, (Cell | null)[]>} */
  const out = new Map(models.map((m) => [m, shares.map(() => null)]));
  /** @param {import('./summary.js').Summary} s */
  const busy = (s) => {
    const ratios = s.results.map((r) => r.speedRatio).filter((x) => x != null && Number.isFinite(x)).map(Number);
    return ratios.length > 0 && median(ratios) < BUSY_SPEED;
  };
  shares.forEach((share, i) => {
    const rows = summarize(/** @type {any} */ (points.filter((p) => p.share === share)));
    const baseline = rows.find((s) => s.model === 'sequential');
    const baselineBusy = baseline ? busy(baseline) : false;
    for (const s of rows) {
      const cells = out.get(s.model);
      if (!cells || s.speedup == null || s.speedupMin == null || s.speedupMax == null) continue;
      cells[i] = { speedup: s.speedup, min: s.speedupMin, max: s.speedupMax, busy: baselineBusy || busy(s) };
    }
  });
  return out;
}

/**
 * Where one model overtakes another. For each pair, the order at each share is +1, -1, or
 * a tie (within TIE); a pair whose untied order changes has a crossing, between the last
 * share of the first order and the first of the other, where the difference of their
 * medians is zero.
 * @param {Map<string, (Cell | null)[]>} cells @param {number[]} shares
 * @returns {Crossing[]}
 */
export function crossings(cells, shares) {
  /** @type {Crossing[]} */
  const out = [];
  const models = [...cells.keys()];
  for (const [ai, a] of models.entries()) {
    for (const b of models.slice(ai + 1)) {
      const A = /** @type {(Cell | null)[]} */ (cells.get(a));
      const B = /** @type {(Cell | null)[]} */ (cells.get(b));
      /** @type {{i: number, d: number, order: number}[]} */
      const seen = [];
      shares.forEach((_, i) => {
        const x = A[i];
        const y = B[i];
        if (!x || !y) return;
        const d = (x.speedup - y.speedup) / Math.max(x.speedup, y.speedup);
        seen.push({ i, d, order: d > TIE ? 1 : d < -TIE ? -1 : 0 });
      });
      const ordered = seen.filter((s) => s.order !== 0);
      if (!ordered.length) continue;
      const first = ordered[0].order;
      const flip = ordered.findIndex((s) => s.order === -first);
      if (flip < 0) continue;
      const flips = ordered.slice(1).filter((s, k) => s.order !== ordered[k].order).length;
      // Between the last share in the first order and the first in the other: the first
      // change of sign of the raw difference, interpolated.
      const from = seen.indexOf(ordered[flip - 1]);
      const to = seen.indexOf(ordered[flip]);
      let k = from;
      while (k < to - 1 && Math.sign(seen[k + 1].d) === Math.sign(seen[from].d)) k++;
      const [p, q] = [seen[k], seen[k + 1]];
      const t = p.d === q.d ? 0.5 : p.d / (p.d - q.d);
      const share = shares[p.i] + t * (shares[q.i] - shares[p.i]);
      const at = (/** @type {(Cell | null)[]} */ s) => /** @type {Cell} */ (s[p.i]).speedup + t * (/** @type {Cell} */ (s[q.i]).speedup - /** @type {Cell} */ (s[p.i]).speedup);
      const beside = [seen[from], seen[to]].map((s) => [A[s.i], B[s.i]]);
      const overlapping = beside.some(([x, y]) => x && y && x.min <= y.max && y.min <= x.max);
      const busy = seen.slice(from, to + 1).some((s) => A[s.i]?.busy || B[s.i]?.busy);
      const why = busy ? 'the machine was busy there' : flips > 1 ? 'the order changes more than once' : overlapping ? "the rounds' ranges overlap there" : '';
      const [ahead, behind] = first > 0 ? [b, a] : [a, b];
      out.push({ ahead, behind, share, speedup: (at(A) + at(B)) / 2, status: why ? 'inconclusive' : 'clear', why });
    }
  }
  return out.sort((x, y) => x.share - y.share);
}
