// @ts-check
// The playground's page contract over the engine-neutral harness (engines.mjs): the end of a
// run, its result rows, the notice, and the page's own verdicts on what it measured. Shared by
// the engines tests and the benchmark; every function works the same in Chromium, Firefox ESR
// and WebKitGTK.
import assert from 'node:assert/strict';
import { ENGINES, launch } from './engines.mjs';
import { SAYS_WHY_AND_RUN_AGAIN } from './harness.mjs';

/** @typedef {import('./engines.mjs').Engine} Engine */
/** @typedef {import('./engines.mjs').Page} Page */
/** @typedef {import('./engines.mjs').Browser} Browser */

/**
 * The engines to test: all three, or those `ENGINES=firefox,webkit` names.
 * @returns {Engine[]}
 */
export function enginesToTest() {
  const only = process.env.ENGINES?.split(',').filter(Boolean);
  for (const e of only ?? []) assert.ok(ENGINES.includes(/** @type {Engine} */ (e)), `ENGINES: unknown engine '${e}' (known: ${ENGINES.join(', ')})`);
  return /** @type {Engine[]} */ (only ?? ENGINES);
}

/**
 * WebKitGTK ships with SharedArrayBuffer off at run time (Safari has it on for isolated
 * pages); this JavaScriptCore option in the browser's environment turns it on.
 */
export const WEBKIT_SAB = { env: { JSC_useSharedArrayBuffer: 'true' } };

/**
 * Wait until the page's state is `done`, `error` or `cancelled`, across a reload on the way
 * (the isolation service worker's), and return it.
 * @param {Page} page
 */
export async function settle(page, timeout = 120_000) {
  return page.waitFor(
    () => {
      const s = document.documentElement.dataset.state ?? '';
      return ['done', 'error', 'cancelled'].includes(s) && s;
    },
    { timeout, interval: 200 },
  );
}

/** @param {Page} page */
export function ready(page, timeout = 30_000) {
  return page.waitFor(() => document.documentElement.dataset.state === 'ready', { timeout });
}

/**
 * @typedef {object} Row a result row as the page shows it (`tr[data-model][data-workload]`)
 * @property {string} model @property {string} workload @property {string} variant
 * @property {number} wallMs @property {number | null} speedup
 * @property {number | null} speedupMin @property {number | null} speedupMax @property {number} rounds
 */

/**
 * The result rows.
 * @param {Page} page
 * @returns {Promise<Row[]>}
 */
export function rows(page) {
  return page.evaluate(() => {
    const n = (/** @type {string | undefined} */ v) => (v === undefined || v === '' ? null : Number(v));
    return [...document.querySelectorAll('tr[data-model][data-workload]')].map((tr) => {
      const d = /** @type {HTMLElement} */ (tr).dataset;
      return {
        model: d.model ?? '',
        workload: d.workload ?? '',
        variant: d.variant ?? '',
        wallMs: Number(d.wallMs),
        speedup: n(d.speedup),
        speedupMin: n(d.speedupMin),
        speedupMax: n(d.speedupMax),
        rounds: Number(d.rounds),
      };
    });
  });
}

/**
 * The notice's lines (`#notice p`), none when it is hidden.
 * @param {Page} page
 * @returns {Promise<string[]>}
 */
export function notices(page) {
  return page.evaluate(() => {
    const box = document.getElementById('notice');
    if (!box || box.hidden) return [];
    return [...box.querySelectorAll('p')].map((p) => p.textContent ?? '');
  });
}

/**
 * @typedef {object} Judged a row and the page's own verdict on it
 * @property {string} model @property {string} workload @property {string} variant
 * @property {number | null} speedup @property {number | null} speedRatio
 * @property {string} status confirmed, contradicted, inconclusive, untestable or baseline
 * @property {string} text the verdict's words, as the matrix would show them
 */

/**
 * The page's own verdict on every row of the last run (`views/verdicts.js` over
 * `views/summary.js`, as the matrix of Compare all gives them). The page's noise probe is
 * its own and not exposed; what stands in for it is the baseline's kernel speed over the
 * calibration (the sequential row's `speedRatio`): other work that slowed the baseline
 * inflates every speedup measured against it. Each row's own kernel speed counts too, as in
 * the page. Only pure modules are imported: in Firefox a script run through WebDriver gets
 * module instances of its own, not the page's.
 * @param {Page} page
 * @returns {Promise<{probe: number | null, cores: number, judged: Judged[]}>}
 */
export function verdicts(page) {
  return page.evaluate(async () => {
    const at = (/** @type {string} */ p) => new URL(p, location.href).href;
    const [{ verdict }, { summarize }] = await Promise.all([import(at('./views/verdicts.js')), import(at('./views/summary.js'))]);
    const pg = /** @type {any} */ (window).playground;
    const q = new URLSearchParams(location.search);
    /** The scenario's figures, with the URL contract's defaults. */
    const n = (/** @type {string} */ k, /** @type {number} */ d) => (q.has(k) ? Number(q.get(k)) : d);
    const summaries = summarize(pg.results());
    const baselines = summaries.filter((/** @type {any} */ s) => s.model === 'sequential' && s.speedRatio != null).map((/** @type {any} */ s) => s.speedRatio);
    const probe = baselines.length ? Math.min(...baselines) : null;
    const options = { cores: pg.caps.cores, tasks: n('tasks', 8), ioMs: n('io_ms', 200), cpuMs: n('cpu_ms', 200), peers: summaries, probe };
    return {
      probe,
      cores: pg.caps.cores,
      judged: summaries.map((/** @type {any} */ s) => {
        const v = verdict(s, options);
        return { model: s.model, workload: s.workload, variant: s.variant, speedup: s.speedup, speedRatio: s.speedRatio, status: v.status, text: v.text };
      }),
    };
  });
}

/**
 * Whether a verdict lands on CPython's side: confirmed, or inconclusive where the page says
 * why it cannot tell (the machine was busy, a measurement no machine could give, a speedup
 * between about 1x and clearly above) and asks for another run. Never the other side of 1x.
 * @param {Judged} j
 */
export function onCPythonsSide(j) {
  if (j.status === 'confirmed' || j.status === 'baseline') return true;
  return j.status === 'inconclusive' && SAYS_WHY_AND_RUN_AGAIN.test(j.text);
}

/** @param {Judged[]} judged */
export const describeVerdicts = (judged) =>
  judged.map((j) => `${j.model}/${j.workload}${j.variant ? `/${j.variant}` : ''}: ${j.status} (${j.text}; speed ${j.speedRatio?.toFixed(2) ?? '-'})`).join('\n');

/**
 * Open an autorun URL and wait for its end.
 * @param {Browser} browser @param {string} url
 * @param {{timeout?: number, width?: number, height?: number}} [options]
 */
export async function autorun(browser, url, { timeout = 120_000, width = 1280, height = 900 } = {}) {
  const page = await browser.open(url, { width, height });
  const state = await settle(page, timeout);
  const error = (await page.text('#error')) ?? '';
  return { page, state, error };
}

/**
 * One browser for a whole test file, started by the first test that asks for it: a browser
 * or driver that is missing fails every test that needs it, with what to install, never
 * skips it.
 * @param {Engine} engine @param {import('./engines.mjs').LaunchOptions} [options]
 */
export function sharedBrowser(engine, options = {}) {
  /** @type {Promise<Browser> | null} */
  let launching = null;
  return {
    get: () => (launching ??= launch(engine, options)),
    async close() {
      const browser = await launching?.catch(() => null);
      await browser?.close();
    },
  };
}
