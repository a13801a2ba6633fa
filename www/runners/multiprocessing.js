// @ts-check
/**
 * multiprocessing: every process is a Web Worker with its own instance of the plain build
 * (`workers/process.js`), so nothing is shared: arguments go in and results come back as
 * copied messages, and each has its own memory and module globals.
 *
 * - pool on: `Pool(processes).map(f, range(tasks))`, each process taking the next task as
 *   it frees up; timed twice: with the processes' start-up inside the time ('cold') and on
 *   a pool kept alive between runs ('warm').
 * - pool off: one `Process(target=f, args=(i,))` per task, all started at once, each joined
 *   (its worker terminated) when its result is in.
 * - the isolation lab: each process adds to its own module-level counter; the parent's
 *   stays as it was; a counter in shared memory under a lock (`multiprocessing.Value`) is
 *   the one that every process changes.
 *
 * The trace has one lane per process: `spawn` (worker start, JS import, instantiation),
 * `ipc` (arguments: page post -> worker receipt; result: worker post -> page receipt) and
 * the task's own spans, which the worker records on the same epoch clock.
 */
import { engine } from '../engine.js';
import { nowMs } from '../clock.js';
import { MSG, waitFor, errorMessage } from '../workers/protocol.js';
import { startWorker, stopWorker, liveWorkers, setBusy } from '../workers/registry.js';

/** @typedef {import('./index.js').RunContext} RunContext */
/** @typedef {import('./index.js').Outcome} Outcome */
/** @typedef {import('./index.js').Trace} Trace */
/** @typedef {import('./index.js').Span} Span */

const PROCESS_URL = new URL('../workers/process.js', import.meta.url);
const WASM_URL = new URL('../pkg/plain/concurrency_playground_bg.wasm', import.meta.url);
/** As `Params::process_count` in Rust: one process per core, at most 16. */
const MAX_PROCESSES = 16;
/** Role prefix of every worker this model starts, in the registry. */
const ROLE = 'process';

/** @type {Promise<WebAssembly.Module> | null} */
let compiled = null;

/**
 * The plain build, compiled once on the page and posted to every process: compiling is
 * shared (V8 also shares the compiled code), instantiating is each process's own, so a
 * process still pays for its worker, its JS import and its instance and memory.
 * @returns {Promise<WebAssembly.Module>}
 */
function compiledModule() {
  compiled ??= (async () => {
    const response = await fetch(WASM_URL);
    if (!response.ok) {
      throw new Error(`multiprocessing: could not fetch the WebAssembly module ${WASM_URL.pathname} (HTTP ${response.status}); run the build first`);
    }
    return WebAssembly.compileStreaming(response);
  })().catch((e) => {
    compiled = null; // try again on the next run
    throw e;
  });
  return compiled;
}

/**
 * Warm pools by size, kept for the page's lifetime, least recently used first. A sweep
 * starts pools of 1, 2, 4, … 16 (31 workers); beyond `MAX_IDLE` workers the oldest pools go.
 * @type {Map<number, Worker[]>}
 */
const pools = new Map();
const MAX_IDLE = 2 * MAX_PROCESSES;

/** Terminate the warm pools; the next pool run starts them again. */
export function stopPools() {
  for (const workers of pools.values()) for (const w of workers) stopWorker(w);
  pools.clear();
}

/**
 * Processes to start: `processes`, or one per core (at most 16); never more than tasks.
 * @param {RunContext} ctx
 */
export function processCount(ctx) {
  return Math.min(poolSize(ctx), ctx.params.tasks);
}

/** `processes`, or one per core; 1 to 16. @param {RunContext} ctx */
function poolSize(ctx) {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  return Math.max(1, Math.min(ctx.params.processes ?? cores, MAX_PROCESSES));
}

