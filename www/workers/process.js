// @ts-check
/**
 * One Python process: a module worker with its OWN instance of the plain build, so its
 * memory, its module-level counter and its panics are its own. The page compiles the
 * WebAssembly once and posts the compiled `WebAssembly.Module`; each process instantiates
 * it (the `fork` + import a Python process pays for), warms its kernel up (engines compile
 * per instance and per thread), then answers messages:
 *
 * - on start, once its script and the glue are loaded: `processLoaded` {at}
 * - `processInit` {module | moduleUrl, warmUpMs?, stop?} -> `processReady` {t0, tInstance, t1, speed}:
 *   `t0` the init received, `tInstance` its own instance made, `t1` warmed up; `stop`, an
 *   `Int32Array` over shared memory that the page raises before terminating the process:
 *   watched while computing, instead of a turn of this worker's event loop every 250 ms
 * - `processTask` {id, query, index, itersPerMs} -> `processResult` {id, index, receivedAt,
 *   sentAt, spans, iters, payload, checksum, counter}
 * - `processCount` {id, index, n, shared?} -> `processCount` {id, index, receivedAt, sentAt,
 *   ran: [start, end], counter, shared}
 * - `processSequential` {id, query, itersPerMs}: the baseline, every task one after another
 *   -> `processProgress` {id, trace} while it runs, then `processResult` {id, trace}
 * - `processSpin` {id, from, ms, itersPerMs} -> `processSpin` {id, workMs}: compute from
 *   epoch ms `from` for `ms`; `workMs` is the work done, in ms at the calibrated speed (how
 *   many processes really compute at once, `measureParallelism` in runners/processes.js)
 * - anything else -> `error` {message}; the worker keeps running.
 *
 * A panic traps the instance; the process then answers every message with an `error`
 * naming the panic, as a crashed Python process answers nothing more.
 *
 * Times are epoch milliseconds on the one clock (`shared/clock.js`), so the page places
 * them on its timeline without knowing this worker's `performance.timeOrigin`. Tasks run
 * one at a time, in the order they arrive, as a Python worker process takes them off its
 * queue.
 */
import { MSG, SIGN_OF_LIFE_MS, errorMessage, describe, panicError, fieldProblems, isCount, isNumber, postError } from '../shared/protocol.js';
import { nowMs } from '../shared/clock.js';
// Static, so the glue is fetched with this worker's other modules, in one round trip: a
// process's start-up is mostly waiting for the server.
import * as glue from '../pkg/plain/concurrency_playground.js';

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (globalThis));

/** @type {Promise<void> | null} */
let loading = null;
let loaded = false;
/** Tasks run one after another: each waits for the one before it. */
let queue = Promise.resolve();
/** Why this process's instance is dead, once it has trapped. */
let crashed = '';

/** @param {string} message @param {unknown} [id] */
const reportError = (message, id) => postError(scope, `process: ${message}`, id);

let lastSign = -Infinity;
/** Tell the page this process is alive, at most every SIGN_OF_LIFE_MS (runners/registry.js watches). */
function signOfLife() {
  const now = performance.now();
  if (now - lastSign < SIGN_OF_LIFE_MS) return;
  lastSign = now;
  scope.postMessage({ type: MSG.processAlive });
}

/**
 * The instance trapped: a panic inside a future surfaces here, from the event loop, not
 * from the call that started the task. Report it (with the panic's message) instead of
 * letting it reach the page as a bare "unreachable", once.
 * @param {unknown} trap
 */
function onTrap(trap) {
  const first = crashed === '';
  crashed = errorMessage(panicError(trap, scope));
  if (first) reportError(crashed);
}

/** Whether a message can run now; if not, the reason has been reported. @param {Record<string, unknown>} data */
function usable(data) {
  if (!loaded) reportError('not loaded yet: send playground:process:init first', data.id);
  else if (crashed) reportError(`not run: this process crashed (${crashed})`, data.id);
  return loaded && !crashed;
}

/**
 * Run `call` on this instance, turning a trap into the process's crash and any other
 * failure into an error for request `id`.
 * @template T @param {() => Promise<T> | T} call @param {string} what @param {unknown} id
 * @returns {Promise<T | undefined>}
 */
async function guarded(call, what, id) {
  try {
    return await call();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) onTrap(e);
    else reportError(`${what} failed: ${errorMessage(panicError(e, scope))}`, id);
    return undefined;
  }
}

