// @ts-check
/**
 * How the page drives the models: one file per model beside this one, each a `run(ctx)`
 * that hands back outcomes, and here the one timing wrapper around every run (the lag
 * meter on the page's loop, the lag lane, the kernel speed, the result row) and the plan
 * runner, which runs the steps the Rust plan lists (round after round, the models taking
 * turns) and sets each row against the sequential run of its own round.
 */
import { core } from '../engine.js';
import { parse } from '../params.js';
import { Unavailable } from '../capabilities.js';
import { stopped } from '../shared/protocol.js';
import { nowMs } from '../shared/clock.js';
import { stopAll as stopAllWorkers } from './registry.js';

/** @typedef {import('../shared/types.js').Trace} Trace */
/** @typedef {import('../shared/types.js').Outcome} Outcome */
/** @typedef {import('../shared/types.js').Result} Result */
/** @typedef {import('../shared/types.js').Step} Step */
/** @typedef {import('../shared/types.js').Params} Params */
/** @typedef {import('../capabilities.js').Capabilities} Capabilities */

/**
 * @typedef {object} RunContext
 * @property {string} query       the step's scenario, as the Rust parser reads it
 * @property {Params} params      the same scenario, parsed
 * @property {number} itersPerMs  the kernel's calibrated speed
 * @property {Capabilities} caps
 * @property {number} threads     threads the scenario runs
 * @property {number} processes   processes the scenario runs
 * @property {number} round       the round of the plan, from 0
 * @property {AbortSignal} signal Stop
 * @property {(trace: Trace) => void} onTrace a partial trace, while the run goes on
 */

/**
 * Each model's runner, loaded on its first run: the page starts without any of them, and
 * a visit that only runs asyncio never fetches the process or thread machinery.
 * @type {Record<string, () => Promise<{run: (ctx: RunContext) => Promise<Outcome[]>, stop?: () => void}>>}
 */
const RUNNERS = {
  sequential: () => import('./sequential.js'),
  asyncio: () => import('./asyncio.js'),
  threading: () => import('./threading.js'),
  multiprocessing: () => import('./multiprocessing.js'),
  'asyncio-processes': () => import('./asyncio-processes.js'),
  'asyncio-threads': () => import('./asyncio-threads.js'),
};

/** The runners loaded so far, by model. @type {Map<string, {stop?: () => void}>} */
const loaded = new Map();

/**
 * `promise`, or a rejection as soon as `signal` aborts.
 * @template T @param {Promise<T>} promise @param {AbortSignal} signal @returns {Promise<T>}
 */
