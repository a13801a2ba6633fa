// @ts-check
/**
 * The threads host: a dedicated worker that owns the rayon pool of the threads build.
 *
 * Rayon must never run on the page's main thread: a thread waiting for work or for the
 * GIL blocks in `Atomics.wait`, which the main thread may not call. So the page talks to
 * this worker by messages, this worker starts the pool (wasm-bindgen-rayon spawns one more
 * worker per thread, all over one shared `WebAssembly.Memory`) and blocks while tasks run.
 */
import init, * as wasm from '../pkg/threads/concurrency_playground.js';
import { MSG, errorMessage } from './protocol.js';
import { nowMs } from '../clock.js';

/** @param {unknown} e */
function failure(e) {
  const panic = /** @type {any} */ (globalThis).__playgroundPanic;
  return panic ? `Rust panicked in a thread: ${panic}` : errorMessage(e);
}

/** @type {Promise<void> | null} */
let started = null;

self.addEventListener('message', async ({ data }) => {
  if (!data || typeof data.type !== 'string' || !data.type.startsWith('playground:threads:')) {
    // Not ours: rayon's helper workers and the browser may post here too.
    return;
  }
  const { type, id } = data;
  try {
    if (type === MSG.threadsInit) {
      if (started) throw new Error('threads: the pool is already started; start a new host for another size');
      const threads = Number(data.threads);
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
        throw new Error(`threads: ${data.threads} is out of range (valid: 1 to 64)`);
      }
      const t0 = nowMs();
      started = (async () => {
        await init({ module_or_path: new URL('../pkg/threads/concurrency_playground_bg.wasm', import.meta.url) });
        await wasm.initThreadPool(threads);
      })();
      await started;
      postMessage({ type: MSG.threadsReady, id, t0, t1: nowMs(), threads: wasm.poolThreads() });
      return;
    }
    if (!started) throw new Error(`threads: '${type}' before the pool was started`);
    await started;
    if (type === MSG.threadsRun) {
      const trace = wasm.runThreading(String(data.query), Number(data.itersPerMs), Number(data.originMs));
      postMessage({ type: MSG.threadsResult, id, trace });
    } else if (type === MSG.threadsRace) {
      postMessage({ type: MSG.threadsResult, id, race: wasm.raceLab(String(data.query)) });
    } else if (type === MSG.threadsSum) {
      postMessage({ type: MSG.threadsResult, id, sum: wasm.parallelSum(Number(data.n)), threads: wasm.poolThreads() });
    } else {
      throw new Error(`threads: '${type}' is not a message this worker understands`);
    }
  } catch (e) {
    postMessage({ type: MSG.error, id, message: failure(e) });
  }
});