/** @param {Record<string, unknown>} data */
async function onInit(data) {
  if (loading) return reportError('already loaded: a process loads its module once');
  /** @type {WebAssembly.Module | URL} */
  let source;
  if (data.module instanceof WebAssembly.Module) {
    source = data.module;
  } else if (typeof data.moduleUrl === 'string' && data.moduleUrl) {
    source = new URL(data.moduleUrl, scope.location.href);
  } else {
    return reportError("init needs 'module' (a compiled WebAssembly.Module) or 'moduleUrl' (a string)");
  }
  const warmUpMs = isNumber(data.warmUpMs) ? Math.min(Number(data.warmUpMs), 1000) : 0;
  const t0 = nowMs();
  loading = glue.default({ module_or_path: source });
  try {
    await loading;
  } catch (e) {
    loading = null;
    const error = new Error(`process: could not load the WebAssembly module (${errorMessage(e)})`);
    postError(scope, error.message);
    // Re-thrown outside the promise too, so the page's `error` event carries it as well
    // (a rejected promise in a worker does not reach the Worker object). As in
    // wasm-bindgen-rayon's workerHelpers.js.
    setTimeout(() => {
      throw error;
    });
    return;
  }
  loaded = true;
  // Called by the loop at every chunk of computing and while a task sleeps.
  glue.sendSignsOfLife(signOfLife);
  if (data.stop instanceof Int32Array) {
    try {
      glue.watchStop(data.stop);
    } catch (e) {
      return reportError(`init: ${errorMessage(e)}`);
    }
  }
  const tInstance = nowMs();
  const speed = warmUpMs > 0 ? glue.warmUp(warmUpMs, 4 * warmUpMs) : 0;
  scope.postMessage({ type: MSG.processReady, t0, tInstance, t1: nowMs(), speed });
}

/**
 * Run one task and send its result. The payload is copied by `postMessage` (not
 * transferred), as Python pickles a result and copies it through a pipe.
 * @param {{id: number, query: string, index: number, itersPerMs: number}} task
 * @param {number} receivedAt
 */
async function runTask({ id, query, index, itersPerMs }, receivedAt) {
  const result = await guarded(() => glue.runProcessTask(query, index, itersPerMs), `task ${index}`, id);
  if (!result) return;
  const { trace, checksum, counter, payload } = result;
  const iters = (trace.iters ?? []).reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0);
  scope.postMessage({ type: MSG.processResult, id, index, receivedAt, spans: trace.spans, iters, payload, checksum, counter, sentAt: nowMs() });
}

/** @param {Record<string, unknown>} data @param {number} receivedAt */
function onTask(data, receivedAt) {
  const bad = fieldProblems(data, [
    ['id', isNumber, 'a number'],
    ['query', (v) => typeof v === 'string', 'a query string'],
    ['index', isCount, 'a task index, an integer from 0'],
    ['itersPerMs', (v) => isNumber(v) && /** @type {number} */ (v) > 0, 'a positive number'],
  ]);
  if (bad) return reportError(`task message: ${bad}`, data.id);
  // Not queued when unusable: a task that trapped never settles, so nothing after it would run.
  if (!usable(data)) return;
  const task = /** @type {{id: number, query: string, index: number, itersPerMs: number}} */ (data);
  queue = queue.then(() => runTask(task, receivedAt));
}

/** @param {Record<string, unknown>} data */
function onSequential(data) {
  const bad = fieldProblems(data, [
    ['id', isNumber, 'a number'],
    ['query', (v) => typeof v === 'string', 'a query string'],
    ['itersPerMs', (v) => isNumber(v) && /** @type {number} */ (v) > 0, 'a positive number'],
  ]);
  if (bad) return reportError(`sequential message: ${bad}`, data.id);
  if (!usable(data)) return;
  const { id, query, itersPerMs } = /** @type {{id: number, query: string, itersPerMs: number}} */ (data);
  const progress = (/** @type {unknown} */ trace) => scope.postMessage({ type: MSG.processProgress, id, trace });
  queue = queue.then(async () => {
    const trace = await guarded(() => glue.runSequential(query, itersPerMs, progress), 'the sequential run', id);
    if (trace) scope.postMessage({ type: MSG.processResult, id, trace });
  });
}

/**
 * A lock in shared memory, for the shared counter (`multiprocessing.Value`'s lock): word 0
 * is 0 free, 1 held, 2 held with waiters (Drepper, "Futexes Are Tricky", mutex 2).
 * Workers may block in `Atomics.wait`; the page never runs this.
 * @param {Int32Array} cell
 */
