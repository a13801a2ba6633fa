// The end-to-end harness: a real static server (the `serve` package, configured by a file,
// as `npm start` runs it) and real headless Chromium from Debian, driven by playwright-core.
//
// Every page opened through `open` records page errors, console errors and CSP violations;
// `expectClean` fails the test on any of them.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Added to every port served: PLAYGROUND_PORT_OFFSET=100 lets two checkouts test at once. */
export const PORT_OFFSET = Number(process.env.PLAYGROUND_PORT_OFFSET ?? 0);
const SERVE = join(ROOT, 'node_modules/serve/build/main.js');

/**
 * Serve `dir` on `port` with a serve.json (`config`: a path, an object, or null for none);
 * it is up once `ready` (a path in `dir`) answers.
 * @returns {Promise<{url: string, stop: () => Promise<void>}>}
 */
export async function serve({ dir = 'www', port: asked, config = join(ROOT, 'serve.json'), ready = 'favicon.ico' }) {
  const root = resolve(ROOT, dir);
  const port = asked + PORT_OFFSET;
  if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) {
    throw new Error(`port ${port} is already in use: stop whatever serves there first`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'playground-serve-'));
  let configPath = join(tmp, 'none.json');
  writeFileSync(configPath, JSON.stringify({ cleanUrls: false, rewrites: [{ source: "/", destination: "/index.html" }] }));
  if (typeof config === 'string') configPath = config;
  else if (config) writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(process.execPath, [SERVE, '--config', configPath, '--listen', `tcp://127.0.0.1:${port}`, '--no-clipboard', '--no-request-logging', '--no-etag', root], {
    env: { ...process.env, NO_UPDATE_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a server behind, even when a test process dies.
  process.once('exit', () => child.kill());
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(url + ready);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`the server on port ${port} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill();
      await new Promise((r) => child.once('exit', r));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** What the playground's messages carry as `source` (www/embed.js). */
/**
 * The text of an inconclusive verdict that says why it cannot tell (the machine was busy,
 * rounds on both sides of the line, a measurement no machine could give, a speedup between
 * about 1x and clearly above) and asks for another run (www/views/verdicts.js).
 */
export const SAYS_WHY_AND_RUN_AGAIN = /(busy|rounds gave|measurement problem|between about 1x and clearly above 1).*run again$/;

export const SOURCE = 'concurrency-playground';

/**
 * A course page in `dir`/course, as an instructor's site would have it: no isolation headers
 * of its own, it embeds whatever `?src=` names, sizes the iframe from the height messages
 * and keeps every message it gets in `window.messages`; `window.send` posts to the frame.
 * @param {string} dir
 */
export function writeCoursePage(dir) {
  mkdirSync(join(dir, 'course'), { recursive: true });
  cpSync(join(ROOT, 'www/favicon.ico'), join(dir, 'course/favicon.ico'));
  writeFileSync(
    join(dir, 'course/index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>A course page</title><script src="course.js" defer></script></head>' +
      '<body><h1>Week 3: concurrency</h1><p>Try it:</p></body></html>',
  );
  writeFileSync(
    join(dir, 'course/course.js'),
    `const frame = document.createElement('iframe');
frame.src = new URLSearchParams(location.search).get('src');
frame.title = 'Concurrency Playground';
frame.width = '100%';
frame.height = '600';
frame.allow = 'cross-origin-isolated';
frame.style.border = '0';
document.body.append(frame);
window.messages = [];
window.addEventListener('message', (event) => {
  if (event.source !== frame.contentWindow || event.data?.source !== '${SOURCE}') return;
  window.messages.push(event.data);
  if (event.data.type === 'height') frame.height = String(event.data.height);
});
window.send = (message) => frame.contentWindow.postMessage(message, '*');
`,
  );
}

/**
 * A serve config that applies a `_headers` file the way Netlify and Cloudflare Pages do:
 * each path rule (`/*` = everything below) with the headers indented under it.
 * @param {string} file
 */
export function headersConfig(file) {
  const headers = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      // serve matches globs against the file's path: "/a/*" covers all of a/, so "a/**".
      headers.push({ source: line.trim().replace(/^\//, '').replace(/\*$/, '**'), headers: [] });
    } else {
      const [, key, value] = /^\s+([^:]+):\s*(.*)$/.exec(line) ?? [];
      assert.ok(key && headers.length, `a malformed _headers line: ${line}`);
      headers.at(-1).headers.push({ key, value });
    }
  }
  return { cleanUrls: false, rewrites: [{ source: '/', destination: '/index.html' }], headers };
}

/**
 * What a test file runs against: the servers named in `servers` (each `serve()`'s options)
 * and a browser, started before its first test and stopped after its last. The returned
 * object holds each server under its name, and `browser`, once the tests run.
 * @template {string} N
 * @param {Record<N, Parameters<typeof serve>[0]>} servers
 * @returns {Record<N, {url: string, stop: () => Promise<void>}> & {browser: import('playwright-core').Browser}}
 */
export function setUp(servers) {
  const env = /** @type {any} */ ({});
  before(async () => {
    for (const [name, opts] of Object.entries(servers)) env[name] = await serve(/** @type {any} */ (opts));
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    for (const name of Object.keys(servers)) await env[name]?.stop();
  });
  return env;
}

/** The flags Debian's Chromium needs as root in a container, and no traffic of its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's Chromium, as root in a container needs it, with a fresh profile. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/**
 * Every problem a Playwright page reports from now on: page errors, console errors, failed
 * requests and HTTP errors.
 * @param {import('playwright-core').Page} page
 * @returns {string[]}
 */
export function recordProblems(page) {
  /** @type {string[]} */
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/**
 * Open `url` in a new page that records every problem.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {{width?: number, height?: number, serviceWorkers?: 'allow' | 'block', initScript?: () => void}} [options]
 *   `serviceWorkers: 'block'` stands for a browser or host where the isolation service worker cannot run;
 *   `initScript` runs in every document of the context before the page's own scripts
 */
export async function open(browser, url, { width = 1440, height = 1000, serviceWorkers = 'allow', initScript } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, serviceWorkers });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const problems = recordProblems(page);
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  return { page, context, problems };
}

/** Fail on any page error, console error, failed request or CSP violation. */
export function expectClean(problems) {
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
}

/**
 * Wait for the page to be ready (loaded, calibrated, its controls enabled).
 * @param {import('playwright-core').Page} page
 */
export function ready(page, timeout = 30_000) {
  return page.waitForFunction(() => document.documentElement.dataset.state === 'ready', null, { timeout });
}

/**
 * Wait for the page to be ready and to have measured the machine (`data-cores`): the
 * probe's processes compute no more, so what computes from here is the run's and its spares'.
 * @param {import('playwright-core').Page} page
 */
export function prepared(page, timeout = 30_000) {
  return page.waitForFunction(() => document.documentElement.dataset.state === 'ready' && !!document.documentElement.dataset.cores, null, { timeout });
}

/**
 * Wait for the run to end, and return `data-state`.
 * @param {import('playwright-core').Page} page
 */
export async function waitForEnd(page, timeout = 60_000) {
  await page.waitForFunction(
    () => ['done', 'error', 'cancelled'].includes(document.documentElement.dataset.state ?? ''),
    null,
    { timeout },
  );
  return page.evaluate(() => document.documentElement.dataset.state);
}

/** The result rows: model, workload, variant, wall ms, speedup. */
export async function rows(page) {
  return page.$$eval('tr[data-model][data-workload]', (trs) =>
    trs.map((tr) => ({
      model: tr.dataset.model,
      workload: tr.dataset.workload,
      variant: tr.dataset.variant ?? '',
      wallMs: Number(tr.dataset.wallMs),
      speedup: tr.dataset.speedup === '' ? null : Number(tr.dataset.speedup),
    })),
  );
}
