// The browser side of the benchmark: the real page, served as `npm start` serves it, in
// headless Chromium, driven through its URL (autorun), `window.playground` and
// `<html data-state>`, and, for the costs, the page's own modules from page.evaluate.

import { open } from '../tests/e2e/harness.mjs';

/** @typedef {import('playwright-core').Browser} Browser */

/**
 * Records when `<html data-state>` first becomes "ready", in ms since navigation start
 * (`performance.now()` counts from there). Installed before any page script runs.
 */
function readyProbe() {
  const w = /** @type {any} */ (window);
  // An autorun moves on from "ready" to "running" in the same task, so the observer may
  // only see the old value: the first record leaving "ready" counts too.
  new MutationObserver((records) => {
    const now = performance.now();
    const seen = records.some((r) => r.oldValue === 'ready') || document.documentElement?.dataset.state === 'ready';
    if (w.__benchReadyMs === undefined && seen) w.__benchReadyMs = now;
  }).observe(document, { attributes: true, attributeOldValue: true, subtree: true, attributeFilter: ['data-state'] });
}

/**
 * Open `url` in a fresh context (fresh profile state; the server sends no-store, so every
 * load is a first load), recording every page error.
 * @param {Browser} browser @param {string} url
 */
export async function openPage(browser, url) {
  return open(browser, url, { initScript: readyProbe });
}

/**
 * Wait until the page has been ready at least once; return ms from navigation start.
 * @param {import('playwright-core').Page} page
 */
async function readyMs(page) {
  await page.waitForFunction(() => /** @type {any} */ (window).__benchReadyMs !== undefined, null, { timeout: 30_000 });
  return page.evaluate(() => /** @type {any} */ (window).__benchReadyMs);
}

/**
 * Wait for the end of an autorun; fail unless it is "done".
 * @param {import('playwright-core').Page} page @param {string} what
 */
async function runToEnd(page, what, timeout = 180_000) {
  await page.waitForFunction(
    () => ['done', 'error', 'cancelled'].includes(document.documentElement.dataset.state ?? ''),
    null,
    { timeout },
  );
  const state = await page.evaluate(() => document.documentElement.dataset.state);
  if (state !== 'done') {
    const error = await page.locator('#error').textContent().catch(() => '');
    throw new Error(`${what}: the page ended in state ${state}: ${error}`);
  }
}

/**
 * Open an autorun URL, wait for it to finish, and return what the page measured: each
 * result (with its trace's spawn spans), the kernel speed it used, and its capabilities.
 * @param {Browser} browser @param {string} url @param {string} what
 */
export async function autorun(browser, url, what) {
  const { page, context, problems } = await openPage(browser, url);
  try {
    const ready = await readyMs(page);
    await runToEnd(page, what);
    const got = await page.evaluate(() => {
      const pg = /** @type {any} */ (window).playground;
      const traces = pg.traces();
      return {
        itersPerMs: pg.itersPerMs,
        caps: pg.caps,
        userAgent: navigator.userAgent,
        results: pg.results().map((/** @type {any} */ r, /** @type {number} */ i) => ({
          ...r,
          spawnMs: traces[i].spans
            .filter((/** @type {any} */ s) => s.state === 'spawn')
            .map((/** @type {any} */ s) => s.end_ms - s.start_ms),
        })),
      };
    });
    return { ...got, readyMs: ready, problems };
  } finally {
    await context.close();
  }
}

/**
 * Load the page without a scenario, time navigation start to ready, then measure with the
 * page's own modules: the kernel's speed once settled, threads-pool start-up on fresh
 * sizes, message round trips to a process worker, and a 1 MiB result coming back from one.
 * @param {Browser} browser @param {string} base @param {{poolSizes: number[], roundTrips: number, transfers: number}} opts
 */
export async function loadAndCosts(browser, base, opts) {
  const { page, context, problems } = await openPage(browser, base);
  try {
    const ready = await readyMs(page);
    const costs = await page.evaluate(async ({ poolSizes, roundTrips, transfers }) => {
      const { request, stop: stopHosts } = await import('./runners/threading.js');
      const { MSG, waitFor } = await import('./shared/protocol.js');
      const { startWorker, stopWorker } = await import('./runners/registry.js');
      const { engine } = await import('./engine.js');
      const { nowMs } = await import('./shared/clock.js');
      const { wasm, itersPerMs } = await engine();

      // The kernel once the page has settled: five fresh calibrations, and how long
      // 200 ms of work at the page's own load-time calibration really takes.
      await new Promise((r) => setTimeout(r, 200));
      const calibrations = Array.from({ length: 5 }, () => wasm.calibrate());
      const work200Ms = Array.from({ length: 3 }, () => wasm.kernelWork(200, itersPerMs));
      const kernel = { atLoad: itersPerMs, calibrations, work200Ms };

      // Threads-pool start-up: a fresh host worker of each size, from the page's request
      // to the answer of a one-element parallel sum (worker, module, pool, first job).
      /** @type {Record<number, {totalMs: number, hostMs: number, threads: number}>} */
      const pools = {};
      for (const n of poolSizes) {
        stopHosts();
        const t = performance.now();
        const { answer, ready, fresh } = await request(n, `threads=${n}&tasks=${n}`, { type: MSG.threadsSum, n: 1 });
        pools[n] = { totalMs: performance.now() - t, hostMs: fresh ? ready.t1 - ready.t0 : NaN, threads: answer.threads };
      }
      stopHosts();

      // One process worker with its own instance, as multiprocessing starts them.
      const worker = startWorker(new URL('./workers/process.js', location.href), 'process (bench)');
      const spawnStart = performance.now();
      const ready = waitFor(worker, MSG.processReady);
      worker.postMessage({ type: MSG.processInit, moduleUrl: new URL('./pkg/plain/concurrency_playground_bg.wasm', location.href).href });
      await ready;
      const processSpawnMs = performance.now() - spawnStart;
      let id = 0;

      // Small-message round trip: a count of 0 (a few fields each way), after a warm-up.
      const rtt = [];
      for (let i = 0; i < roundTrips + 20; i++) {
        const mine = ++id;
        const reply = waitFor(worker, MSG.processCount, { id: mine });
        const t = performance.now();
        worker.postMessage({ type: MSG.processCount, id: mine, index: 0, n: 0 });
        await reply;
        if (i >= 20) rtt.push(performance.now() - t);
      }

      // A task's result of payload_kb KiB: the one-way trip back (worker post -> page
      // receipt, on the shared epoch clock) and the whole round trip.
      /** @param {number} kb */
      const transfer = async (kb) => {
        const query = `workload=io&tasks=1&io_ms=0&payload_kb=${kb}`;
        const oneWay = [];
        const roundTrip = [];
        for (let i = 0; i < transfers + 2; i++) {
          const mine = ++id;
          const got = new Promise((resolve) => {
            const on = (/** @type {MessageEvent} */ ev) => {
              if (ev.data?.type === MSG.processResult && ev.data.id === mine) {
                worker.removeEventListener('message', on);
                resolve({ at: nowMs(), msg: ev.data });
              }
            };
            worker.addEventListener('message', on);
          });
          const t = nowMs();
          worker.postMessage({ type: MSG.processTask, id: mine, query, index: 0, itersPerMs, sentAt: t });
          const { at, msg } = /** @type {{at: number, msg: any}} */ (await got);
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
      return { kernel, pools, processSpawnMs, rtt, small, mib };
    }, opts);
    return { readyMs: ready, ...costs, problems };
  } finally {
    await context.close();
  }
}
