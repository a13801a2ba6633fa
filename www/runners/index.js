// @ts-check
/**
 * How the page drives the models: one file per model beside this one, and here the one
 * timing wrapper around every run (the event-loop lag meter, the lag lane, the result row)
 * and the plans that run several models in turn (a run, compare-all, a sweep).
 */
import { LagMeter, LAG_LANE } from './lag.js';
import { withChanges } from '../params.js';

/** @typedef {import('../params.js').Params} Params */
/** @typedef {import('../engine.js').Capabilities} Capabilities */
/**
 * @typedef {{lane: number, task: number|null, state: string, start_ms: number, end_ms: number}} Span
 * @typedef {{origin_ms: number, wall_ms: number, lanes: string[], spans: Span[]}} Trace
 * @typedef {object} RunContext
 * @property {string} query       the scenario, as the Rust parser reads it
 * @property {Params} params      the same scenario, parsed
 * @property {number} itersPerMs  the kernel's calibrated speed
 * @property {Capabilities} caps
 * @property {AbortSignal} signal Stop
 * @property {(trace: Trace) => void} onTrace a partial trace, while the run goes on
 * @typedef {object} Outcome
 * @property {string} variant  '' or e.g. 'cold', 'warm'
 * @property {string} label    how the row names it
 * @property {Trace} trace
 * @property {number} wallMs   the model's wall time (without set-up that is not the model's own)
 * @property {number|null} workers threads or processes
 * @property {string} note
 * @property {object} [lab]    a lab's own figures
 * @typedef {object} Result
 * @property {string} model
 * @property {string} workload
 * @property {string} variant
 * @property {string} label
 * @property {number} wallMs
 * @property {number|null} speedup against sequential on the same workload
 * @property {number|null} workers
 * @property {boolean|null} gil
 * @property {number|null} lagMaxMs
 * @property {number|null} lagP99Ms
 * @property {string} note
 * @property {Trace} trace
 * @property {object} [lab]
 */

/**
 * Each model's runner, loaded on its first run: the page starts without any of them, and
 * a visit that only runs asyncio never fetches the process or thread machinery.
 * @type {Record<'sequential' | 'asyncio' | 'threading' | 'multiprocessing', () => Promise<{run: (ctx: RunContext) => Promise<Outcome[]>, panicForTest: (ctx: RunContext, message: string) => Promise<Outcome[]>}>>}
 */
export const RUNNERS = {
  sequential: () => import('./sequential.js'),
  asyncio: () => import('./asyncio.js'),
  threading: () => import('./threading.js'),
  multiprocessing: () => import('./multiprocessing.js'),
};
export { LAG_LANE };

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {AbortSignal} signal
 * @returns {Promise<T>}
 */
