// @ts-check
/**
 * The page's own WebAssembly instance (the plain build: no atomics, works on any page),
 * the kernel calibration, and what this page can do.
 */
import init, * as wasm from './pkg/plain/concurrency_playground.js';

/**
 * @typedef {object} Capabilities
 * @property {boolean} threads       whether the threads build can run here
 * @property {string} threadsReason  one line saying why not (empty when it can)
 * @property {number} cores          navigator.hardwareConcurrency
 * @property {boolean} sharedMemory  whether SharedArrayBuffer exists (the isolation lab's shared counter)
 */

/** @returns {Capabilities} */
export function capabilities() {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const sharedMemory = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
  if (!globalThis.crossOriginIsolated) {
    return {
      threads: false,
      threadsReason:
        'Threads are off: this page is not cross-origin isolated, so the browser withholds the shared memory threads need. ' +
        'Serve it with COOP same-origin and COEP require-corp (npm start does), or open it from a host that sends them.',
      cores,
      sharedMemory,
    };
  }
  if (typeof Worker !== 'function' || typeof Atomics?.wait !== 'function') {
    return { threads: false, threadsReason: 'Threads are off: this browser has no Workers with Atomics.wait.', cores, sharedMemory };
  }
  return { threads: true, threadsReason: '', cores, sharedMemory };
}

/** @type {Promise<{wasm: typeof wasm, itersPerMs: number}> | null} */
let ready = null;

/**
 * Load the plain build once and calibrate the CPU kernel on this machine: every model,
 * in every worker, uses this one figure, so "200 ms of work" is the same work everywhere.
 */
export function engine() {
  ready ??= (async () => {
    await init({ module_or_path: new URL('./pkg/plain/concurrency_playground_bg.wasm', import.meta.url) });
    const itersPerMs = wasm.calibrate();
    return { wasm, itersPerMs };
  })();
  return ready;
}

/**
 * Run `fn` and turn a WebAssembly trap into an Error that carries the Rust panic message.
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withPanicMessage(fn) {
  try {
    return await fn();
  } catch (e) {
    throw panicError(e);
  }
}

/** @param {unknown} e @param {any} [scope] */
export function panicError(e, scope = globalThis) {
  const panic = scope.__playgroundPanic;
  if (panic) {
    scope.__playgroundPanic = undefined;
    return new Error(`Rust panicked: ${panic}`);
  }
  return e instanceof Error ? e : new Error(String(e));
}