function lock(cell) {
  let c = Atomics.compareExchange(cell, 0, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(cell, 0, 2);
  while (c !== 0) {
    Atomics.wait(cell, 0, 2);
    c = Atomics.exchange(cell, 0, 2);
  }
}

/** @param {Int32Array} cell */
function unlock(cell) {
  if (Atomics.sub(cell, 0, 1) !== 1) {
    Atomics.store(cell, 0, 0);
    Atomics.notify(cell, 0, 1);
  }
}

/**
 * The isolation lab: add `n` to this process's module-level counter (its own copy) and,
 * given a shared cell ([lock, value] in a SharedArrayBuffer), add 1 to it `n` times, each
 * under the lock, as `with v.get_lock(): v.value += 1` does.
 * @param {Record<string, unknown>} data @param {number} receivedAt
 */
function onCount(data, receivedAt) {
  const shared = data.shared;
  const bad = fieldProblems(data, [
    ['id', isNumber, 'a number'],
    ['index', isCount, 'the process index, an integer from 0'],
    ['n', isCount, 'an integer from 0 to 4294967295'],
  ]);
  const badShared =
    shared !== undefined &&
    shared !== null &&
    !(shared instanceof Int32Array && shared.length >= 2 && typeof SharedArrayBuffer === 'function' && shared.buffer instanceof SharedArrayBuffer);
  if (bad || badShared) {
    return reportError(`count message: ${[bad, badShared ? "'shared' must be an Int32Array of 2 on a SharedArrayBuffer" : ''].filter(Boolean).join('; ')}`, data.id);
  }
  if (!usable(data)) return;
  const n = /** @type {number} */ (data.n);
  const startedAt = nowMs();
  let counter;
  try {
    counter = glue.addToCounter(n);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) return onTrap(e);
    return reportError(`count failed: ${errorMessage(panicError(e, scope))}`, data.id);
  }
  let sharedSeen = null;
  if (shared instanceof Int32Array) {
    for (let i = 0; i < n; i++) {
      // Word 2 is up once the run was stopped: a terminated worker can take a while to go.
      if ((i & 1023) === 0) {
        if (shared.length > 2 && Atomics.load(shared, 2) !== 0) break;
        signOfLife();
      }
      lock(shared);
      shared[1] = shared[1] + 1; // a plain read and write: only the lock makes it safe
      unlock(shared);
    }
    sharedSeen = Atomics.load(shared, 1);
  }
  const index = /** @type {number} */ (data.index);
  const ran = [startedAt, nowMs()];
  scope.postMessage({ type: MSG.processCount, id: data.id, index, receivedAt, spans: [], ran, counter, shared: sharedSeen, sentAt: nowMs() });
}

/**
 * Compute from epoch ms `from` until `from + ms`, in slices of 1 ms of calibrated work, and
 * say how much work was done.
 * @param {Record<string, unknown>} data
 */
function onSpin(data) {
  const bad = fieldProblems(data, [
    ['id', isNumber, 'a number'],
    ['from', isNumber, 'epoch ms'],
    ['ms', (v) => isNumber(v) && /** @type {number} */ (v) > 0 && /** @type {number} */ (v) <= 1000, 'a number of ms from 0 to 1000'],
    ['itersPerMs', (v) => isNumber(v) && /** @type {number} */ (v) > 0, 'a positive number'],
  ]);
  if (bad) return reportError(`spin message: ${bad}`, data.id);
  if (!usable(data)) return;
  const { id, from, ms, itersPerMs } = /** @type {{id: number, from: number, ms: number, itersPerMs: number}} */ (data);
  setTimeout(() => {
    while (nowMs() < from);
    let workMs = 0;
    try {
      while (nowMs() < from + ms) {
        glue.kernelWork(1, itersPerMs);
        workMs += 1;
      }
    } catch (e) {
      return reportError(`spin failed: ${errorMessage(panicError(e, scope))}`, id);
    }
    scope.postMessage({ type: MSG.processSpin, id, workMs });
  }, Math.max(0, from - nowMs() - 5));
}

scope.addEventListener('error', (ev) => {
  if (!(ev.error instanceof WebAssembly.RuntimeError)) return;
  // Handled here: the page gets the panic's message instead of the Worker's error event.
  ev.preventDefault();
  onTrap(ev.error);
});

scope.addEventListener('message', (/** @type {MessageEvent} */ ev) => {
  const receivedAt = nowMs();
  const data = ev.data;
  if (!data || typeof data !== 'object' || typeof data.type !== 'string') {
    return reportError(`a message must be an object with a string 'type' (got ${describe(data)})`);
  }
  switch (data.type) {
    case MSG.processInit:
      return void onInit(data);
    case MSG.processTask:
      return onTask(data, receivedAt);
    case MSG.processCount:
      return onCount(data, receivedAt);
    case MSG.processSequential:
      return onSequential(data);
    case MSG.processSpin:
      return onSpin(data);
    default:
      return reportError(
        data.type.startsWith('playground:process:')
          ? `message '${data.type}' is not one a process accepts (init, task, count, sequential, spin)`
          : `message '${data.type}' is not a playground:process:* message`,
        data.id,
      );
  }
});

scope.addEventListener('messageerror', () => reportError('a message could not be deserialized'));

// Loaded: the page may keep this worker as a spare, to make a process of it at once.
scope.postMessage({ type: MSG.processLoaded, at: nowMs() });