export function abortable(promise, signal) {
  if (signal.aborted) return Promise.reject(new DOMException('Stopped', 'AbortError'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new DOMException('Stopped', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Panics armed for the next run of a model, by `panicForTest`. */
const panics = /** @type {Map<string, string>} */ (new Map());

/**
 * Test hook: make the next run of `model` panic with `message` inside the model's own
 * Rust code, as a bug would: on the page's instance (sequential, asyncio), in a thread of
 * the rayon pool (threading) or in a process (multiprocessing). That run then fails the
 * way any run with a bug does.
 * @param {string} model @param {string} message
 */
export function panicForTest(model, message) {
  if (!Object.hasOwn(RUNNERS, model)) throw new Error(`panicForTest: '${model}' is not a model (valid: ${Object.keys(RUNNERS).join(', ')})`);
  panics.set(model, String(message));
}

/**
 * Run one model on one workload: the one place where a run is timed. The page's
 * event-loop lag is measured all along and drawn as its own lane.
 * @param {keyof typeof RUNNERS} model
 * @param {RunContext} ctx
 * @returns {Promise<Result[]>}
 */
export async function runModel(model, ctx) {
  const runner = await RUNNERS[model]();
  // Let the page draw what the last step left (a row, a timeline) before the meter starts,
  // so that drawing is not counted as this run's lag; and so "running…" shows first.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const meter = new LagMeter().start();
  /** @type {ReturnType<LagMeter['stop']>} */
  let lag = { maxMs: 0, p99Ms: 0, late: [] };
  const panic = panics.get(model);
  panics.delete(model);
  const running = panic === undefined ? runner.run(ctx) : runner.panicForTest(ctx, panic);
  const outcomes = await abortable(running, ctx.signal).finally(() => {
    lag = meter.stop();
  });
  return outcomes.map((o) => {
    const trace = o.trace;
    const lane = trace.lanes.length;
    trace.lanes.push(LAG_LANE);
    for (const [from, to] of lag.late) {
      const start = from - trace.origin_ms;
      const end = Math.min(to - trace.origin_ms, trace.wall_ms);
      if (end > 0 && start < trace.wall_ms) {
        trace.spans.push({ lane, task: null, state: 'blocked', start_ms: Math.max(0, start), end_ms: end });
      }
    }
    return {
      model,
      workload: ctx.params.workload,
      variant: o.variant,
      label: o.label,
      wallMs: o.wallMs,
      speedup: null,
      workers: o.workers,
      gil: model === 'threading' ? ctx.params.gil : null,
      lagMaxMs: lag.maxMs,
      lagP99Ms: lag.p99Ms,
      note: o.note,
      trace,
      ...(o.lab ? { lab: o.lab } : {}),
    };
  });
}

/**
 * The steps of a plan: which model on which workload, in order. Sequential goes first on
 * each workload, so every later row can show its speedup as soon as it lands.
 * @param {Params} params
 * @param {{compare?: boolean}} opts
 */
export function planSteps(params, { compare = params.compare } = {}) {
  // A lab is one experiment on the one model it is about; compare-all is timing runs only.
  if (!compare && params.lab === 'race') return [{ model: 'threading', workload: params.workload, lab: 'race' }];
  if (!compare && params.lab === 'isolation') return [{ model: 'multiprocessing', workload: params.workload, lab: 'isolation' }];
  const workloads = compare ? ['io', 'cpu', ...(params.workload === 'mixed' ? ['mixed'] : [])] : [params.workload];
  const models = compare ? Object.keys(RUNNERS) : params.models;
  return workloads.flatMap((workload) => models.map((model) => ({ model, workload, lab: 'none' })));
}

/**
 * Run a plan step by step.
 * @param {{model: string, workload: string, lab: string}[]} steps
 * @param {Omit<RunContext, 'query' | 'params'> & {query: string, parse: (q: string) => Params}} base
 * @param {{onStart: (i: number, step: {model: string, workload: string}) => void, onResult: (r: Result) => void, skip: (model: string) => string}} hooks
 *   `skip` returns a reason to leave a model out (a missing capability), or ''
 * @returns {Promise<Result[]>}
 */
export async function runPlan(steps, base, hooks) {
  /** @type {Result[]} */
  const results = [];
  /** @type {Map<string, number>} */
  const baseline = new Map();
  for (const [i, step] of steps.entries()) {
    if (base.signal.aborted) throw new DOMException('Stopped', 'AbortError');
    if (hooks.skip(step.model)) continue;
    hooks.onStart(i, step);
    const query = withChanges(base.query, { workload: step.workload, lab: step.lab });
    const ctx = { ...base, query, params: base.parse(query) };
    for (const r of await runModel(/** @type {any} */ (step.model), ctx)) {
      if (r.model === 'sequential') baseline.set(r.workload, r.wallMs);
      const seq = baseline.get(r.workload);
      r.speedup = seq && r.wallMs > 0 ? seq / r.wallMs : null;
      results.push(r);
      hooks.onResult(r);
    }
  }
  return results;
}
