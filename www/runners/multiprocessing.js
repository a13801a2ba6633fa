// @ts-check
/**
 * multiprocessing: every process is a Web Worker with its own instance of the plain build
 * (`workers/process.js`), so nothing is shared: arguments go in and results come back as
 * copied messages, and each has its own memory and module globals.
 *
 * Which process gets which task, and the trace built from the messages' times, are the
 * Rust model's (`PoolRun`, `src/models/multiprocessing.rs`): this file starts workers,
 * posts what it says and reports what comes back.
 *
 * - pool on: `Pool(processes).map(f, range(tasks))`, timed twice: with the processes'
 *   start-up inside the time ('cold', in the first round of a plan only: a cold start is
 *   the same cost every time) and on a pool already running ('warm': the cold pool's
 *   processes, `with Pool(n) as pool` mapping twice, kept alive between runs);
 * - pool off: one `Process(target=f, args=(i,))` per task, all started at once, each
 *   joined (its worker terminated) when its result is in;
 * - the isolation lab: each process adds to its own module-level counter; the parent's
 *   stays as it was; a counter in shared memory under a lock (`multiprocessing.Value`) is
 *   the one that every process changes.
 */
import { core, engine } from '../engine.js';
import { nowMs } from '../shared/clock.js';
import { MSG, stopped } from '../shared/protocol.js';
import { compiledModule, startProcess, WARM_UP_MS } from './processes.js';
import { stopWorker, liveWorkers, setBusy, renameWorker, watchLife } from './registry.js';

/** @typedef {import('./index.js').RunContext} RunContext */
/** @typedef {import('../shared/types.js').Outcome} Outcome */

/**
 * Warm pools by size, kept for the page's lifetime, least recently used first; beyond
 * `MAX_IDLE` workers the oldest pools go.
 * @type {Map<number, Worker[]>}
 */
const pools = new Map();
const MAX_IDLE = 32;

/** Terminate the warm pools; the next pool run starts them again. */
export function stop() {
  for (const workers of pools.values()) for (const w of workers) stopWorker(w);
  pools.clear();
}

/** @param {number} ms */
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/**
 * The processes of one run, driven by a Rust `PoolRun`: one way to end it, whatever fails
 * (a process's error message or `error` event, Stop), which terminates every worker of the
 * run that is not kept.
 */
