// @ts-check
/**
 * The threads host: a dedicated worker that owns the rayon pool of the threads build.
 *
 * Rayon must never run on the page's main thread: a thread waiting for work or for the
 * GIL blocks in `Atomics.wait`, which the main thread may not call. So the page talks to
 * this worker by messages, this worker starts the pool (wasm-bindgen-rayon wants one more
 * worker per thread, all over one shared `WebAssembly.Memory`, which the page starts for it:
 * see PageThread below) and blocks while tasks run.
 * Because it blocks, Stop cannot reach it as a message: it shares its memory with the page,
 * which raises the stop flag at `cancelAddress` in it.
 *
 * - `threadsInit` {id, query, panics, warmUpMs?} -> `threadsReady` {id, t0, t1, threads,
 *   speed, memory, cancelAddress, live}: a pool of the size the scenario in `query` asks for,
 *   warmed up; `panics` names the BroadcastChannel where a panic on any thread of the pool
 *   is reported (`threadsPanic` {message}): a pool thread's trap is seen by no one else,
 *   and this worker, blocked in the pool, could not pass it on
 * - `threadsRun` {id, query, itersPerMs, originMs, poolAskedMs?, poolReadyMs?} ->
 *   `threadsStarted` {id, lanes}, then `threadsResult` {id, trace}; meanwhile every thread
 *   writes its spans to the ring at `live` (the layout `liveSpans()` reports) in the memory
 *   the page shares, which the page reads while this worker is blocked
 * - `threadsRace` {id, query} -> `threadsResult` {id, race}
 * - `threadsSum` {id, n} -> `threadsResult` {id, sum, threads}
 * - `threadsSubmit` {id, query, task, itersPerMs, session, channel} -> `threadsResult`
 *   {id, accepted} at once: an event loop's job (`asyncio.to_thread`) goes to the next free
 *   thread of the pool, and its answer {session, task, done} goes to the BroadcastChannel
 *   `channel` when it is done; this worker is not blocked meanwhile
 * - `threadsFromThread` {thread, data}: what pool thread `thread` posted, relayed by the page
 *   (this worker asks for each thread with `threadsSpawn` and sends it `threadsToThread`)
 * - anything else -> `error` {id?, message}; the worker keeps running.
 */
import { MSG, errorMessage, describe, fieldProblems, isCount, isNumber, postError } from '../shared/protocol.js';
import { nowMs } from '../shared/clock.js';

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (globalThis));
const WASM_URL = new URL('../pkg/threads/concurrency_playground_bg.wasm', import.meta.url);

/** @type {typeof import('../pkg/threads/concurrency_playground.js') | null} */
let wasm = null;
/** @type {Promise<void> | null} */
let started = null;

/**
 * The pool's threads, started by the page. wasm-bindgen-rayon's helper starts each pool
 * thread with `new Worker` in this worker, and Firefox ESR now and then blocks a worker for
 * good inside such a nested `new Worker` (in about a third of the starts of 8 threads here,
 * docs/engines.md), while it never blocked on workers the page starts (0 of 36 starts of 8
 * and 64). So in this worker `Worker` is a thread the page starts on request: the helper's
 * two messages (its init to the thread, the thread's ready back) pass through the page,
 * and the page terminates the threads with this host (runners/threading.js).
 */
const poolThreads = /** @type {PageThread[]} */ ([]);
class PageThread extends EventTarget {
  /** @param {string | URL} url */
  constructor(url) {
    super();
    this.thread = poolThreads.push(this) - 1;
    scope.postMessage({ type: MSG.threadsSpawn, thread: this.thread, url: String(url) });
  }

  /** @param {unknown} data */
  postMessage(data) {
    scope.postMessage({ type: MSG.threadsToThread, thread: this.thread, data });
  }

  /** The page terminates the pool's threads with their host. */
  terminate() {}
}
/** @type {any} */ (globalThis).Worker = PageThread;

/** @param {unknown} e */
function failure(e) {
  const panic = /** @type {any} */ (globalThis).__playgroundPanic;
  return panic ? `Rust panicked: ${panic}` : errorMessage(e);
}

/** @param {Record<string, unknown>} data @param {[string, (v: unknown) => boolean, string][]} fields */
function check(data, fields) {
  const bad = fieldProblems(data, fields);
  if (bad) throw new Error(`threads: ${String(data.type).replace('playground:threads:', '')} message: ${bad}`);
}

/**
 * Load the threads build and start its pool. The glue is imported here, not statically,
 * so this worker's own message listener comes first (the glue's rayon helper,
 * workerHelpers.js, listens on this worker's messages too, and must never see one that is
 * not a pool's) and a missing file becomes a message that says what failed.
 * @param {string} query @param {string} panics
 * @returns {Promise<{memory: WebAssembly.Memory}>}
 */