/** @param {number[]} xs */
function median(xs) {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** @param {number} ms */
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/**
 * @typedef {object} Proc one process of a run
 * @property {Worker} worker
 * @property {number} lane
 * @property {() => void} detach stop listening to it
 * @property {number} [spawnedAt] when the run started it (absolute), if it did
 * @typedef {object} Handlers what a run does with a process's replies
 * @property {(p: Proc, at: number) => void} [ready]
 * @property {(p: Proc, msg: any, at: number) => void} [result]
 * @property {(p: Proc, msg: any, at: number) => void} [count]
 */

/**
 * One run of processes: its trace, its workers, and one way to end it. Any failure (a
 * process's error message or `error` event, Stop) terminates every worker of the run at
 * once; then `finished` rejects.
 */
class Run {
  /**
   * @param {RunContext} ctx
   * @param {number} lanes
   */
  constructor(ctx, lanes) {
    this.ctx = ctx;
    /** @type {Handlers} set by the caller before the first process starts */
    this.handlers = {};
    /** @type {Trace} */
    this.trace = {
      origin_ms: nowMs(),
      wall_ms: 0,
      lanes: Array.from({ length: lanes }, (_, i) => `process ${i}`),
      spans: [],
    };
    /** @type {Set<Proc>} */
    this.procs = new Set();
    /** @type {Set<Worker>} workers to keep alive when the run ends well (a warm pool) */
    this.keep = new Set();
    /** Called when the run fails, before its workers are terminated. */
    this.onFail = () => {};
    /** @type {number[]} */
    this.spawnMs = [];
    this.ipcMs = 0;
    this.ended = false;
    /** @type {(v: void) => void} */
    let resolve = () => {};
    /** @type {(e: unknown) => void} */
    let reject = () => {};
    /** @type {Promise<void>} */
    this.finished = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.resolve = resolve;
    this.reject = reject;
    this.onAbort = () => this.fail(new DOMException('Stopped', 'AbortError'));
    if (ctx.signal.aborted) this.onAbort();
    else ctx.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Record a span from absolute times.
   * @param {number} lane @param {number|null} task @param {string} state
   * @param {number} start @param {number} end
   */
  span(lane, task, state, start, end) {
    const start_ms = start - this.trace.origin_ms;
    const end_ms = Math.max(start_ms, end - this.trace.origin_ms);
    this.trace.spans.push({ lane, task, state, start_ms, end_ms });
    return end_ms - start_ms;
  }

  /** Listen to a worker for this run. @param {Worker} worker @param {number} lane @returns {Proc} */
  attach(worker, lane) {
    /** @type {Proc} */
    const proc = { worker, lane, detach: () => {} };
    /** @param {MessageEvent} ev */
    const onMessage = (ev) => {
      const at = nowMs();
      const data = ev.data;
      if (this.ended || !data || typeof data.type !== 'string') return;
      try {
        if (data.type === MSG.processReady) {
          if (proc.spawnedAt !== undefined) this.spawnMs.push(this.span(lane, null, 'spawn', proc.spawnedAt, at));
          this.handlers.ready?.(proc, at);
          this.progress();
        } else if (data.type === MSG.processResult) this.handlers.result?.(proc, data, at);
        else if (data.type === MSG.processCount) this.handlers.count?.(proc, data, at);
        else if (data.type === MSG.error) this.fail(new Error(`process ${lane}: ${stripPrefix(data.message)}`));
      } catch (e) {
        this.fail(e);
      }
    };
    /** @param {ErrorEvent} ev */
    const onError = (ev) => {
      ev.preventDefault();
      this.fail(new Error(`process ${lane}: ${ev.message || 'the worker failed to start (its script or module could not be loaded)'}`));
    };
    const onMessageError = () => this.fail(new Error(`process ${lane}: a message from it could not be deserialized`));
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    worker.addEventListener('messageerror', onMessageError);
    setBusy(worker, true);
    proc.detach = () => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      worker.removeEventListener('messageerror', onMessageError);
      setBusy(worker, false);
    };
    this.procs.add(proc);
    return proc;
  }

  /**
   * Start a process on `lane`: a new worker, which loads its own instance; its `spawn`
   * span runs from `new Worker` to the page receiving its ready message.
   * @param {number} lane @param {WebAssembly.Module} module
   */
  spawn(lane, module) {
    if (this.ended) return;
    const spawnedAt = nowMs();
    const worker = startWorker(PROCESS_URL, `${ROLE} ${lane}`);
    this.attach(worker, lane).spawnedAt = spawnedAt;
    worker.postMessage({ type: MSG.processInit, module });
  }

  /** Join a process: stop listening and terminate it. @param {Proc} proc */
  stop(proc) {
    proc.detach();
    this.procs.delete(proc);
    if (!this.keep.has(proc.worker)) stopWorker(proc.worker);
  }

  /** Hand task `index` to a process. @param {Proc} proc @param {number} index */
  send(proc, index) {
    const { query, itersPerMs } = this.ctx;
    proc.worker.postMessage({ type: MSG.processTask, id: index, query, index, itersPerMs, sentAt: nowMs() });
  }

  /**
   * Place a task's result on the trace: the arguments' trip, the task's own spans (which
   * the worker recorded with absolute times) and the result's trip.
   * @param {Proc} proc @param {any} msg @param {number} at @param {number} sentAt when the page posted the task
   */
  record(proc, msg, at, sentAt) {
    const lane = proc.lane;
    this.ipcMs += this.span(lane, msg.index, 'ipc', sentAt, msg.receivedAt);
    for (const s of /** @type {Span[]} */ (msg.trace?.spans ?? [])) {
      this.span(lane, s.task ?? msg.index, s.state, s.start_ms, s.end_ms);
    }
    this.ipcMs += this.span(lane, msg.index, 'ipc', msg.sentAt, at);
    this.trace.wall_ms = at - this.trace.origin_ms;
  }

  /** Show the trace so far. */
  progress() {
    this.ctx.onTrace({ ...this.trace, wall_ms: nowMs() - this.trace.origin_ms, spans: [...this.trace.spans] });
  }

  /** End well at absolute time `at`: kept workers stay, the others are terminated. @param {number} at */
  finish(at) {
    if (this.ended) return;
    this.trace.wall_ms = at - this.trace.origin_ms;
    this.end();
    this.resolve();
  }

  /** End badly: every worker of the run, kept or not, is terminated. @param {unknown} error */
  fail(error) {
    if (this.ended) return;
    this.onFail();
    this.keep.clear();
    this.end();
    this.reject(error);
  }

  end() {
    this.ended = true;
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    for (const proc of [...this.procs]) this.stop(proc);
  }
}

/** Process error messages already say "process: ..."; the run names the process. @param {unknown} m */
function stripPrefix(m) {
  return String(m ?? 'unknown error').replace(/^process: /, '');
}

/**
 * Pool.map over `procs`: each process takes the next task as soon as it is free.
 * @param {Run} run @param {number} tasks
 */
function mapper(run, tasks) {
  let next = 0;
  let done = 0;
  /** @type {Map<number, number>} */
  const sentAt = new Map();
  /** @param {Proc} proc */
  const feed = (proc) => {
    if (next >= tasks) return;
    const index = next++;
    sentAt.set(index, nowMs());
    run.send(proc, index);
  };
  /** @type {Handlers['result']} */
  const result = (proc, msg, at) => {
    run.record(proc, msg, at, sentAt.get(msg.index) ?? at);
    done += 1;
    run.progress();
    if (done === tasks) run.finish(at);
    else feed(proc);
  };
  return { feed, result };
}

/**
 * A pool whose processes start inside the measured time.
 * @param {RunContext} ctx @param {number} n @param {WebAssembly.Module} module
 */
async function coldPool(ctx, n, module) {
  const tasks = ctx.params.tasks;
  const run = new Run(ctx, n);
  const map = mapper(run, tasks);
  run.handlers = { ready: (proc) => map.feed(proc), result: map.result };
  for (let lane = 0; lane < n; lane++) run.spawn(lane, module);
  run.progress();
  await run.finished;
  return outcome(run, 'cold', `Pool(${n}), cold start`, n, ctx);
}

/** The registry role of process `i` of the warm pool of `n`. @param {number} i @param {number} n */
const poolRole = (i, n) => `${ROLE} ${i} (warm pool of ${n})`;

/**
 * Start a warm pool of `n` processes (untimed) and wait until every one is ready.
 * @param {number} n @param {WebAssembly.Module} module @param {AbortSignal} signal
 */
async function startPool(n, module, signal) {
  const workers = Array.from({ length: n }, (_, i) => startWorker(PROCESS_URL, poolRole(i, n)));
  try {
    await Promise.all(
      workers.map((worker, i) => {
        const ready = waitFor(worker, MSG.processReady, { signal });
        worker.postMessage({ type: MSG.processInit, module });
        return ready.catch((e) => {
          throw e instanceof DOMException && e.name === 'AbortError' ? e : new Error(`process ${i}: ${stripPrefix(errorMessage(e))}`);
        });
      }),
    );
  } catch (e) {
    for (const w of workers) stopWorker(w);
    throw e;
  }
  return workers;
}

/**
 * The same map on a pool that is already running: only the task phase is timed.
 * @param {RunContext} ctx @param {number} n @param {WebAssembly.Module} module
 */
async function warmPool(ctx, n, module) {
  let workers = pools.get(n);
  // A pool someone else terminated (registry.stopAll) would never answer: start anew.
  const live = new Set(liveWorkers());
  if (!workers || !workers.every((_, i) => live.has(poolRole(i, n)))) {
    if (workers) for (const w of workers) stopWorker(w);
    pools.delete(n);
    workers = await startPool(n, module, ctx.signal);
  }
  pools.delete(n);
  pools.set(n, workers);
  let idle = [...pools.values()].reduce((sum, p) => sum + p.length, 0);
  for (const [size, old] of pools) {
    if (idle <= MAX_IDLE || size === n) break;
    for (const w of old) stopWorker(w);
    pools.delete(size);
    idle -= old.length;
  }
  const tasks = ctx.params.tasks;
  const run = new Run(ctx, n);
  const map = mapper(run, tasks);
  run.handlers = { result: map.result };
  for (const w of workers) run.keep.add(w);
  const pool = workers;
  run.onFail = () => {
    // A pool that failed or was stopped mid-run is dropped; the next run starts a new one.
    if (pools.get(n) === pool) pools.delete(n);
  };
  const procs = workers.map((w, lane) => run.attach(w, lane));
  for (const proc of procs) map.feed(proc);
  run.progress();
  await run.finished;
  return outcome(run, 'warm', `Pool(${n}), warm`, n, ctx);
}

/**
 * One Process per task, all started at once, each joined as soon as its result is in.
 * @param {RunContext} ctx @param {WebAssembly.Module} module
 */
async function processPerTask(ctx, module) {
  const tasks = ctx.params.tasks;
  const run = new Run(ctx, tasks);
  /** @type {Map<number, number>} */
  const sentAt = new Map();
  let done = 0;
  run.handlers = {
    ready: (proc) => {
      sentAt.set(proc.lane, nowMs());
      run.send(proc, proc.lane);
    },
    result: (proc, msg, at) => {
      run.record(proc, msg, at, sentAt.get(msg.index) ?? at);
      run.stop(proc); // join
      done += 1;
      run.progress();
      if (done === tasks) run.finish(at);
    },
  };
  for (let lane = 0; lane < tasks; lane++) run.spawn(lane, module);
  run.progress();
  await run.finished;
  return outcome(run, 'cold', 'Process per task', tasks, ctx);
}

/**
 * @param {Run} run @param {string} variant @param {string} label @param {number} workers
 * @param {RunContext} ctx
 * @returns {Outcome}
 */
function outcome(run, variant, label, workers, ctx) {
  const { tasks, payloadKb } = ctx.params;
  const parts = [`${tasks} results x ${payloadKb} KiB`, `ipc ${fmt(run.ipcMs)} ms total`];
  if (run.spawnMs.length) parts.push(`spawn ${fmt(median(run.spawnMs))} ms median`);
  return { variant, label, trace: run.trace, wallMs: run.trace.wall_ms, workers, note: parts.join('; ') };
}

/**
 * The isolation lab: `processes` fresh processes each add `increments` to their own
 * module-level counter and, with shared on (if the page may share memory), add 1
 * `increments` times to one counter in shared memory, each time under its lock.
 * @param {RunContext} ctx @param {WebAssembly.Module} module
 * @returns {Promise<Outcome>}
 */
async function isolationLab(ctx, module) {
  const { wasm } = await engine();
  const n = poolSize(ctx);
  const increments = ctx.params.increments;
  const sharedAvailable = ctx.caps.sharedMemory && typeof SharedArrayBuffer === 'function';
  const useShared = ctx.params.shared && sharedAvailable;
  // [lock, value], as multiprocessing.Value('i', 0) is a value with its own lock.
  const cell = useShared ? new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) : null;
  const parentBefore = wasm.counter();
  /** @type {number[]} */
  const perProcess = new Array(n).fill(0);
  /** @type {Map<number, number>} */
  const sentAt = new Map();
  let done = 0;
  const run = new Run(ctx, n);
  run.handlers = {
    ready: (proc) => {
      sentAt.set(proc.lane, nowMs());
      proc.worker.postMessage({ type: MSG.processCount, id: proc.lane, n: increments, shared: cell });
    },
    count: (proc, msg, at) => {
      perProcess[proc.lane] = msg.counter;
      run.ipcMs += run.span(proc.lane, proc.lane, 'ipc', sentAt.get(proc.lane) ?? at, msg.startedAt);
      run.span(proc.lane, proc.lane, 'running', msg.startedAt, msg.finishedAt);
      run.ipcMs += run.span(proc.lane, proc.lane, 'ipc', msg.finishedAt, at);
      run.stop(proc);
      done += 1;
      run.progress();
      if (done === n) run.finish(at);
    },
  };
  for (let lane = 0; lane < n; lane++) run.spawn(lane, module);
  await run.finished;
  const parentCounter = wasm.counter();
  const sharedCounter = cell ? Atomics.load(cell, 1) : null;
  const expectedIfShared = n * increments;
  const same = parentCounter === parentBefore;
  const words = [
    `each process added ${increments} to its own copy of the counter (they saw ${[...new Set(perProcess)].join(', ')}); ` +
      (same ? `the parent's counter is still ${parentCounter}` : `the parent's counter moved from ${parentBefore} to ${parentCounter}`) +
      ` (it would be ${expectedIfShared} if memory were shared)`,
  ];
  if (cell) {
    words.push(`the locked counter in shared memory (multiprocessing.Value) reached ${sharedCounter} of ${expectedIfShared}`);
  } else if (ctx.params.shared) {
    words.push('the shared counter was not run: this page is not cross-origin isolated, so the browser withholds SharedArrayBuffer');
  }
  return {
    variant: 'isolation',
    label: 'isolation lab',
    trace: run.trace,
    wallMs: run.trace.wall_ms,
    workers: n,
    note: words.join('; '),
    lab: { processes: n, perProcess, parentCounter, expectedIfShared, sharedCounter, sharedAvailable },
  };
}

