// @ts-check
/**
 * The scaling sweep: threading (GIL on and off) and multiprocessing with 1, 2, 4, … workers
 * against the sequential baseline, on the workload the learner picks. Measures; the chart
 * is a view's (`views/sweep-chart.js`).
 */
import { core } from '../engine.js';
import { parse } from '../params.js';
import { runModel } from './index.js';

/**
 * Worker counts to try: powers of two up to the tasks (more workers than tasks idle).
 * @param {number} tasks
 * @param {number} cores
 */
export function workerCounts(tasks, cores) {
  const top = Math.min(tasks, Math.max(8, cores * 2), 16);
  const counts = [];
  for (let n = 1; n <= top; n *= 2) counts.push(n);
  return counts;
}

/**
 * The series a sweep draws: threads with the GIL on and off (where threads run), and a warm
 * pool of processes.
 * @param {boolean} threads
 */
export function sweepSeries(threads) {
  return [
    ...(threads
      ? [
          { key: 'threads, GIL on', model: 'threading', param: 'threads', extra: [['gil', 'on']] },
          { key: 'threads, GIL off', model: 'threading', param: 'threads', extra: [['gil', 'off']] },
        ]
      : []),
    { key: 'processes (warm pool)', model: 'multiprocessing', param: 'processes', extra: [['pool', 'on']] },
  ];
}

/**
 * @typedef {object} SweepOptions
 * @property {string} query
 * @property {string} workload which workload to sweep: 'io' or 'cpu'
 * @property {import('../capabilities.js').Capabilities} caps
 * @property {number} itersPerMs
 * @property {AbortSignal} signal
 * @property {(done: number, total: number, text: string) => void} onProgress
 * @property {(series: string, countIndex: number, speedup: number) => void} onPoint
 */

/** @param {SweepOptions} o */
export async function runSweep(o) {
  const tasks = parse(o.query).params.tasks;
  const counts = workerCounts(tasks, o.caps.cores);
  const series = sweepSeries(o.caps.threads);
  const total = 1 + counts.length * series.length;
  let done = 0;
  /** @param {string} model @param {[string, string][]} changes */
  const measure = async (model, changes) => {
    const query = core().withParams(o.query, [['lab', 'none'], ['workload', o.workload], ...changes]);
    const params = parse(query).params;
    const ctx = {
      query,
      params,
      itersPerMs: o.itersPerMs,
      caps: o.caps,
      signal: o.signal,
      onTrace: () => {},
      threads: params.threads ?? tasks,
      processes: params.processes ?? o.caps.cores,
      round: 1, // warm pools only: a sweep measures scaling, not start-up
    };
    const results = await runModel(model, ctx);
    return (results.find((r) => r.variant === 'warm') ?? results[0]).wallMs;
  };
  o.onProgress(done, total, 'Sweep: the sequential baseline…');
  const base = await measure('sequential', []);
  done++;
  for (const [ci, n] of counts.entries()) {
    for (const s of series) {
      o.onProgress(done, total, `Sweep: ${s.key}, ${n} worker${n === 1 ? '' : 's'} (${done + 1}/${total})…`);
      const wall = await measure(s.model, [...(/** @type {[string, string][]} */ (s.extra)), [s.param, String(n)]]);
      done++;
      o.onPoint(s.key, ci, base / wall);
    }
  }
  return { counts, baseMs: base };
}
