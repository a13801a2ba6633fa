// @ts-check
/**
 * The page's own WebAssembly instance (the plain build: no atomics, works on any page),
 * the schema it carries, and the kernel's calibration on this machine.
 */
import * as glue from './pkg/plain/concurrency_playground.js';
import { panicError } from './shared/protocol.js';

/**
 * The page's instance: the plain build's exports. After a trap the instance is replaced,
 * and this object with it (its functions are swapped in place), so whoever holds it calls
 * the new instance.
 * @type {typeof glue}
 */
const wasm = /** @type {any} */ ({ ...glue });

/** @type {Promise<{wasm: typeof wasm, itersPerMs: number}> | null} */
let ready = null;
/** @type {Promise<typeof wasm> | null} */
let instance = null;
/** How many instances the page has loaded; every one after the first replaces a trapped one. */
let loads = 0;
/** Whether a new instance is loading after a trap. */
let reloading = false;
let watching = false;
let itersPerMs = 0;
/** Runs on the page's instance waiting for their answer: each rejects on a trap. */
const waiting = /** @type {Set<(e: Error) => void>} */ (new Set());

/**
 * Load an instance of the plain build. The glue keeps its instance in a module variable
 * and initialises once, so a new instance needs a new copy of the glue: the same file
 * under another URL is another module.
 */
async function load() {
  const fresh = loads === 0 ? glue : await import(`./pkg/plain/concurrency_playground.js?instance=${loads}`);
  loads += 1;
  await fresh.default({ module_or_path: new URL('./pkg/plain/concurrency_playground_bg.wasm', import.meta.url) });
  Object.assign(wasm, fresh);
  performance.mark(`playground:loaded${loads > 1 ? `-${loads}` : ''}`);
}

/** Calibration calls; the fastest wins (a slower one was interrupted, or ran unoptimised code). */
const CALIBRATION_CALLS = 3;

/**
 * Measure the kernel's speed once the page is idle: a few calls of the kernel's default
 * rounds, each in its own macrotask so the page stays responsive and a call after the
 * engine has optimised the kernel runs the optimised code, after the load's own work
 * (module compiles on other threads, first layout) has settled. Calibrated during that
 * work, the figure came out up to 20% low on a 2-core machine, and "200 ms" of work then
 * took 166 ms; calibrated in rounds of 3 ms, it came out about 5% high, and every
 * context then seemed to compute at 80-90% of its speed. The page is ready before this
 * ends (main.js); a run waits for it.
 */
async function calibrate() {
  let best = 0;
  for (let i = 0; i < CALIBRATION_CALLS; i++) {
    await new Promise((r) => setTimeout(r, i === 0 ? 50 : 0));
    best = Math.max(best, wasm.calibrate());
  }
  performance.mark('playground:calibrated');
  return best;
}

function start() {
  const loading = load().then(() => wasm);
  const calibrated = loading.then(async () => {
    itersPerMs ||= await calibrate();
    return { wasm, itersPerMs };
  });
  calibrated.catch(() => {
    if (ready === calibrated) ready = null; // try again next time
  });
  instance = loading;
  ready = calibrated;
  return calibrated;
}

/**
 * The page's instance as soon as it is loaded, before calibration: enough to parse
 * parameters, build the form and say the page is ready.
 */
export function loaded() {
  engine();
  return /** @type {Promise<typeof wasm>} */ (instance);
}

/**
 * Load the plain build once and calibrate the CPU kernel on this machine: every model,
 * in every worker, runs this many iterations for "200 ms of work", and each context
 * reports the speed it really ran at. After a trap this is the new instance (with the
 * same calibration).
 */
export function engine() {
  if (!ready) {
    watchTraps();
    start();
  }
  return /** @type {Promise<{wasm: typeof wasm, itersPerMs: number}>} */ (ready);
}

/**
 * A trap of the page's instance: fail the runs waiting on it, stop what is left of them on
 * the old instance (their timers would call back into it) and load a new instance, since
 * the old one may be broken (a lock held, a stack never unwound).
 * @param {unknown} trap
 */
function trapped(trap) {
  const error = panicError(trap);
  for (const fail of waiting) fail(error);
  if (!reloading) {
    reloading = true;
    try {
      wasm.stopRuns();
    } catch {
      // The old instance is past helping; its runs end when their timers find nothing.
    }
    const done = () => (reloading = false);
    start().then(done, done);
  }
  return error;
}

/**
 * A panic inside a future is a trap thrown from the event loop (wasm-bindgen-futures
 * polls in a microtask), not from the call that started the run: its promise never
 * settles. The window's `error` event is where it shows.
 */
function watchTraps() {
  if (watching || typeof window === 'undefined') return;
  watching = true;
  window.addEventListener('error', (ev) => {
    if (!(ev.error instanceof WebAssembly.RuntimeError)) return;
    // A run is waiting: the trap becomes that run's error, not an uncaught one.
    if (waiting.size > 0) ev.preventDefault();
    trapped(ev.error);
  });
}

/**
 * Run `fn` on the page's instance and turn a WebAssembly trap, thrown by it or from the
 * event loop while it runs, into an Error that carries the Rust panic message. With a
 * `signal`, Stop also stops the run inside the instance.
 * @template T
 * @param {() => Promise<T>} fn
 * @param {AbortSignal} [signal]
 * @returns {Promise<T>}
 */
export async function withPanicMessage(fn, signal) {
  /** @type {(e: Error) => void} */
  let fail = () => {};
  const trap = new Promise((_, reject) => (fail = reject));
  const stop = () => wasm.stopRuns();
  waiting.add(fail);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await Promise.race([fn(), /** @type {Promise<never>} */ (trap)]);
  } catch (e) {
    throw e instanceof WebAssembly.RuntimeError ? trapped(e) : panicError(e);
  } finally {
    waiting.delete(fail);
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * @typedef {object} Schema what the page needs of the Rust schema (`boundary::page::schema`)
 * @property {import('./shared/types.js').Spec[]} params
 * @property {{maxAsyncioTasks: number, maxTasksOther: number, maxLoopBlockMs: number, maxThreads: number, maxProcesses: number, maxRepeat: number}} limits
 * @property {string[]} models
 * @property {string[]} workloads
 * @property {string[]} labs
 * @property {string[]} states
 * @property {string} lagLane
 * @property {string} lagState the state of the lag lane's spans
 * @property {number} beatMs
 */

/** The page's instance, once loaded (its functions are swapped in place after a trap). */
export function core() {
  return wasm;
}

/** @type {Schema | null} */
let schemaCache = null;

/**
 * The schema, from the page's instance: the one place the parameters, limits and names
 * are defined. Call once the instance is loaded.
 * @returns {Schema}
 */
export function schema() {
  schemaCache ??= /** @type {Schema} */ (wasm.schema());
  return schemaCache;
}
