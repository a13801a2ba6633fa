// @ts-check
/**
 * The threads host: a dedicated worker that owns the rayon pool of the threads build.
 *
 * Rayon must never run on the page's main thread: a thread waiting for work or for the
 * GIL blocks in `Atomics.wait`, which the main thread may not call. So the page talks to
 * this worker by messages, this worker starts the pool (wasm-bindgen-rayon spawns one more
 * worker per thread, all over one shared `WebAssembly.Memory`) and blocks while tasks run.
 *
 * - `threadsInit` {id, threads, panics} -> `threadsReady` {id, t0, t1, threads}; `panics`
 *   names the BroadcastChannel where a panic on any thread of the pool is reported
 *   (`threadsPanic` {message}): a pool thread's trap is seen by no one else, and this
 *   worker, blocked in the pool, could not pass it on
 * - `threadsRun` {id, query, itersPerMs, originMs} -> `threadsResult` {id, trace}
 * - `threadsRace` {id, query} -> `threadsResult` {id, race}
 * - `threadsSum` {id, n} -> `threadsResult` {id, sum, threads}
 * - `threadsPanicForTest` {id, message}: a pool thread panics (a test hook); no answer
 * - anything else -> `error` {id?, message}; the worker keeps running.
 */
import { MSG, errorMessage, describe } from './protocol.js';
import { nowMs } from '../clock.js';

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (globalThis));
const WASM_URL = new URL('../pkg/threads/concurrency_playground_bg.wasm', import.meta.url);

/** @type {typeof import('../pkg/threads/concurrency_playground.js') | null} */
let wasm = null;
/** @type {Promise<void> | null} */
let started = null;

/** @param {unknown} e */
function failure(e) {
  const panic = /** @type {any} */ (globalThis).__playgroundPanic;
  return panic ? `Rust panicked: ${panic}` : errorMessage(e);
}

/** @param {string} message @param {unknown} [id] the request's id, when it had a usable one */
function reportError(message, id) {
  scope.postMessage({ type: MSG.error, ...(typeof id === 'number' ? { id } : {}), message });
}

/**
 * Load the threads build and start its pool of `threads`. The glue is imported here, not
 * statically, so this worker's own message listener comes first (the glue's rayon helper,
 * workerHelpers.js, listens on this worker's messages too, and must never see one that is
 * not a pool's) and a missing file becomes a message that says what failed.
 * @param {number} threads @param {string} panics
 */
async function startPool(threads, panics) {
  let glue;
  try {
    glue = await import('../pkg/threads/concurrency_playground.js');
  } catch (e) {
    throw new Error(`threads: could not load the JavaScript glue of the threads build (${errorMessage(e)}); run the build first`);
  }
  try {
    await glue.default({ module_or_path: WASM_URL });
  } catch (e) {
    throw new Error(`threads: could not load the WebAssembly module ${WASM_URL.pathname} (${errorMessage(e)}); run the build first`);
  }
  if (panics) glue.reportPanicsTo(panics);
  await glue.initThreadPool(threads);
  wasm = glue;
}

/** @param {unknown} v */
const isCount = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
/** @param {unknown} v */
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/**
 * @param {Record<string, unknown>} data
 * @param {[string, (v: unknown) => boolean, string][]} fields name, check, what it must be
 */
function check(data, fields) {
  const bad = fields
    .filter(([name, ok]) => !ok(data[name]))
    .map(([name, , what]) => `'${name}' must be ${what} (got ${describe(data[name])})`);
  if (bad.length) throw new Error(`threads: ${String(data.type).replace('playground:threads:', '')} message: ${bad.join('; ')}`);
}

/** @param {Record<string, unknown>} data */
async function handle(data) {
  const type = /** @type {string} */ (data.type);
  const id = data.id;
  try {
    if (type === MSG.threadsInit) {
      check(data, [
        ['threads', (v) => Number.isInteger(v) && /** @type {number} */ (v) >= 1 && /** @type {number} */ (v) <= 64, 'a whole number from 1 to 64'],
        ['panics', (v) => v === undefined || typeof v === 'string', 'a BroadcastChannel name'],
      ]);
      if (started) throw new Error('threads: the pool is already started; start a new host for another size');
      const t0 = nowMs();
      started = startPool(/** @type {number} */ (data.threads), /** @type {string} */ (data.panics ?? ''));
      await started;
      scope.postMessage({ type: MSG.threadsReady, id, t0, t1: nowMs(), threads: wasm?.poolThreads() });
      return;
    }
    if (!started) throw new Error(`threads: '${type}' before the pool was started`);
    await started;
    const w = /** @type {NonNullable<typeof wasm>} */ (wasm);
    if (type === MSG.threadsRun) {
      check(data, [
        ['query', (v) => typeof v === 'string', 'a query string'],
        ['itersPerMs', (v) => isNumber(v) && /** @type {number} */ (v) > 0, 'a positive number'],
        ['originMs', isNumber, 'a time in ms'],
      ]);
      const trace = w.runThreading(String(data.query), Number(data.itersPerMs), Number(data.originMs));
      scope.postMessage({ type: MSG.threadsResult, id, trace });
    } else if (type === MSG.threadsRace) {
      check(data, [['query', (v) => typeof v === 'string', 'a query string']]);
      scope.postMessage({ type: MSG.threadsResult, id, race: w.raceLab(String(data.query)) });
    } else if (type === MSG.threadsSum) {
      check(data, [['n', isCount, 'an integer from 0 to 4294967295']]);
      scope.postMessage({ type: MSG.threadsResult, id, sum: w.parallelSum(Number(data.n)), threads: w.poolThreads() });
    } else if (type === MSG.threadsPanicForTest) {
      w.panicInThreadForTest(String(data.message ?? 'panic'));
    } else {
      throw new Error(`threads: message '${type}' is not one the threads host accepts (init, run, race, sum)`);
    }
  } catch (e) {
    reportError(failure(e), id);
  }
}

scope.addEventListener('message', (/** @type {MessageEvent} */ ev) => {
  const data = ev.data;
  if (!data || typeof data !== 'object' || typeof data.type !== 'string' || !data.type.startsWith('playground:threads:')) {
    // Not ours, so no one's: the rayon helper must not act on it either.
    ev.stopImmediatePropagation();
    const what = data && typeof data === 'object' && typeof data.type === 'string' ? `message '${data.type}'` : `a message (${describe(data)})`;
    return reportError(`threads: ${what} is not a playground:threads:* message`, data?.id);
  }
  void handle(data);
});

scope.addEventListener('messageerror', () => reportError('threads: a message could not be deserialized'));