/**
 * Test hook: a pool whose processes each panic inside a future of their own instance, as
 * a bug in a task would; the first panic fails the run and terminates every process.
 * @param {RunContext} ctx @param {string} message
 * @returns {Promise<Outcome[]>}
 */
export async function panicForTest(ctx, message) {
  const module = await compiledModule();
  const n = processCount(ctx);
  const run = new Run(ctx, n);
  run.handlers = { ready: (proc) => proc.worker.postMessage({ type: MSG.processPanicForTest, message }) };
  for (let lane = 0; lane < n; lane++) run.spawn(lane, module);
  await run.finished;
  return [];
}

/**
 * @param {RunContext} ctx
 * @returns {Promise<Outcome[]>}
 */
export async function run(ctx) {
  const aborted = () => {
    if (ctx.signal.aborted) throw new DOMException('Stopped', 'AbortError');
  };
  // Stop kills every process this model has, warm pools too, so none is left behind.
  const onAbort = () => stopPools();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    aborted();
    const module = await compiledModule();
    aborted();
    if (ctx.params.lab === 'isolation') return [await isolationLab(ctx, module)];
    if (!ctx.params.pool) return [await processPerTask(ctx, module)];
    const n = processCount(ctx);
    const cold = await coldPool(ctx, n, module);
    aborted();
    const warm = await warmPool(ctx, n, module);
    return [cold, warm];
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
