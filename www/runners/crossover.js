// @ts-check
/**
 * The crossover: every model on tasks of one length, at each share of computing from all
 * waiting (0%) to all computing (100%), in the order the Rust plan lists
 * (`Params::plan(Crossover)`: round after round, the models taking turns at each share).
 * Each speedup is over the sequential run of its own round and share. Measures; the medians,
 * the noise rule and the chart are the views' (`views/crossover-chart.js`).
 */
import { parse } from '../params.js';
import { Unavailable } from '../capabilities.js';
import { stopped } from '../shared/protocol.js';
import { runModel } from './index.js';

/** @typedef {import('../shared/types.js').Result} Result */
/** @typedef {import('../shared/types.js').Step} Step */
/** @typedef {import('../shared/types.js').Point} Point */

/**
 * @typedef {object} CrossoverOptions
 * @property {{steps: Step[], threads: number, processes: number}} plan
 * @property {number} itersPerMs
 * @property {import('../capabilities.js').Capabilities} caps
 * @property {AbortSignal} signal
 * @property {(i: number, step: Step) => void} onStart
 * @property {(point: Point) => void} onPoint
 * @property {(model: string, reason: string, lasting: boolean) => void} onUnavailable
 */

/**
 * Run the plan's steps; a model this browser cannot run is left out of the rest.
 * @param {CrossoverOptions} o
 * @returns {Promise<Point[]>}
 */
export async function runCrossover(o) {
  /** @type {Map<string, number>} the sequential wall time, by round and share */
  const baseline = new Map();
  /** @type {Set<string>} */
  const left = new Set(o.caps.threads ? [] : ['threading']);
  /** @type {Point[]} */
  const points = [];
  for (const [i, step] of o.plan.steps.entries()) {
    if (o.signal.aborted) throw stopped();
    if (left.has(step.model)) continue;
    o.onStart(i, step);
    const ctx = {
      query: step.query,
      params: parse(step.query).params,
      itersPerMs: o.itersPerMs,
      caps: o.caps,
      signal: o.signal,
      onTrace: () => {},
      threads: o.plan.threads,
      processes: o.plan.processes,
    };
    /** @type {Result[]} */
    let rows;
    try {
      rows = await runModel(step.model, ctx, step.round);
    } catch (e) {
      if (!(e instanceof Unavailable)) throw e;
      left.add(step.model);
      o.onUnavailable(step.model, e.message, e.lasting);
      continue;
    }
    // The warm pool's row stands for multiprocessing, as in the scaling sweep: the pool is
    // started once, not once per share.
    const { trace, ...row } = rows.find((r) => r.variant === 'warm') ?? rows[0];
    const key = `${step.round}:${step.share}`;
    if (step.model === 'sequential') baseline.set(key, row.wallMs);
    const seq = baseline.get(key);
    const point = { ...row, variant: '', share: step.share ?? 0, speedup: seq && row.wallMs > 0 ? seq / row.wallMs : null };
    points.push(point);
    o.onPoint(point);
  }
  return points;
}