export function abortable(promise, signal) {
  // Once Stop wins, the run's own promise still settles, later: its failure is no one's.
  promise.catch(() => {});
  if (signal.aborted) return Promise.reject(stopped());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A frame and a macrotask: what the page had to draw is drawn. */
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

/**
 * Run one model on one workload: the one place where a run is timed. The page's event-loop
 * lag is measured all along and drawn as its own lane.
 * @param {string} model
 * @param {RunContext} ctx
 * @param {number} round
 * @returns {Promise<Result[]>}
 */
export async function runModel(model, ctx, round = 0) {
  const load = RUNNERS[model];
  if (!load) throw new Error(`model: '${model}' is not a model (valid: ${Object.keys(RUNNERS).join(', ')})`);
  const runner = await load();
  loaded.set(model, runner);
  // Let the page draw what the last step left (a row, a timeline) before the meter starts,
  // so that drawing is not counted as this run's lag; and so "running…" shows first.
  await nextFrame();
  const wasm = core();
  const meter = new wasm.LagMeter();
  /** @type {Outcome[]} */
  let outcomes;
  /** @type {{maxMs: number, p99Ms: number, late: [number, number][]}} */
  let lag;
  try {
    outcomes = await abortable(runner.run(ctx), ctx.signal);
  } finally {
    lag = meter.stop();
    meter.free();
  }
  return outcomes.map((o) => {
    const { trace, speedRatio } = wasm.finishTrace(o.trace, lag.late, ctx.itersPerMs);
    return {
      model,
      workload: ctx.params.workload,
      variant: o.variant,
      label: o.label,
      round,
      wallMs: o.trace.wall_ms - (o.startupMs ?? 0),
      startupMs: o.startupMs ?? 0,
      speedup: null,
      workers: o.workers,
      gil: o.gil ?? (model === 'threading' ? ctx.params.gil : null),
      lagMaxMs: lag.maxMs,
      lagP99Ms: lag.p99Ms,
      speedRatio: speedRatio ?? null,
      note: o.note,
      trace,
      ...(o.lab ? { lab: o.lab } : {}),
    };
  });
}

/** How long one noise probe computes, ms, how many are taken (the fastest counts), and the pause between two. */
const PROBE_MS = 10;
const PROBES = 4;
const PROBE_GAP_MS = 40;

/**
 * How much of a core the page's thread gets now: the kernel's speed over a few short
 * probes (the fastest counts, each in a macrotask of its own, 40 ms apart) as a share of its
 * calibrated speed. About 1 on a quiet machine; well below when other work holds the cores.
 * It waits two frames first: the rows just drawn are painted on other threads. Probed at
 * once and back to back, it read 0.22-0.71 of the calibrated speed on a quiet machine in
 * about half the runs, after a Pool(8) or while the page made its spare workers. Stop ends
 * it at once.
 * @param {number} itersPerMs @param {AbortSignal} signal
 */
export async function probeSpeed(itersPerMs, signal) {
  await abortable(nextFrame(), signal);
  await abortable(nextFrame(), signal);
  let best = 0;
  for (let i = 0; i < PROBES; i++) {
    await abortable(new Promise((r) => setTimeout(r, i === 0 ? 0 : PROBE_GAP_MS)), signal);
    best = Math.max(best, PROBE_MS / core().kernelWork(PROBE_MS, itersPerMs));
  }
  return best;
}

/**
 * @typedef {object} PlanHooks
 * @property {(round: number, share: number) => void} onProbe how busy the machine was
 *   before a round (and, as round `rounds`, after the last)
 * @property {(i: number, step: Step) => void} onStart
 * @property {(r: Result) => void} onResult
 * @property {(model: string, reason: string, lasting: boolean) => void} onUnavailable a model this browser
 *   turned out not to run: it is left out of the rest of the plan
 * @property {(model: string) => string} skip a reason to leave a model out, or ''
 */

/**
 * Run a plan step by step. Each row's speedup is over the sequential run of its own round
 * and workload, which every round runs first; a noise probe before each round and after the
 * last says how busy the machine was.
 * @param {{steps: Step[], rounds: number, threads: number, processes: number}} plan
 * @param {{itersPerMs: number, caps: Capabilities, signal: AbortSignal, onTrace: (t: Trace, step: Step) => void}} base
 *   `onTrace` hears each partial trace with the step it belongs to
 * @param {PlanHooks} hooks
 * @returns {Promise<Result[]>}
 */
export async function runPlan(plan, base, hooks) {
  /** @type {Result[]} */
  const results = [];
  /** @type {Map<string, number>} sequential wall time by round and workload */
  const baseline = new Map();
  /** @type {Map<string, string>} */
  const unavailable = new Map();
  let probed = -1;
  for (const [i, step] of plan.steps.entries()) {
    if (base.signal.aborted) throw stopped();
    if (hooks.skip(step.model) || unavailable.has(step.model)) continue;
    // Said first: the probe before a round takes a moment, and the page says at once what runs.
    hooks.onStart(i, step);
    if (step.round !== probed) {
      probed = step.round;
      hooks.onProbe(step.round, await probeSpeed(base.itersPerMs, base.signal));
    }
    const ctx = {
      ...base,
      onTrace: (/** @type {Trace} */ t) => base.onTrace(t, step),
      query: step.query,
      params: parse(step.query).params,
      threads: plan.threads,
      processes: plan.processes,
      round: step.round,
    };
    // The step's figure is drawn now, empty, before its lag meter starts: making a figure
    // costs a moment of the page's thread, which no model should be charged as lag.
    base.onTrace({ origin_ms: nowMs(), wall_ms: 0, lanes: [], spans: [] }, step);
    /** @type {Result[]} */
    let rows;
    try {
      rows = await runModel(step.model, ctx, step.round);
    } catch (e) {
      if (!(e instanceof Unavailable)) throw e;
      unavailable.set(step.model, e.message);
      hooks.onUnavailable(step.model, e.message, e.lasting);
      continue;
    }
    for (const r of rows) {
      const key = `${step.round}:${r.workload}`;
      if (r.model === 'sequential') baseline.set(key, r.wallMs);
      const seq = baseline.get(key);
      r.speedup = seq && r.wallMs > 0 ? seq / r.wallMs : null;
      results.push(r);
      hooks.onResult(r);
    }
  }
  hooks.onProbe(plan.rounds, await probeSpeed(base.itersPerMs, base.signal));
  return results;
}

/** Stop every worker of every model: a fault may leave one blocked, so start clean. */
export function stopEverything() {
  for (const runner of loaded.values()) runner.stop?.();
  stopAllWorkers();
}

