// @ts-check
/**
 * Starting a process: a module worker (`workers/process.js`) that instantiates its own copy
 * of the plain build from a module the page compiled once, and warms its kernel up. The
 * baseline and multiprocessing both start their workers here.
 *
 * Like CPython's `forkserver`, which keeps a server process that has imported everything
 * and forks each new process from it, the page keeps a few spare workers that have loaded
 * their script and the glue, started in idle time. A new process is a spare made into a
 * process: its own instance and memory, made when asked for. That is a real start of a new
 * process, and what a cold pool counts; what it does not count is the worker's script
 * loading, done ahead, as forkserver's imports are.
 */
import { MSG, waitFor, errorMessage } from '../shared/protocol.js';
import { startWorker, stopWorker, renameWorker, isLive, busyWorkers, stopFlagFor } from './registry.js';
import { whenIdle } from '../shared/idle.js';

const PROCESS_URL = new URL('../workers/process.js', import.meta.url);
const WASM_URL = new URL('../pkg/plain/concurrency_playground_bg.wasm', import.meta.url);

/** How long a process warms its kernel up before CPU work, at least, ms. */
export const WARM_UP_MS = 10;

/** @type {Promise<WebAssembly.Module> | null} */
let compiled = null;

/**
 * The plain build, compiled once on the page and posted to every process: compiling is
 * shared (engines also share the compiled code), instantiating is each process's own.
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

/** The role of a spare worker in the registry. */
const SPARE = 'spare process';

/** @typedef {{worker: Worker, loaded: Promise<number>}} Spare a worker and when its script had loaded */

/** @type {Spare[]} spares, oldest first */
const spares = [];
/** How many spares to keep. */
let wanted = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let refilling;
/** Whether refilling waits for the page to ask again: after Stop the machine stays quiet. */
let held = false;

/** A new spare worker: its script and the glue load now, its instance is made later. */
function spare() {
  const worker = startWorker(PROCESS_URL, SPARE);
  const loaded = waitFor(worker, MSG.processLoaded).then((m) => /** @type {number} */ (m.at));
  loaded.catch(() => {
    const i = spares.findIndex((s) => s.worker === worker);
    if (i >= 0) spares.splice(i, 1);
    stopWorker(worker);
  });
  return { worker, loaded };
}

/** Forget the spares someone else terminated (a fault stops every worker): they are gone. */
function forgetDeadSpares() {
  const alive = spares.filter((s) => isLive(s.worker));
  spares.splice(0, spares.length, ...alive);
}

/**
 * Start missing spares, one per idle moment, so the page never stalls making them; none
 * while a run's workers compute: loading a spare beside a Pool(8) on 2 cores took CPU from
 * its processes and the page (walls 10-20% longer, the page's loop lag p99 doubled).
 */
function refill() {
  clearTimeout(refilling);
  refilling = undefined;
  forgetDeadSpares();
  if (held || spares.length >= wanted) return;
  refilling = setTimeout(
    () =>
      whenIdle(() => {
        if (held) return;
        if (busyWorkers().length) return refill();
        if (spares.length < wanted) spares.push(spare());
        refill();
      }),
    busyWorkers().length ? 100 : 0,
  );
}

/**
 * Keep `n` spare workers ready (started in idle time), so that up to `n` processes start at
 * once: the page asks for as many as its scenario's pool.
 * @param {number} n
 */
export function keepSpares(n) {
  wanted = Math.max(0, n);
  held = false;
  while (spares.length > wanted) {
    const s = /** @type {Spare} */ (spares.shift());
    stopWorker(s.worker);
  }
  refill();
}

/**
 * After Stop: make no spares until the page asks again (an edit, the next run). Loading
 * them would burn CPU in the seconds after Stop, and a run started then would be measured
 * beside it.
 */
export function holdSpares() {
  held = true;
  clearTimeout(refilling);
  refilling = undefined;
}

/** Terminate the spares (a fault: start clean); they come back in idle time. */
export function stopSpares() {
  for (const s of spares.splice(0)) stopWorker(s.worker);
  refill();
}

/**
 * @typedef {object} Started
 * @property {Worker} worker
 * @property {number} spawnedAt when the process was asked for (absolute ms)
 * @property {boolean} spare whether it was made from a spare worker
 * @property {Promise<{t0: number, tInstance: number, t1: number, speed: number}>} ready its ready message
 */

/**
 * Start a process under `role` (e.g. "process 3") from `module`, warming its kernel up for
 * `warmUpMs` (0: not at all, for work that does not compute): from a spare if there is one,
 * else from a new worker.
 * @param {string} role @param {WebAssembly.Module} module @param {number} warmUpMs
 * @param {AbortSignal} [signal]
 * @returns {Started}
 */
export function startProcess(role, module, warmUpMs, signal) {
  const spawnedAt = performance.timeOrigin + performance.now();
  held = false;
  forgetDeadSpares();
  const from = spares.shift();
  const worker = from?.worker ?? startWorker(PROCESS_URL, role);
  if (from) renameWorker(worker, role);
  const ready = waitFor(worker, MSG.processReady, { signal }).catch((e) => {
    throw e instanceof DOMException ? e : new Error(`${role}: ${errorMessage(e).replace(/^process: /, '')}`);
  });
  ready.catch(() => {});
  worker.postMessage({ type: MSG.processInit, module, warmUpMs, stop: stopFlagFor(worker) });
  // The next spare loads once this process is ready: loading beside its warm-up, on a
  // machine with few cores, made the start up to three times as long.
  ready.then(refill, refill);
  return { worker, spawnedAt, spare: !!from, ready };
}

/** How long the processes of `measureParallelism` compute together, ms, and how often. */
const SPIN_MS = 120;
const SPIN_WINDOWS = 2;

/**
 * How many processes really compute at once here: `n` processes compute together for
 * 120 ms, twice, and the work they did, over the calibrated speed, is the parallel capacity
 * the page gets (1.9 for two processes on 2 free cores; about 2 for four processes there too).
 * `navigator.hardwareConcurrency` is only a hint: WebKitGTK says 4 on 2 cores, every iPhone
 * says 4, Apple Silicon counts its efficiency cores. Other work on the machine lowers the
 * figure, never raises it.
 * @param {number} n @param {number} itersPerMs
 * @returns {Promise<number>}
 */
export async function measureParallelism(n, itersPerMs) {
  const module = await compiledModule();
  const started = Array.from({ length: n }, (_, i) => startProcess(`cores probe ${i}`, module, 30));
  try {
    await Promise.all(started.map((p) => p.ready));
    // Two windows, the better counts: the page's own work after load (a frame drawn in
    // software, a module compiled) comes in bursts.
    let best = 0;
    for (let window = 0; window < SPIN_WINDOWS; window++) {
      const from = performance.timeOrigin + performance.now() + 30;
      const answers = started.map((p, i) => {
        const id = window * n + i;
        const answer = waitFor(p.worker, MSG.processSpin, { id });
        p.worker.postMessage({ type: MSG.processSpin, id, from, ms: SPIN_MS, itersPerMs });
        return answer;
      });
      const done = await Promise.all(answers);
      best = Math.max(best, done.reduce((sum, m) => sum + /** @type {number} */ (m.workMs), 0) / SPIN_MS);
    }
    return best;
  } finally {
    for (const p of started) stopWorker(p.worker);
  }
}
