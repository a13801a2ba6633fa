// @ts-check
// The browser side of the benchmark, in any engine of tests/e2e/engines.mjs (Chromium,
// Firefox ESR, WebKitGTK): the real page, served as `npm start` serves it, driven through its
// URL (autorun), `window.playground` and `<html data-state>`; for the costs, the page's own
// modules through bench/page-helper.js, served beside the page.
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, serve } from '../tests/e2e/harness.mjs';
import { settle, ready } from '../tests/e2e/engines-page.mjs';

/** @typedef {import('../tests/e2e/engines.mjs').Browser} Browser */
/** @typedef {import('../tests/e2e/engines.mjs').Page} Page */

const SIZE = { width: 1280, height: 900 };

/**
 * Serve www/ as `npm start` does, with the benchmark's helper beside it at
 * /__bench/helper.js: target/bench-www/ links every entry of www/ and holds the helper.
 * @param {number} port
 */
export function serveWithHelper(port) {
  const dir = join(ROOT, 'target/bench-www');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '__bench'), { recursive: true });
  for (const name of readdirSync(join(ROOT, 'www'))) symlinkSync(join(ROOT, 'www', name), join(dir, name));
  copyFileSync(join(ROOT, 'bench/page-helper.js'), join(dir, '__bench/helper.js'));
  const config = { ...JSON.parse(readFileSync(join(ROOT, 'serve.json'), 'utf8')), symlinks: true };
  return serve({ dir, port, config });
}

/**
 * Load the helper into the page, as a module of the page's own (so it shares the page's
 * module instances), and wait until `window.__bench` is there.
 * @param {Page} page
 */
async function withHelper(page) {
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.type = 'module';
    s.src = new URL('./__bench/helper.js', location.href).href;
    document.head.append(s);
  });
  await page.waitFor(() => !!(/** @type {any} */ (window).__bench), { timeout: 20_000 });
}

/**
 * When `<html data-state>` first became "ready", ms from navigation start.
 * @param {Page} page
 */
const readyMs = (page) => page.evaluate(() => performance.getEntriesByName('playground:ready')[0]?.startTime ?? NaN);

/** @param {Page} page @param {string} what */
async function runToEnd(page, what, timeout = 240_000) {
  const state = await settle(page, timeout);
  if (state !== 'done') throw new Error(`${what}: the page ended in state ${state}: ${await page.text('#error')}`);
}

/**
 * Every round's results of the page's last run, with the spawn spans of each (the
 * processes' start-ups), without the traces themselves.
 * @param {Page} page
 */
function results(page) {
  return page.evaluate(() => {
    const pg = /** @type {any} */ (window).playground;
    const traces = pg.traces();
    return {
      itersPerMs: pg.itersPerMs,
      caps: pg.caps,
      userAgent: navigator.userAgent,
      results: pg.results().map((/** @type {any} */ r, /** @type {number} */ i) => {
        const { lab, ...rest } = r;
        return {
          ...rest,
          spawnMs: traces[i].spans.filter((/** @type {any} */ s) => s.state === 'spawn').map((/** @type {any} */ s) => s.end_ms - s.start_ms),
        };
      }),
    };
  });
}

/**
 * Open an autorun URL, wait for it to finish, and return what the page measured.
 * @param {Browser} browser @param {string} url @param {string} what
 */
export async function autorun(browser, url, what) {
  const page = await browser.open(url, SIZE);
  try {
    await runToEnd(page, what);
    const got = await results(page);
    return { ...got, readyMs: await readyMs(page), problems: await page.problems() };
  } finally {
    await page.close();
  }
}

/**
 * Page load to ready: a fresh load of the page (the server sends no-store: every load is a
 * first load), navigation start to `data-state="ready"`, and to the kernel calibrated.
 * @param {Browser} browser @param {string} base
 */
