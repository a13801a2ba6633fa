// @ts-check
// The benchmark's hands inside the page: a module served beside the page as
// /__bench/helper.js (bench/browser.mjs serves www/ with it) and loaded into the page by a
// <script type=module>, so that it uses the page's own module instances: the page's warm
// WebAssembly core, its registry of workers, its spare processes. (A script that WebDriver runs
// in Firefox gets module instances of its own.) It puts `window.__bench` on the page.
import { engine } from '../engine.js';
import { nowMs } from '../shared/clock.js';
import { MSG, waitFor, errorMessage } from '../shared/protocol.js';
import { startWorker, stopWorker, liveWorkers } from '../runners/registry.js';
import { request, stop as stopHosts } from '../runners/threading.js';
import { compiledModule, keepSpares, startProcess, WARM_UP_MS } from '../runners/processes.js';

const PROCESS_URL = new URL('../workers/process.js', import.meta.url);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The kernel once the page has settled: five fresh calibrations, and how long 200 ms of work
 * at the page's own load-time calibration really takes.
 */
async function kernel() {
  const { wasm, itersPerMs } = await engine();
  await sleep(200);
  const calibrations = Array.from({ length: 5 }, () => wasm.calibrate());
  const work200Ms = Array.from({ length: 3 }, () => wasm.kernelWork(200, itersPerMs));
  return { atLoad: itersPerMs, calibrations, work200Ms };
}

/**
 * Thread pool start-up: a fresh host of each size, from the page's request to the answer of
 * a one-element parallel sum (host worker, threads build, the pool's threads, their warm-up,
 * the first job), and inside the host (init received to pool warmed up).
 * @param {number[]} sizes
 */
async function threadPools(sizes) {
  /** @type {Record<number, {totalMs: number, hostMs: number, threads: number, error?: string}>} */
  const pools = {};
  for (const n of sizes) {
    stopHosts();
    await sleep(300);
    const t = nowMs();
    try {
      const { answer, ready, fresh } = await request(n, `threads=${n}&tasks=${n}`, { type: MSG.threadsSum, n: 1 });
      pools[n] = { totalMs: nowMs() - t, hostMs: fresh ? ready.t1 - ready.t0 : NaN, threads: answer.threads };
    } catch (e) {
      // One size that fails (Firefox ESR's 64 threads can) leaves the others' figures standing.
      pools[n] = { totalMs: NaN, hostMs: NaN, threads: 0, error: errorMessage(e) };
    }
  }
  stopHosts();
  return pools;
}

/**
 * One process from request to ready, as the page starts it: from a spare worker whose script
 * and glue loaded in idle time (`keepSpares`, `startProcess`), its own instance, its warm-up.
 * And where that time goes, on a worker of our own: the script and glue loading (what a
 * spare does ahead), the init message's trip, the instance, the warm-up, the ready message's
 * trip back; and a start with nothing loaded ahead.
 * @param {number} reps
 */
async function processStarts(reps) {
  const module = await compiledModule();
  /** @type {{totalMs: number, spare: boolean}[]} */
  const page = [];
  for (let i = 0; i < reps; i++) {
    keepSpares(1);
    // A spare is started in idle time: give it time to load, as a learner's page has.
    await waitUntil(() => liveWorkers().includes('spare process'), 5000);
    await sleep(700);
    const started = startProcess('process (bench)', module, WARM_UP_MS);
    await started.ready;
    page.push({ totalMs: nowMs() - started.spawnedAt, spare: started.spare });
    stopWorker(started.worker);
  }
  keepSpares(0);

  /** @type {Record<string, number>[]} */
  const breakdown = [];
  for (let i = 0; i < reps; i++) {
    const made = nowMs();
    const worker = startWorker(PROCESS_URL, 'process (bench)');
    const { at: loaded } = await waitFor(worker, MSG.processLoaded);
    await sleep(100);
    const asked = nowMs();
    const ready = waitFor(worker, MSG.processReady);
    worker.postMessage({ type: MSG.processInit, module, warmUpMs: WARM_UP_MS });
    const r = await ready;
    const got = nowMs();
    stopWorker(worker);
    breakdown.push({
      scriptAndGlueMs: loaded - made,
      initMessageMs: r.t0 - asked,
      instanceMs: r.tInstance - r.t0,
      warmUpMs: r.t1 - r.tInstance,
      readyMessageMs: got - r.t1,
      fromRequestMs: got - asked,
    });
  }

  /** @type {number[]} a start with nothing loaded ahead: new Worker and init at once */
  const cold = [];
  for (let i = 0; i < reps; i++) {
    const made = nowMs();
    const worker = startWorker(PROCESS_URL, 'process (bench)');
    const ready = waitFor(worker, MSG.processReady);
    worker.postMessage({ type: MSG.processInit, module, warmUpMs: WARM_UP_MS });
    await ready;
    cold.push(nowMs() - made);
    stopWorker(worker);
  }
  return { page, breakdown, cold };
}

/**
 * Message costs on one process: a small round trip, and a task's result of 0 KiB and 1 MiB
 * coming back (one way, worker post to page receipt, on the shared epoch clock).
 * @param {number} roundTrips @param {number} transfers
 */
async function messages(roundTrips, transfers) {
  const { itersPerMs } = await engine();
  const module = await compiledModule();
  const worker = startWorker(PROCESS_URL, 'process (bench)');
  const ready = waitFor(worker, MSG.processReady);
  worker.postMessage({ type: MSG.processInit, module, warmUpMs: 0 });
  await ready;
  let id = 0;
  const rtt = [];
  for (let i = 0; i < roundTrips + 20; i++) {
    const mine = ++id;
    const reply = waitFor(worker, MSG.processCount, { id: mine });
    const t = nowMs();
    worker.postMessage({ type: MSG.processCount, id: mine, index: 0, n: 0 });
    await reply;
    if (i >= 20) rtt.push(nowMs() - t);
  }
  /** @param {number} kb */
  const transfer = async (kb) => {
    const query = `workload=io&tasks=1&io_ms=0&payload_kb=${kb}`;
    const oneWay = [];
    const roundTrip = [];
    for (let i = 0; i < transfers + 2; i++) {
      const mine = ++id;
      const reply = waitFor(worker, MSG.processResult, { id: mine });
      const t = nowMs();
      worker.postMessage({ type: MSG.processTask, id: mine, query, index: 0, itersPerMs });
      const msg = await reply;
      const at = nowMs();
      if (msg.payload?.byteLength !== kb * 1024) throw new Error(`payload of ${msg.payload?.byteLength} bytes, not ${kb} KiB`);
      if (i >= 2) {
        oneWay.push(at - msg.sentAt);
        roundTrip.push(at - t);
      }
    }
    return { oneWay, roundTrip };
  };
  const small = await transfer(0);
  const mib = await transfer(1024);
  stopWorker(worker);
  return { rtt, small, mib };
}

/** @param {() => boolean} ok @param {number} ms */
async function waitUntil(ok, ms) {
  const deadline = performance.now() + ms;
  while (!ok() && performance.now() < deadline) await sleep(20);
}

/** Wait until the page keeps `n` spare processes (or `ms` passed); how many it has. @param {number} n @param {number} ms */
async function spares(n, ms) {
  await waitUntil(() => liveWorkers().filter((r) => r === 'spare process').length >= n, ms);
  await sleep(500);
  return liveWorkers().filter((r) => r === 'spare process').length;
}

/** @type {any} */ (window).__bench = { kernel, threadPools, processStarts, messages, spares };
