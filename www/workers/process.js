// @ts-check
/**
 * One Python process: a module worker with its OWN instance of the plain build, so its
 * memory, its module-level counter and its panics are its own. The page compiles the
 * WebAssembly once and posts the compiled `WebAssembly.Module`; each process instantiates
 * it (the `fork` + import a Python process pays for), then answers messages:
 *
 * - `processInit` {module | moduleUrl} -> `processReady` {timeOrigin, t0, t1}
 * - `processTask` {id, query, index, itersPerMs, sentAt} -> `processResult` {id, index,
 *   receivedAt, startedAt, finishedAt, trace, payload, checksum, counter, sentAt}
 * - `processCount` {id, n, shared?} -> `processCount` {id, counter, shared, startedAt, finishedAt}
 * - `processPanicForTest` {message}: the instance panics inside a future (a test hook)
 * - anything else -> `error` {message}; the worker keeps running.
 *
 * A panic traps the instance; the process then answers every message with an `error`
 * naming the panic, as a crashed Python process answers nothing more.
 *
 * Times are epoch milliseconds on the one clock (`clock.js`), so the page can place them on
 * its timeline without knowing this worker's `performance.timeOrigin`. Tasks run one at a
 * time, in the order they arrive, as a Python worker process takes them off its queue.
 */
import { MSG, errorMessage, describe, panicError } from './protocol.js';
// Static, so the glue is fetched with this worker's other modules, in one round trip: a
// process's start-up is mostly waiting for the server.
import * as glue from '../pkg/plain/concurrency_playground.js';
import { nowMs } from '../clock.js';

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (globalThis));

/**
 * The loaded instance: the plain build's exports and the panic-message reader.
 * @typedef {{wasm: typeof import('../pkg/plain/concurrency_playground.js'),
 *   panicError: typeof panicError}} Loaded
 */

/** @type {Promise<Loaded> | null} */
let loading = null;
/** @type {Loaded | null} */
let loaded = null;
/** Tasks run one after another: each waits for the one before it. */
let queue = Promise.resolve();
/** Why this process's instance is dead, once it has trapped. */
let crashed = '';

/**
 * The instance trapped: a panic inside a future surfaces here, from the event loop, not
 * from the call that started the task. Report it (with the panic's message) instead of
 * letting it reach the page as a bare "unreachable", once.
 * @param {unknown} trap
 */
function onTrap(trap) {
  const first = crashed === '';
  const l = loaded;
  crashed = l ? errorMessage(l.panicError(trap, scope)) : errorMessage(trap);
  if (first) reportError(crashed);
}

/**
 * @param {string} message
 * @param {unknown} [id] the request's id, when it had a usable one
 */
function reportError(message, id) {
  scope.postMessage({ type: MSG.error, ...(typeof id === 'number' ? { id } : {}), message: `process: ${message}` });
}

/** @param {unknown} v */
const isCount = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;

/**
 * What is wrong with a message's fields, or '' when nothing is.
 * @param {Record<string, unknown>} data
 * @param {[string, (v: unknown) => boolean, string][]} fields name, check, what it must be
 */
function problems(data, fields) {
  return fields
    .filter(([name, ok]) => !ok(data[name]))
    .map(([name, , what]) =>
      name in data ? `'${name}' must be ${what} (got ${describe(data[name])})` : `'${name}' is missing (${what})`,
    )
    .join('; ');
}

/**
 * Load this process's own instance of the plain build.
 * @param {WebAssembly.Module | URL} moduleOrPath
 * @returns {Promise<Loaded>}
 */
async function load(moduleOrPath) {
  try {
    await glue.default({ module_or_path: moduleOrPath });
  } catch (e) {
    throw new Error(`process: could not load the WebAssembly module (${errorMessage(e)})`);
  }
  return { wasm: glue, panicError };
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
  const t0 = nowMs();
  loading = load(source);
  try {
    loaded = await loading;
  } catch (e) {
    loading = null;
    const error = e instanceof Error ? e : new Error(String(e));
    scope.postMessage({ type: MSG.error, message: error.message });
    // Re-thrown outside the promise too, so the page's `error` event carries it as well
    // (a rejected promise in a worker does not reach the Worker object). As in
    // wasm-bindgen-rayon's workerHelpers.js.
    setTimeout(() => {
      throw error;
    });
    return;
  }
  scope.postMessage({ type: MSG.processReady, timeOrigin: performance.timeOrigin, t0, t1: nowMs() });
}

