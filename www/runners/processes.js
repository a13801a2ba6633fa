// @ts-check
/**
 * Starting a process: a module worker (`workers/process.js`) that instantiates its own copy
 * of the plain build from a module the page compiled once, and warms its kernel up. The
 * baseline and multiprocessing both start their workers here.
 */
import { MSG, waitFor, errorMessage } from '../shared/protocol.js';
import { startWorker } from './registry.js';

const PROCESS_URL = new URL('../workers/process.js', import.meta.url);
const WASM_URL = new URL('../pkg/plain/concurrency_playground_bg.wasm', import.meta.url);

/** @type {Promise<WebAssembly.Module> | null} */
let compiled = null;

/**
 * The plain build, compiled once on the page and posted to every process: compiling is
 * shared (engines also share the compiled code), instantiating is each process's own, so a
 * process still pays for its worker, its JS import and its instance and memory.
 *
 * Streaming compilation needs the host to serve `.wasm` as `application/wasm`; a host that
 * does not (some static hosts serve `application/octet-stream`) gets the module compiled
 * from its bytes instead.
 * @returns {Promise<WebAssembly.Module>}
 */
export function compiledModule() {
  compiled ??= (async () => {
    const response = await fetch(WASM_URL);
    if (!response.ok) {
      throw new Error(`multiprocessing: could not fetch the WebAssembly module ${WASM_URL.pathname} (HTTP ${response.status}); run the build first`);
    }
    const type = response.headers.get('content-type') ?? '';
    if (typeof WebAssembly.compileStreaming === 'function' && type.split(';')[0].trim() === 'application/wasm') {
      return WebAssembly.compileStreaming(response);
    }
    return WebAssembly.compile(await response.arrayBuffer());
  })().catch((e) => {
    compiled = null; // try again on the next run
    throw e;
  });
  return compiled;
}

/**
 * @typedef {object} Started
 * @property {Worker} worker
 * @property {number} spawnedAt when `new Worker` was called (absolute ms)
 * @property {Promise<{t0: number, t1: number, speed: number}>} ready its ready message
 */

/**
 * Start a process under `role` (e.g. "process 3") from `module`, warming its kernel up for
 * `warmUpMs` (0: not at all, for work that does not compute).
 * @param {string} role @param {WebAssembly.Module} module @param {number} warmUpMs
 * @param {AbortSignal} [signal]
 * @returns {Started}
 */
export function startProcess(role, module, warmUpMs, signal) {
  const spawnedAt = performance.timeOrigin + performance.now();
  const worker = startWorker(PROCESS_URL, role);
  const ready = waitFor(worker, MSG.processReady, { signal }).catch((e) => {
    throw e instanceof DOMException ? e : new Error(`${role}: ${errorMessage(e).replace(/^process: /, '')}`);
  });
  ready.catch(() => {});
  worker.postMessage({ type: MSG.processInit, module, warmUpMs });
  return { worker, spawnedAt, ready };
}

/** How long a process warms its kernel up before CPU work, ms. */
export const WARM_UP_MS = 60;