class Run {
  /**
   * @param {RunContext} ctx
   * @param {number} lanes processes
   * @param {number} tasks
   * @param {boolean} perTask one process per task, each joined when done
   * @param {(lane: number, task: number) => object} message the message that hands a process its task
   */
  constructor(ctx, lanes, tasks, perTask, message) {
    this.ctx = ctx;
    this.message = message;
    this.pool = new (core().PoolRun)(nowMs(), lanes, tasks, perTask);
    /** @type {(Worker | null)[]} */
    this.workers = new Array(lanes).fill(null);
    /** @type {Set<Worker>} workers that outlive the run (a warm pool) */
    this.keep = new Set();
    /** @type {(() => void)[]} stop listening to the process on each lane */
    this.detachers = [];
    /** @type {(number | null)[]} the task each lane's process has now, for its watch (registry.js) */
    this.inFlight = new Array(lanes).fill(null);
    /** @type {any[]} every reply, for the isolation lab */
    this.replies = [];
    this.ended = false;
    this.lastDraw = 0;
    /** Called when the run fails, before its workers are terminated. */
    this.onFail = () => {};
    /** @type {(v: any) => void} */
    this.resolve = () => {};
    /** @type {(e: unknown) => void} */
    this.reject = () => {};
    this.finished = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.onAbort = () => this.fail(stopped());
    if (ctx.signal.aborted) this.onAbort();
    else ctx.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Drive `worker` as the process on `lane`. @param {Worker} worker @param {number} lane */
  attach(worker, lane) {
    this.workers[lane] = worker;
    this.inFlight[lane] = null;
    setBusy(worker, true);
    /** @param {MessageEvent} ev */
    const onMessage = (ev) => {
      const at = nowMs();
      const data = ev.data;
      if (this.ended || !data || typeof data.type !== 'string') return;
      try {
        if (data.type === MSG.processReady) this.apply(lane, this.pool.ready(lane, at));
        else if (data.type === MSG.processResult || data.type === MSG.processCount) {
          this.inFlight[lane] = null;
          this.replies.push(data);
          this.apply(lane, this.pool.reply(lane, data, at));
        } else if (data.type === MSG.error) this.fail(new Error(`process ${lane}: ${String(data.message).replace(/^process: /, '')}`));
      } catch (e) {
        this.fail(e);
      }
    };
    /** @param {ErrorEvent} ev */
    const onError = (ev) => {
      ev.preventDefault();
      this.fail(new Error(`process ${lane}: ${ev.message || 'the worker failed to start (its script or module could not be loaded)'}`));
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    const unwatch = watchLife(worker, `process ${lane}`, () => (this.inFlight[lane] === null ? null : `task ${this.inFlight[lane]}`), (e) => this.fail(e));
    this.detachers[lane] = () => {
      unwatch();
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      setBusy(worker, false);
    };
  }

  /** Start a new process on `lane`; its start-up is drawn. @param {number} lane @param {WebAssembly.Module} module @param {number} warmUpMs */
  spawn(lane, module, warmUpMs) {
    const started = startProcess(`process ${lane}`, module, warmUpMs);
    this.pool.spawned(lane, started.spawnedAt);
    this.attach(started.worker, lane);
  }

  /** Do what the pool says for the process on `lane`. @param {number} lane @param {{do: string, task?: number}} next */
  apply(lane, next) {
    const worker = this.workers[lane];
    if (next.do === 'send' && worker && next.task !== undefined) {
      this.inFlight[lane] = next.task;
      worker.postMessage(this.message(lane, next.task));
    }
    else if (next.do === 'join') this.join(lane);
    else if (next.do === 'finish') return this.finish();
    this.draw();
  }

  /** Show the trace so far, at most every 100 ms. */
  draw() {
    const now = nowMs();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.ctx.onTrace(this.pool.snapshot(now));
  }

  /** Join the process on `lane`: stop listening and terminate it, unless it is kept. @param {number} lane */
  join(lane) {
    const worker = this.workers[lane];
    if (!worker) return;
    this.detachers[lane]?.();
    this.workers[lane] = null;
    if (!this.keep.has(worker)) stopWorker(worker);
  }

  finish() {
    if (this.ended) return;
    this.end();
    const out = this.pool.finish();
    this.pool.free();
    this.resolve(out);
  }

  /** End badly: every worker of the run, kept or not, is terminated. @param {unknown} error */
  fail(error) {
    if (this.ended) return;
    this.keep.clear();
    this.end();
    this.pool.free();
    this.onFail();
    this.reject(error);
  }

  end() {
    this.ended = true;
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    for (let lane = 0; lane < this.workers.length; lane++) this.join(lane);
  }
}

/**
 * @param {{trace: import('../shared/types.js').Trace, spawnMedianMs: number | null, ipcMs: number}} out
 * @param {string} variant @param {string} label @param {number} workers @param {RunContext} ctx
 * @returns {Outcome}
 */
function outcome(out, variant, label, workers, ctx) {
  const { tasks, payloadKb } = ctx.params;
  const parts = [`sending ${tasks} results of ${payloadKb} KiB back took ${fmt(out.ipcMs)} ms in all`];
  if (out.spawnMedianMs != null) {
    parts.push(`starting a process took about ${fmt(out.spawnMedianMs)} ms (its own new instance and memory, in a worker loaded ahead, as forkserver keeps one)`);
  }
  return { variant, label, trace: out.trace, workers, note: parts.join('; ') };
}

/** The message that hands task `index` to a process. @param {RunContext} ctx */
const taskMessage = (ctx) => (/** @type {number} */ _lane, /** @type {number} */ index) => ({
  type: MSG.processTask,
  id: index,
  query: ctx.query,
  index,
  itersPerMs: ctx.itersPerMs,
});

/** Warm-up for this run's processes: none for work that does not compute. @param {RunContext} ctx */
const warmUp = (ctx) => (ctx.params.workload === 'io' ? 0 : WARM_UP_MS);

/**
 * A pool whose processes start inside the measured time.
 * @param {RunContext} ctx @param {number} n @param {WebAssembly.Module} module
 */
async function coldPool(ctx, n, module) {
  const run = new Run(ctx, n, ctx.params.tasks, false, taskMessage(ctx));
  for (let lane = 0; lane < n; lane++) run.spawn(lane, module, warmUp(ctx));
  // Warmed up as a warm pool's processes are, they stay on as the warm pool (the same Pool
  // mapping again), unless one of that size is kept already: starting eight more processes
  // between the two maps held up the page's loop (its lag p99 during a Pool(8) on 2 cores
  // went from 55 ms to about 25 ms without them).
  const adopt = warmUp(ctx) === WARM_UP_MS && !pools.has(n) ? run.workers.filter((w) => w !== null) : [];
  for (const w of adopt) run.keep.add(w);
  const out = await run.finished;
  if (adopt.length) keepPool(n, adopt);
  return outcome(out, 'cold', `Pool(${n}), cold start`, n, ctx);
}

/** The registry role of process `i` of the warm pool of `n`. @param {number} i @param {number} n */
const poolRole = (i, n) => `process ${i} (warm pool of ${n})`;

/**
 * A warm pool of `n` processes (a cold pool's, or started untimed; kept between runs),
 * every one ready. The executor of asyncio-processes (`executors.js`) borrows the same
 * workers.
 * @param {number} n @param {WebAssembly.Module} module @param {AbortSignal} signal
 */
export async function warmWorkers(n, module, signal) {
  let workers = pools.get(n);
  // A pool someone else terminated (a fault) would never answer: start anew.
  const live = new Set(liveWorkers());
  if (workers && workers.every((_, i) => live.has(poolRole(i, n)))) {
    pools.delete(n);
    pools.set(n, workers); // most recently used last
    return workers;
  }
  const started = Array.from({ length: n }, (_, i) => startProcess(poolRole(i, n), module, WARM_UP_MS, signal));
  try {
    await Promise.all(started.map((s) => s.ready));
  } catch (e) {
    for (const s of started) stopWorker(s.worker);
    throw e;
  }
  workers = started.map((s) => s.worker);
  keepPool(n, workers);
  return workers;
}

/**
 * Keep `workers`, every one ready and idle, as the warm pool of `n`; beyond `MAX_IDLE`
 * idle workers the least recently used pools go.
 * @param {number} n @param {Worker[]} workers
 */
function keepPool(n, workers) {
  workers.forEach((w, i) => renameWorker(w, poolRole(i, n)));
  pools.set(n, workers);
  let idle = [...pools.values()].reduce((a, w) => a + w.length, 0);
  for (const [size, old] of pools) {
    if (idle <= MAX_IDLE || size === n) continue;
    for (const w of old) stopWorker(w);
    pools.delete(size);
    idle -= old.length;
  }
}

/**
 * The same map on a pool that is already running: only the task phase is timed.
 * @param {RunContext} ctx @param {number} n @param {WebAssembly.Module} module
 */
async function warmPool(ctx, n, module) {
  const workers = await warmWorkers(n, module, ctx.signal);
  const run = new Run(ctx, n, ctx.params.tasks, false, taskMessage(ctx));
  for (const w of workers) run.keep.add(w);
  // A failed run terminates the pool's workers: forget the pool, the next run starts anew.
  run.onFail = () => {
    if (pools.get(n) === workers) pools.delete(n);
  };
  workers.forEach((w, lane) => run.attach(w, lane));
  const at = nowMs();
  workers.forEach((_, lane) => run.apply(lane, run.pool.ready(lane, at)));
  return outcome(await run.finished, 'warm', `Pool(${n}), warm`, n, ctx);
}

/**
 * One Process per task, all started at once, each joined as soon as its result is in.
 * @param {RunContext} ctx @param {WebAssembly.Module} module
 */
async function processPerTask(ctx, module) {
  const tasks = ctx.params.tasks;
  const run = new Run(ctx, tasks, tasks, true, taskMessage(ctx));
  for (let lane = 0; lane < tasks; lane++) run.spawn(lane, module, warmUp(ctx));
  return outcome(await run.finished, 'cold', 'Process per task', tasks, ctx);
}

/**
 * The isolation lab: `processes` fresh processes each add `increments` to their own
 * module-level counter and, with shared on (if the page may share memory), add 1
 * `increments` times to one counter in shared memory, each time under its lock.
 * @param {RunContext} ctx @param {number} n @param {WebAssembly.Module} module
 * @returns {Promise<Outcome>}
 */
async function isolationLab(ctx, n, module) {
  const { wasm } = await engine();
  const increments = ctx.params.increments;
  const sharedAvailable = ctx.caps.sharedMemory;
  // [lock, value, stop], as multiprocessing.Value('i', 0) is a value with its own lock; the
  // third word tells the counting processes that the run was stopped.
  const cell = ctx.params.shared && sharedAvailable ? new Int32Array(new SharedArrayBuffer(12)) : null;
  if (cell) ctx.signal.addEventListener('abort', () => Atomics.store(cell, 2, 1), { once: true });
  const parentBefore = wasm.counter();
  const run = new Run(ctx, n, n, true, (lane) => ({ type: MSG.processCount, id: lane, index: lane, n: increments, shared: cell }));
  for (let lane = 0; lane < n; lane++) run.spawn(lane, module, 0);
  const out = await run.finished;
  /** @type {number[]} */
  const perProcess = new Array(n).fill(0);
  for (const r of run.replies) perProcess[r.index] = r.counter;
  const parentCounter = wasm.counter();
  const lab = {
    processes: n,
    increments,
    perProcess,
    parentBefore,
    parentCounter,
    expectedIfShared: n * increments,
    sharedCounter: cell ? Atomics.load(cell, 1) : null,
    sharedAsked: ctx.params.shared,
    sharedAvailable,
  };
  return { variant: 'isolation', label: 'isolation lab', trace: out.trace, workers: n, note: '', lab };
}

/**
 * @param {RunContext} ctx
 * @returns {Promise<Outcome[]>}
 */
export async function run(ctx) {
  const module = await compiledModule();
  if (ctx.signal.aborted) throw stopped();
  const n = ctx.processes;
  if (ctx.params.lab === 'isolation') return [await isolationLab(ctx, n, module)];
  if (!ctx.params.pool) return [await processPerTask(ctx, module)];
  const cold = ctx.round === 0 ? [await coldPool(ctx, n, module)] : [];
  if (ctx.signal.aborted) throw stopped();
  const warm = await warmPool(ctx, n, module);
  return [...cold, warm];
}