export async function loadToReady(browser, base) {
  const page = await browser.open(base, SIZE);
  try {
    await ready(page);
    // The calibration follows ready at once (www/engine.js).
    let calibratedMs = NaN;
    for (let i = 0; i < 100 && Number.isNaN(calibratedMs); i++) {
      calibratedMs = await page.evaluate(() => performance.getEntriesByName('playground:calibrated')[0]?.startTime ?? NaN);
      if (Number.isNaN(calibratedMs)) await new Promise((r) => setTimeout(r, 50));
    }
    return { readyMs: await readyMs(page), calibratedMs, problems: await page.problems() };
  } finally {
    await page.close();
  }
}

/**
 * The costs, with the page's own modules: the kernel once settled, thread pool start-ups,
 * process start-ups and their breakdown, and messages to a process.
 * @param {Browser} browser @param {string} base
 * @param {{poolSizes: number[], processStarts: number, roundTrips: number, transfers: number}} opts
 */
export async function pageCosts(browser, base, opts) {
  const page = await browser.open(base, SIZE);
  try {
    await ready(page);
    await withHelper(page);
    /** @param {string} name @param {any[]} args */
    const call = (name, ...args) => page.evaluate((/** @type {string} */ n, /** @type {any[]} */ a) => /** @type {any} */ (window).__bench[n](...a), name, args);
    const kernel = await call('kernel');
    const pools = await call('threadPools', opts.poolSizes);
    const processes = await call('processStarts', opts.processStarts);
    const msgs = await call('messages', opts.roundTrips, opts.transfers);
    const failedPools = Object.entries(pools)
      .filter(([, p]) => p.error)
      .map(([n, p]) => `a thread pool of ${n} did not start: ${p.error}`);
    return { kernel, pools, processes, ...msgs, problems: [...(await page.problems()), ...failedPools] };
  } finally {
    await page.close();
  }
}

/**
 * A Pool of `processes` on CPU work as a learner's page runs it: the page loaded and idle
 * long enough to have its spare workers ready, then Run. The cold row's spawn spans are the
 * processes' start-ups; the lag meter covers the cold pool and the warm one.
 * @param {Browser} browser @param {string} base @param {string} query
 */
export async function coldPool(browser, base, query) {
  const page = await browser.open(`${base}?${query}`, SIZE);
  try {
    await ready(page);
    await withHelper(page);
    const processes = Number(new URLSearchParams(query).get('processes'));
    const spares = await page.evaluate((/** @type {number} */ n) => /** @type {any} */ (window).__bench.spares(n, 15_000), processes + 1);
    await page.evaluate(() => void (/** @type {any} */ (window).playground.run()));
    await runToEnd(page, `Pool(${processes})`);
    const got = await results(page);
    return { ...got, spares, problems: await page.problems() };
  } finally {
    await page.close();
  }
}

/**
 * A thread pool resized by an edit, as a learner does it: a run on 2 threads, the threads
 * field changed to `to`, a pause of `pauseMs`, then Run. The page starts the new pool ahead
 * in idle time once the edit rests; the row says how long its run waited for a pool
 * (`startupMs`) and its note, when the pool was started ahead, what that took.
 * @param {Browser} browser @param {string} base @param {number} to @param {number} pauseMs
 */
export async function resize(browser, base, to, pauseMs) {
  const page = await browser.open(`${base}?models=threading&workload=cpu&tasks=4&cpu_ms=20&threads=2&gil=off`, SIZE);
  try {
    await ready(page);
    await page.evaluate(() => void (/** @type {any} */ (window).playground.run()));
    await runToEnd(page, 'threads, 2');
    // The field may sit in a closed section of the form: set it as typing would.
    await page.evaluate((/** @type {number} */ n) => {
      const input = /** @type {HTMLInputElement} */ (document.getElementById('p-threads'));
      input.value = String(n);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, to);
    await new Promise((r) => setTimeout(r, pauseMs));
    await page.evaluate(() => void (/** @type {any} */ (window).playground.run()));
    await runToEnd(page, `threads, ${to}`);
    const row = await page.evaluate(() => /** @type {any} */ (window).playground.results()[0]);
    const ahead = /started ahead, while the page was idle: it took (\d+) ms/.exec(row.note ?? '');
    return { waitedMs: row.startupMs, aheadMs: ahead ? Number(ahead[1]) : null, label: row.label, note: row.note, problems: await page.problems() };
  } finally {
    await page.close();
  }
}