/**
 * Run one task and send its result. The payload is copied by `postMessage` (not
 * transferred), as Python pickles a result and copies it through a pipe.
 * @param {Loaded} l
 * @param {{id: number, query: string, index: number, itersPerMs: number}} task
 * @param {number} receivedAt
 */
async function runTask(l, { id, query, index, itersPerMs }, receivedAt) {
  const startedAt = nowMs();
  let result;
  try {
    result = await l.wasm.runProcessTask(query, index, itersPerMs);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) return onTrap(e);
    return reportError(`task ${index} failed: ${errorMessage(l.panicError(e, scope))}`, id);
  }
  const finishedAt = nowMs();
  const { trace, checksum, counter, payload } = result;
  scope.postMessage({
    type: MSG.processResult,
    id,
    index,
    receivedAt,
    startedAt,
    finishedAt,
    trace,
    payload,
    checksum,
    counter,
    sentAt: nowMs(),
  });
}

/** @param {Record<string, unknown>} data @param {number} receivedAt */
function onTask(data, receivedAt) {
  const bad = problems(data, [
    ['id', (v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
    ['query', (v) => typeof v === 'string', 'a query string'],
    ['index', isCount, 'a task index, an integer from 0'],
    ['itersPerMs', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number'],
  ]);
  if (bad) return reportError(`task message: ${bad}`, data.id);
  const l = loaded;
  if (!l) return reportError('not loaded yet: send playground:process:init first', data.id);
  // Not queued: a task that trapped never settles, so nothing after it would run.
  if (crashed) return reportError(`task ${data.index} not run: this process crashed (${crashed})`, data.id);
  const task = /** @type {{id: number, query: string, index: number, itersPerMs: number}} */ (data);
  queue = queue
    .then(() => runTask(l, task, receivedAt))
    .catch((e) => reportError(`task ${task.index} could not be sent back: ${errorMessage(e)}`, task.id));
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
 * @param {Record<string, unknown>} data
 */
function onCount(data) {
  const shared = data.shared;
  const bad = problems(data, [
    ['id', (v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
    ['n', isCount, 'an integer from 0 to 4294967295'],
  ]);
  const badShared =
    shared !== undefined &&
    shared !== null &&
    !(shared instanceof Int32Array && shared.length >= 2 && shared.buffer instanceof SharedArrayBuffer);
  if (bad || badShared) {
    return reportError(`count message: ${[bad, badShared ? "'shared' must be an Int32Array of 2 on a SharedArrayBuffer" : ''].filter(Boolean).join('; ')}`, data.id);
  }
  const l = loaded;
  if (!l) return reportError('not loaded yet: send playground:process:init first', data.id);
  if (crashed) return reportError(`count not run: this process crashed (${crashed})`, data.id);
  const n = /** @type {number} */ (data.n);
  const startedAt = nowMs();
  let counter;
  try {
    counter = l.wasm.addToCounter(n);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) return onTrap(e);
    return reportError(`count failed: ${errorMessage(l.panicError(e, scope))}`, data.id);
  }
  let sharedSeen = null;
  if (shared instanceof Int32Array) {
    for (let i = 0; i < n; i++) {
      lock(shared);
      shared[1] = shared[1] + 1; // a plain read and write: only the lock makes it safe
      unlock(shared);
    }
    sharedSeen = Atomics.load(shared, 1);
  }
  scope.postMessage({ type: MSG.processCount, id: data.id, counter, shared: sharedSeen, startedAt, finishedAt: nowMs() });
}

/**
 * Test hook: panic inside a future of this instance, as a bug in a task would.
 * @param {Record<string, unknown>} data
 */
function onPanicForTest(data) {
  const l = loaded;
  if (!l) return reportError('not loaded yet: send playground:process:init first', data.id);
  if (typeof data.message !== 'string') return reportError(`panic-for-test message: 'message' must be a string (got ${describe(data.message)})`, data.id);
  // The promise never settles: the trap comes from the event loop, to onTrap.
  void l.wasm.panicAfterForTest(data.message, 0);
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
      return onCount(data);
    case MSG.processPanicForTest:
      return onPanicForTest(data);
    default:
      return reportError(
        data.type.startsWith('playground:process:')
          ? `message '${data.type}' is not one a process accepts (init, task, count)`
          : `message '${data.type}' is not a playground:process:* message`,
        data.id,
      );
  }
});

scope.addEventListener('messageerror', () => reportError('a message could not be deserialized'));