async function startPool(query, panics) {
  let glue;
  try {
    glue = await import('../pkg/threads/concurrency_playground.js');
  } catch (e) {
    throw new Error(`threads: could not load the JavaScript glue of the threads build (${errorMessage(e)})`);
  }
  let exports;
  try {
    exports = await glue.default({ module_or_path: WASM_URL });
  } catch (e) {
    throw new Error(`threads: could not load the WebAssembly module ${WASM_URL.pathname} (${errorMessage(e)})`);
  }
  if (panics) glue.reportPanicsTo(panics);
  await glue.initThreadPool(glue.threadCount(query));
  wasm = glue;
  return { memory: /** @type {WebAssembly.Memory} */ (/** @type {any} */ (exports).memory) };
}

/** @param {Record<string, unknown>} data */
async function handle(data) {
  const type = /** @type {string} */ (data.type);
  const id = data.id;
  try {
    if (type === MSG.threadsInit) {
      check(data, [
        ['query', (v) => typeof v === 'string', 'a query string'],
        ['panics', (v) => v === undefined || typeof v === 'string', 'a BroadcastChannel name'],
        ['warmUpMs', (v) => v === undefined || (isNumber(v) && /** @type {number} */ (v) >= 0), 'a number of ms'],
      ]);
      if (started) throw new Error('threads: the pool is already started; start a new host for another size');
      const t0 = nowMs();
      const pool = startPool(String(data.query), /** @type {string} */ (data.panics ?? ''));
      started = pool.then(() => {});
      // Reported below; a later message awaits it and reports it again.
      started.catch(() => {});
      const { memory } = await pool;
      const w = /** @type {NonNullable<typeof wasm>} */ (wasm);
      const warmUpMs = Math.min(Number(data.warmUpMs ?? 0), 1000);
      const speed = warmUpMs > 0 ? w.warmUpPool(warmUpMs, 4 * warmUpMs) : 0;
      scope.postMessage({ type: MSG.threadsReady, id, t0, t1: nowMs(), threads: w.poolThreads(), speed, memory, cancelAddress: w.cancelAddress(), live: w.liveSpans() });
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
        ['poolAskedMs', (v) => v == null || isNumber(v), 'a time in ms'],
        ['poolReadyMs', (v) => v == null || isNumber(v), 'a time in ms'],
      ]);
      const asked = /** @type {number | undefined} */ (data.poolAskedMs ?? undefined);
      const ready = /** @type {number | undefined} */ (data.poolReadyMs ?? undefined);
      scope.postMessage({ type: MSG.threadsStarted, id, lanes: w.threadingLanes(String(data.query)) });
      const trace = w.runThreading(String(data.query), Number(data.itersPerMs), Number(data.originMs), asked, ready);
      scope.postMessage({ type: MSG.threadsResult, id, trace });
    } else if (type === MSG.threadsRace) {
      check(data, [['query', (v) => typeof v === 'string', 'a query string']]);
      scope.postMessage({ type: MSG.threadsResult, id, race: w.raceLab(String(data.query)) });
    } else if (type === MSG.threadsSubmit) {
      check(data, [
        ['query', (v) => typeof v === 'string', 'a query string'],
        ['task', isCount, 'a task index, an integer from 0'],
        ['itersPerMs', (v) => isNumber(v) && /** @type {number} */ (v) > 0, 'a positive number'],
        ['session', isCount, 'a session number'],
        ['channel', (v) => typeof v === 'string' && v !== '', 'a BroadcastChannel name'],
      ]);
      w.submitJob(String(data.query), Number(data.task), Number(data.itersPerMs), Number(data.session), String(data.channel));
      scope.postMessage({ type: MSG.threadsResult, id, accepted: true });
    } else if (type === MSG.threadsSum) {
      check(data, [['n', isCount, 'an integer from 0 to 4294967295']]);
      scope.postMessage({ type: MSG.threadsResult, id, sum: w.parallelSum(Number(data.n)), threads: w.poolThreads() });
    } else {
      throw new Error(`threads: message '${type}' is not one the threads host accepts (init, run, race, sum, submit)`);
    }
  } catch (e) {
    postError(scope, failure(e), id);
  }
}

scope.addEventListener('message', (/** @type {MessageEvent} */ ev) => {
  const data = ev.data;
  if (!data || typeof data !== 'object' || typeof data.type !== 'string' || !data.type.startsWith('playground:threads:')) {
    // Not ours, so no one's: the rayon helper must not act on it either.
    ev.stopImmediatePropagation();
    const what = data && typeof data === 'object' && typeof data.type === 'string' ? `message '${data.type}'` : `a message (${describe(data)})`;
    return postError(scope, `threads: ${what} is not a playground:threads:* message`, data?.id);
  }
  if (data.type === MSG.threadsFromThread) {
    const to = poolThreads[Number(data.thread)];
    if (to) to.dispatchEvent(new MessageEvent('message', { data: data.data }));
    else postError(scope, `threads: a message from thread ${describe(data.thread)}, which this host did not start`);
    return;
  }
  void handle(data);
});

scope.addEventListener('messageerror', () => postError(scope, 'threads: a message could not be deserialized'));
