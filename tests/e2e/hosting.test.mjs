// Static hosting and embedding, end to end, on dist/ as `npm run dist` writes it:
// a host with no headers (the service worker isolates the page after one reload, or threads
// are off with their reason), a host that applies dist/_headers, a course page on another
// origin embedding embed.html (messages only to and from its origin), the strict CSP (the
// header's, and the same in the page's <meta> for hosts without headers), and dist/ under a
// sub-path.
//
// Ports 8320-8329 only, one server each. `npm test` builds dist/ before these run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { ROOT, SOURCE, PORT_OFFSET, serve, launch, open, expectClean, waitForEnd, ready, rows, headersConfig, writeCoursePage } from './harness.mjs';

const DIST = join(ROOT, 'dist');
/** A static host that sends nothing special: no COOP, COEP, CORP or CSP (GitHub Pages). */
const PLAIN = { cleanUrls: false, rewrites: [{ source: '/', destination: '/index.html' }] };


/**
 * Go to `url` counting the main frame's navigations (the one reload coi.js may make is one).
 * @param {import('playwright-core').Page} page
 */
async function gotoCounting(page, url) {
  const nav = { count: 0 };
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) nav.count++;
  });
  await page.goto(url);
  return nav;
}

/** waitForEnd, across the one reload a page may make on its way. */
async function settle(page, timeout = 90_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await waitForEnd(page, Math.max(1000, deadline - Date.now()));
    } catch (e) {
      if (Date.now() < deadline && /context was destroyed|navigat/i.test(String(e))) continue;
      throw e;
    }
  }
}

/** A reload aborts the first load's module fetches: those are no problem, anything else is. */
const withoutAborts = (problems) => problems.filter((p) => !/^request failed: .* net::ERR_ABORTED$/.test(p));

const IO_ALL = '?workload=io&tasks=4&io_ms=100&threads=4&processes=2&run=1';
const THREADS_CPU = '?models=sequential,threading&workload=cpu&tasks=4&cpu_ms=40&threads=4&run=1';

let browser, tmp, plain, headed, strict, parent, sub, subHeaded;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `npm run dist` (npm test does)');
  tmp = mkdtempSync(join(tmpdir(), 'playground-hosting-'));
  writeCoursePage(tmp);
  // dist/ in a folder of a bigger site, as a course server would hold it.
  cpSync(DIST, join(tmp, 'site/course/playground'), { recursive: true });
  cpSync(join(DIST, 'favicon.ico'), join(tmp, 'site/favicon.ico'));
  execFileSync(process.execPath, [join(ROOT, 'scripts/headers.mjs'), join(tmp, 'sub_headers'), '/course/playground/']);
  // The deployment an instructor makes for their course site, here the course page's origin:
  // FRAME_ANCESTORS names the pages that may embed the playground (docs/embedding.md).
  execFileSync(process.execPath, [join(ROOT, 'scripts/headers.mjs'), join(tmp, 'course_headers')], {
    env: { ...process.env, FRAME_ANCESTORS: `'self' http://localhost:${8322 + PORT_OFFSET}` },
  });

  browser = await launch();
  plain = await serve({ dir: DIST, port: 8320, config: PLAIN });
  headed = await serve({ dir: DIST, port: 8321, config: headersConfig(join(tmp, 'course_headers')) });
  // The same deployment as built by default (any HTTPS site may embed it, no http one).
  strict = await serve({ dir: DIST, port: 8325, config: headersConfig(join(DIST, '_headers')) });
  parent = await serve({ dir: join(tmp, 'course'), port: 8322, config: null });
  // serve, with cleanUrls off, only maps "/" to an index; static hosts map every folder.
  const folder = [{ source: '/course/playground', destination: '/course/playground/index.html' }];
  sub = await serve({ dir: join(tmp, 'site'), port: 8323, config: { ...PLAIN, rewrites: folder } });
  subHeaded = await serve({ dir: join(tmp, 'site'), port: 8324, config: { ...headersConfig(join(tmp, 'sub_headers')), rewrites: folder } });
});
after(async () => {
  await browser?.close();
  for (const s of [plain, headed, strict, parent, sub, subHeaded]) await s?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------- (a) a host with no headers

/**
 * On a host that sends no headers, the service worker isolates the page after exactly one
 * reload, every model runs (threading too), and nothing reloads again.
 */
test('(a) no headers: the service worker isolates the page after one reload, and every model runs', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await open(browser, 'about:blank');
  const nav = await gotoCounting(page, plain.url + IO_ALL);
  assert.equal(await settle(page), 'done');
  const got = await page.evaluate(() => ({
    isolated: crossOriginIsolated,
    coi: document.documentElement.dataset.coi,
    notice: document.getElementById('notice')?.hidden ? '' : document.getElementById('notice')?.textContent,
    scope: navigator.serviceWorker.controller?.scriptURL ?? null,
  }));
  const models = (await rows(page)).map((r) => r.model);
  for (const m of ['sequential', 'asyncio', 'multiprocessing']) assert.ok(models.includes(m), `${m} ran: ${models}`);
  assert.equal(got.isolated, true, `not isolated by the service worker (coi: ${got.coi}; notice: ${got.notice})`);
  assert.equal(nav.count, 2, 'isolated by the service worker after exactly one reload');
  assert.equal(got.scope, `${plain.url}coi-sw.js`);
  assert.ok(models.includes('threading'), 'threading ran');
  // No loop: nothing navigates after the run.
  await page.waitForTimeout(1500);
  assert.equal(nav.count, 2, 'no second reload');
  expectClean(withoutAborts(problems));
  await context.close();
});

/** Where no service worker can help, threading is off with its one-line reason and the rest runs, with no reload. */
test('(a) no headers and no service worker: threads off with the reason, the rest runs', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await open(browser, 'about:blank', { serviceWorkers: 'block' });
  const nav = await gotoCounting(page, plain.url + IO_ALL);
  assert.equal(await settle(page), 'done');
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  assert.equal(nav.count, 1, 'no reload');
  const notice = await page.locator('#notice').textContent();
  assert.match(notice, /Threads are off: this page is not cross-origin isolated/);
  assert.match(await page.locator('#notice').textContent(), /Threading is left out of this run/);
  const models = (await rows(page)).map((r) => r.model).sort();
  assert.deepEqual([...new Set(models)], ['asyncio', 'multiprocessing', 'sequential']);
  assert.equal(await page.locator('[data-param=models] input[value=threading]').isDisabled(), true);
  expectClean(problems);
  await context.close();
});

/** The reload guard: a tab that has had its one reload never gets another, isolated or not. */
test('(a) the one-reload guard holds: no second automatic reload', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await open(browser, 'about:blank');
  const search = '?models=sequential,asyncio&workload=io&tasks=2&io_ms=50&run=1';
  // As if this tab had just reloaded automatically and the worker still could not isolate it.
  await page.addInitScript((key) => sessionStorage.setItem(key, String(Date.now())), `concurrency-playground:coi-reloaded:/${search}`);
  const nav = await gotoCounting(page, plain.url + search);
  assert.equal(await settle(page), 'done');
  await page.waitForTimeout(1500);
  assert.equal(nav.count, 1);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.coi), 'reloaded-not-isolated');
  expectClean(problems);
  await context.close();
});

/**
 * A forced reload (Ctrl+Shift+R) bypasses the service worker: the page comes back under it
 * with one more reload, isolated, and threads run again, however late in the tab's session.
 */
test('(a) a forced reload on a host without headers gets threads back', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await open(browser, 'about:blank');
  const search = '?models=sequential,threading&workload=io&tasks=2&io_ms=50&threads=2&run=1';
  const nav = await gotoCounting(page, plain.url + search);
  assert.equal(await settle(page), 'done');
  assert.equal(nav.count, 2, 'isolated after one reload');
  // Later in the session (past the window in which a reload that did not help gives up):
  // Shift+Reload, which bypasses the worker.
  await page.waitForTimeout(10_500);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Page.reload', { ignoreCache: true });
  assert.equal(await settle(page), 'done');
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'isolated again');
  assert.equal(nav.count, 4, 'the forced reload, and one more under the worker');
  const models = (await rows(page)).map((r) => r.model);
  assert.ok(models.includes('threading'), `threading ran: ${models}`);
  expectClean(withoutAborts(problems));
  await context.close();
});

// ---------------------------------------------------------------- (b) a host that applies _headers

/** dist/_headers holds the isolation headers for everything and DIP for the embed, as a host sends them. */
test('(b) _headers: the rules a host applies', async () => {
  const page = await fetch(headed.url);
  assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal(page.headers.get('cross-origin-resource-policy'), 'same-origin');
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(page.headers.get('document-isolation-policy'), null);
  const embed = await fetch(headed.url + 'embed.html');
  assert.equal(embed.headers.get('document-isolation-policy'), 'isolate-and-require-corp');
  assert.equal(embed.headers.get('cross-origin-embedder-policy'), 'require-corp');
  const text = readFileSync(join(DIST, '_headers'), 'utf8');
  assert.match(text, /^\/\*$/m);
  assert.match(text, /^\/embed\.html$/m);
  assert.match(text, /^\/embed$/m, 'Cloudflare Pages serves embed.html as /embed');
});

/**
 * With _headers applied the page is isolated at its first load, with no reload: the
 * service worker comes later, only to keep the page for offline use. A threading autorun
 * completes.
 */
test('(b) _headers: isolated at once, no reload, threading runs', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await open(browser, 'about:blank');
  const nav = await gotoCounting(page, headed.url + THREADS_CPU);
  assert.equal(await settle(page), 'done');
  assert.equal(nav.count, 1);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.coi), 'isolated');
  const threading = (await rows(page)).find((r) => r.model === 'threading');
  assert.ok(threading && threading.wallMs > 0, 'a threading row');
  expectClean(problems);
  await context.close();
});

// ---------------------------------------------------------------- (c) embedded in a course page

/**
 * @param {string} src the embed's URL
 * @param {string} courseUrl the course page's origin, e.g. http://localhost:8322/
 */
async function openCourse(src, courseUrl) {
  const { page, problems, context } = await open(browser, `${courseUrl}?src=${encodeURIComponent(src)}`);
  const messages = async () => page.evaluate(() => window.messages);
  const waitFor = async (pred, what, timeout = 90_000) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = (await messages()).filter(pred);
      if (found.length) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} message; got ${JSON.stringify(await messages()).slice(0, 2000)}`);
      await page.waitForTimeout(200);
    }
  };
  const frame = () => page.frames().find((f) => f.parentFrame() === page.mainFrame());
  return { page, problems, context, messages, waitFor, frame };
}

/**
 * A course page on another site (localhost against 127.0.0.1, no isolation headers) embeds
 * embed.html from a host with _headers: Document-Isolation-Policy isolates the iframe, a
 * threading autorun completes inside it, and the parent gets ready, height and results.
 */
test('(c) embedded cross-site with Document-Isolation-Policy: isolated, threading runs, messages arrive', { timeout: 120_000 }, async () => {
  const course = await openCourse(`${headed.url}embed.html${THREADS_CPU}`, parent.url.replace('127.0.0.1', 'localhost'));
  const [ready] = await course.waitFor((m) => m.type === 'ready', 'ready');
  assert.equal(ready.version, 1);
  assert.equal(ready.crossOriginIsolated, true);
  assert.equal(ready.threads, true);
  const [results] = await course.waitFor((m) => m.type === 'results', 'results');
  assert.deepEqual(results.results.map((r) => r.model), ['sequential', 'threading']);
  assert.ok(results.results.every((r) => r.wallMs > 0));
  assert.match(results.query, /models=sequential,threading/);
  const heights = await course.waitFor((m) => m.type === 'height', 'height');
  assert.ok(heights.every((m) => Number.isInteger(m.height) && m.height > 100 && m.height < 5000), JSON.stringify(heights));
  const frame = course.frame();
  assert.equal(await frame.evaluate(() => crossOriginIsolated), true);
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.state), 'done');
  // The parent sized the iframe to the last height it was told, and the embed's height settled.
  await course.page.waitForTimeout(800);
  const last = (await course.messages()).filter((m) => m.type === 'height').at(-1).height;
  assert.equal(await course.page.evaluate(() => document.querySelector('iframe').height), String(last));
  assert.equal(await frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height)), last);
  // The compact view: the controls, Run, the timeline and the rows; the rest hidden.
  for (const sel of ['#scenario', '#run', '#timeline canvas', '#results', '#open-full']) {
    assert.ok(await frame.locator(sel).first().isVisible(), `${sel} shows`);
  }
  for (const sel of ['.presets', '#compare', '#sweep', '#share', '#python-section', '.models', '.site-footer', '.subtitle']) {
    assert.equal(await frame.locator(sel).first().isVisible(), false, `${sel} hides`);
  }
  assert.equal(
    await frame.locator('#open-full').getAttribute('href'),
    'index.html?workload=cpu&tasks=4&cpu_ms=40&threads=4&models=sequential,threading',
  );
  expectClean(course.problems);
  await course.context.close();
});

/** frame-ancestors holds: a page that is not on the deployment's list cannot embed it. */
test('(c) a course page not named in FRAME_ANCESTORS cannot embed the playground', { timeout: 60_000 }, async () => {
  const course = await open(browser, `http://localhost:${8322 + PORT_OFFSET}/?src=${encodeURIComponent(`${strict.url}embed.html`)}`);
  await course.page.waitForTimeout(2500);
  const violations = course.problems.filter((p) => /frame-ancestors|Refused to frame/i.test(p));
  const frame = course.page.frames().find((f) => f !== course.page.mainFrame());
  const loaded = frame ? await frame.evaluate(() => document.documentElement.dataset.state ?? '').catch(() => '') : '';
  assert.equal(loaded, '', 'the playground did not load inside the page');
  assert.ok(violations.length > 0, 'the browser refused to frame it');
  await course.context.close();
});

/**
 * Messages from the parent: malformed ones are ignored and counted, nothing in them reaches
 * the page, nor does a command from a frame of a third origin; a well-formed {type: 'run'}
 * from the parent starts a run.
 */
test('(c) the embed ignores malformed messages and obeys a well-formed run', { timeout: 120_000 }, async () => {
  const course = await openCourse(`${headed.url}embed.html?models=sequential,asyncio&workload=io&tasks=2&io_ms=50`, parent.url.replace('127.0.0.1', 'localhost'));
  await course.waitFor((m) => m.type === 'ready', 'ready');
  const frame = course.frame();
  await course.page.evaluate((source) => {
    for (const m of [
      'run',
      null,
      [source, 'run'],
      { type: 'run' },
      { source: 'someone-else', type: 'run' },
      { source, type: '<img src=x onerror="window.pwned=1">' },
      { source, type: 'constructor' },
      { source, type: 'run', html: '<b>bold</b>' },
    ]) {
      window.send(m);
    }
  }, SOURCE);
  await frame.waitForFunction(() => window.playground.ignoredMessages === 8);
  // A well-formed run from a frame of a third origin beside the embed (127.0.0.1, where the
  // course page is localhost): not the parent, so ignored too.
  const thirdUrl = `${parent.url}?src=about:blank`;
  await course.page.evaluate((src) => {
    const third = document.createElement('iframe');
    third.src = src;
    document.body.append(third);
    return new Promise((resolve) => (third.onload = resolve));
  }, thirdUrl);
  const third = course.page.frames().find((f) => f.url() === thirdUrl);
  await third.evaluate((source) => window.parent.frames[0].postMessage({ source, type: 'run' }, '*'), SOURCE);
  await frame.waitForFunction(() => window.playground.ignoredMessages === 9);
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.state), 'ready', 'nothing ran');
  assert.equal(await frame.evaluate(() => window.pwned ?? null), null);
  assert.equal(await frame.locator('img').count(), 0);
  await course.page.evaluate((source) => window.send({ source, type: 'run' }), SOURCE);
  const [results] = await course.waitFor((m) => m.type === 'results', 'results');
  assert.deepEqual(results.results.map((r) => r.model), ['sequential', 'asyncio']);
  assert.equal(await frame.evaluate(() => window.playground.ignoredMessages), 9);
  expectClean(course.problems);
  await course.context.close();
});

/**
 * The embed addresses every message to the course page's origin, never '*': a spy in the
 * embed (an init script standing in for `window.parent`, whose cross-origin postMessage no
 * script can wrap) records each target, and the course page, on another origin, gets ready,
 * height and results from the playground's origin.
 */
test('(c) the embed posts to the course page\'s origin only', { timeout: 120_000 }, async () => {
  const courseUrl = parent.url.replace('127.0.0.1', 'localhost');
  const src = `${headed.url}embed.html?models=sequential,asyncio&workload=io&tasks=2&io_ms=50&run=1`;
  const { page, problems, context } = await open(browser, `${courseUrl}?src=${encodeURIComponent(src)}`, {
    initScript: () => {
      const w = /** @type {any} */ (window);
      if (window.parent === window) {
        w.received = [];
        window.addEventListener('message', (e) => w.received.push({ type: e.data?.type, origin: e.origin }));
        return;
      }
      if (!location.pathname.endsWith('/embed.html')) return;
      const real = window.parent;
      w.posted = [];
      const spy = {
        postMessage: (/** @type {any} */ message, /** @type {string} */ targetOrigin) => {
          w.posted.push({ type: message?.type, targetOrigin });
          real.postMessage(message, targetOrigin);
        },
      };
      Object.defineProperty(window, 'parent', { get: () => spy });
    },
  });
  await page.waitForFunction(() => window.received.some((m) => m.type === 'results'), null, { timeout: 90_000 });
  const frame = page.frames().find((f) => f.url().startsWith(headed.url));
  const posted = await frame.evaluate(() => window.posted);
  const types = new Set(posted.map((p) => p.type));
  for (const type of ['ready', 'height', 'results']) assert.ok(types.has(type), `posted ${type}: ${JSON.stringify(posted)}`);
  assert.deepEqual([...new Set(posted.map((p) => p.targetOrigin))], [new URL(courseUrl).origin], 'every message to the course page\'s origin');
  // Every message posted so far arrives (a height may still be on its way).
  await page.waitForFunction((n) => window.received.length >= n, posted.length);
  const received = await page.evaluate(() => window.received);
  assert.deepEqual([...new Set(received.map((m) => m.origin))], [new URL(headed.url).origin], 'from the playground\'s origin');
  expectClean(problems);
  await context.close();
});

/**
 * The parent's origin as the embed names it, in Node with the page's globals stood in: from
 * location.ancestorOrigins, or from the referrer in a browser without it (which no engine
 * tested here is); none for an opaque or file:// parent, no referrer, or no parent at all.
 */
test('(c) the parent\'s origin: from ancestorOrigins, else the referrer, else none', async () => {
  const cases = [
    [{ ancestorOrigins: ['https://lms.example.edu'], referrer: 'https://elsewhere.example/' }, 'https://lms.example.edu'],
    [{ ancestorOrigins: ['null'], referrer: 'https://elsewhere.example/' }, null],
    [{ ancestorOrigins: ['file://'] }, null],
    [{ referrer: 'https://course.example.edu:8443/week3/page.html?x=1' }, 'https://course.example.edu:8443'],
    [{ referrer: 'http://localhost:8322/' }, 'http://localhost:8322'],
    [{ referrer: '' }, null],
    [{ referrer: 'file:///home/me/course.html' }, null],
    [{ top: true, ancestorOrigins: [], referrer: 'https://course.example.edu/' }, null],
  ];
  const g = /** @type {any} */ (globalThis);
  try {
    for (const [i, [c, want]] of cases.entries()) {
      const win = {};
      win.parent = c.top ? win : {};
      Object.assign(g, { window: win, location: c.ancestorOrigins ? { ancestorOrigins: c.ancestorOrigins } : {}, document: { referrer: c.referrer ?? '' } });
      // A fresh module each time: it keeps the origin it found.
      const { parentOrigin } = await import(`${pathToFileURL(join(ROOT, 'www/embed.js'))}?case=${i}`);
      assert.equal(parentOrigin(), want, JSON.stringify(c));
    }
  } finally {
    for (const k of ['window', 'location', 'document']) delete g[k];
  }
});

/**
 * A course page whose origin the embed cannot name (opened from file://, an opaque origin)
 * gets no message, and its commands are ignored; the embed itself loads and runs, and says
 * in its console why it is silent.
 */
test('(c) a parent of unknown origin: no message either way, the embed still runs', { timeout: 120_000 }, async () => {
  const src = `${plain.url}embed.html?models=sequential,asyncio&workload=io&tasks=2&io_ms=50&run=1`;
  const { page, problems, context } = await open(browser, 'about:blank', { serviceWorkers: 'block' });
  const warnings = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(`file://${join(tmp, 'course/index.html')}?src=${encodeURIComponent(src)}`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  assert.equal(await settle(frame), 'done', 'the embed ran');
  await page.evaluate((source) => window.send({ source, type: 'run' }), SOURCE);
  await frame.waitForFunction(() => window.playground.ignoredMessages > 0 || document.documentElement.dataset.state !== 'done', null, { timeout: 10_000 });
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.state), 'done', 'the command was not obeyed');
  assert.equal(await frame.evaluate(() => window.playground.ignoredMessages), 1, 'the command was ignored');
  await page.waitForTimeout(500);
  assert.deepEqual(await page.evaluate(() => window.messages), [], 'no message reached the course page');
  assert.ok(warnings.some((w) => /the parent page's origin is unknown/.test(w)), `the embed says why: ${warnings}`);
  expectClean(problems);
  await context.close();
});

/**
 * Embedded from a host with no headers on another site, where the browser gives a third-party
 * iframe no service worker (third-party storage blocked): it loads, threads are off with the
 * reason, and the rest runs and reports to the parent.
 */
test('(c) embedded cross-site from a host with no headers: threads off, the rest runs', { timeout: 120_000 }, async () => {
  const course = await openCourse(`${plain.url}embed.html?models=sequential,asyncio,threading,multiprocessing&workload=io&tasks=2&io_ms=50&processes=2&run=1`, parent.url.replace('127.0.0.1', 'localhost'));
  const [results] = await course.waitFor((m) => m.type === 'results', 'results');
  const [ready] = (await course.messages()).filter((m) => m.type === 'ready');
  const models = results.results.map((r) => r.model);
  if (ready.crossOriginIsolated) {
    assert.ok(models.includes('threading'));
  } else {
    assert.equal(ready.threads, false);
    assert.match(ready.threadsReason, /^Threads are off in this embedded view/);
    assert.match(ready.threadsReason, /Open the playground in its own tab/, 'students are told what they can do');
    assert.deepEqual([...new Set(models)], ['sequential', 'asyncio', 'multiprocessing']);
  }
  assert.equal((await course.messages()).filter((m) => m.type === 'ready').length, 1, 'one ready: no run was thrown away by a reload');
  expectClean(withoutAborts(course.problems));
  await course.context.close();
});

/**
 * Embedded same-site (another port) from a host with no headers: the service worker serves
 * the embed with Document-Isolation-Policy after one reload of the iframe, and threading runs.
 */
test('(c) embedded from a host with no headers: the service worker adds Document-Isolation-Policy', { timeout: 120_000 }, async () => {
  const course = await openCourse(`${plain.url}embed.html${THREADS_CPU}`, parent.url);
  const [results] = await course.waitFor((m) => m.type === 'results', 'results');
  const [ready] = (await course.messages()).filter((m) => m.type === 'ready');
  assert.equal(ready.crossOriginIsolated, true, 'isolated through the service worker');
  assert.deepEqual(results.results.map((r) => r.model), ['sequential', 'threading']);
  assert.equal(await course.frame().evaluate(() => document.documentElement.dataset.coi), 'isolated');
  expectClean(withoutAborts(course.problems));
  await course.context.close();
});

// ---------------------------------------------------------------- (d) the strict CSP

/**
 * Under the strict CSP (from _headers) the page, its workers and the embed run with no
 * violation and no error; the Embed button gives a snippet for embed.html.
 */
test('(d) strict CSP: no violation anywhere, and a ready <iframe> snippet', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await open(browser, `${headed.url}?workload=io&tasks=4&io_ms=50&threads=4&processes=2&compare=1&run=1`);
  assert.equal(await settle(page), 'done');
  assert.equal((await rows(page)).length >= 8, true, 'compare ran every model on both workloads');
  await page.click('#embed');
  const snippet = await page.locator('#share-text').inputValue();
  assert.ok(snippet.startsWith(`<iframe src="${headed.url}embed.html?workload=io&amp;tasks=4&amp;io_ms=50&amp;threads=4&amp;processes=2"`), snippet);
  assert.doesNotMatch(snippet, /embed=1|run=1|compare=1/);
  assert.match(snippet, /allow="cross-origin-isolated"/);
  assert.match(snippet, /style="border:0"/);
  assert.match(snippet, / width="100%" height="\d+"/);
  assert.doesNotMatch(snippet, /frameborder/);
  expectClean(problems);
  await context.close();

  const embed = await open(browser, `${headed.url}embed.html?workload=mixed&tasks=2&io_ms=20&cpu_ms=20&processes=2&run=1`);
  assert.equal(await settle(embed.page), 'done');
  assert.equal(await embed.page.evaluate(() => document.body.classList.contains('embed')), true);
  expectClean(embed.problems);
  await embed.context.close();
});

/**
 * A Content-Security-Policy as {directive: its sources, sorted}: two policies that say the
 * same compare equal, whatever their order and spacing.
 * @param {string} policy
 */
function directives(policy) {
  /** @type {Record<string, string[]>} */
  const out = {};
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = sources.sort();
  }
  return out;
}

/** Directives a <meta> policy cannot carry: browsers ignore them there. */
const NOT_IN_META = ['frame-ancestors', 'report-uri', 'sandbox'];

/** The header's policy, less what a <meta> cannot carry. @param {string} policy */
const metaPart = (policy) => Object.fromEntries(Object.entries(directives(policy)).filter(([d]) => !NOT_IN_META.includes(d)));

/**
 * The page and the embed carry the header's CSP in a <meta>, for hosts that send none: the
 * same directives as the dev server's header (serve.json) and the deployment's (_headers)
 * but those a <meta> cannot carry, first in <head> so it governs every resource.
 */
test('(d) the <meta> CSP of index.html and embed.html is the header\'s', () => {
  const serveJson = JSON.parse(readFileSync(join(ROOT, 'serve.json'), 'utf8'));
  const devHeader = serveJson.headers.flatMap((r) => r.headers).find((h) => h.key === 'Content-Security-Policy').value;
  const deployed = /^\s+Content-Security-Policy:\s*(.*)$/m.exec(readFileSync(join(DIST, '_headers'), 'utf8'))?.[1];
  assert.ok(deployed, 'dist/_headers sends a Content-Security-Policy');
  for (const file of ['index.html', 'embed.html']) {
    const html = readFileSync(join(DIST, file), 'utf8');
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/gi)];
    assert.equal(metas.length, 1, `${file}: one <meta> CSP`);
    const [tag, meta] = metas[0];
    const firstResource = html.search(/<(link|script|style|base)\b/i);
    assert.ok(html.indexOf(tag) < firstResource, `${file}: the <meta> CSP comes before any resource`);
    assert.deepEqual(directives(meta), metaPart(devHeader), `${file}: the <meta> CSP is serve.json's`);
    assert.deepEqual(directives(meta), metaPart(deployed), `${file}: the <meta> CSP is _headers'`);
  }
});

/**
 * On a host that sends no headers the <meta> policy is in force: the page and the embed
 * load with no violation, and a script written into them inline does not run.
 */
test('(d) no headers: the <meta> CSP holds in the page and the embed', { timeout: 60_000 }, async () => {
  for (const file of ['index.html', 'embed.html']) {
    const res = await fetch(plain.url + file);
    assert.equal(res.headers.get('content-security-policy'), null, 'this host sends no CSP');
    const { page, problems, context } = await open(browser, plain.url + file, { serviceWorkers: 'block' });
    await ready(page);
    expectClean(problems);
    const got = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const w = /** @type {any} */ (window);
          const done = (directive) => resolve({ directive, ran: w.inlineRan === true });
          document.addEventListener('securitypolicyviolation', (e) => done(e.effectiveDirective), { once: true });
          setTimeout(() => done(null), 2000);
          const script = document.createElement('script');
          script.textContent = 'window.inlineRan = true';
          document.head.append(script);
        }),
    );
    assert.deepEqual(got, { directive: 'script-src-elem', ran: false }, `${file}: an inline script is refused`);
    await context.close();
  }
});

// ---------------------------------------------------------------- (e) under a sub-path

/**
 * dist/ copied into /course/playground/ of a bigger site: with no headers the service worker
 * scopes itself to that folder and isolates the page after one reload; the embed's links
 * stay inside the folder.
 */
test('(e) under a sub-path with no headers: relative URLs, a folder-scoped worker', { timeout: 120_000 }, async () => {
  const base = `${sub.url}course/playground/`;
  const { page, problems, context } = await open(browser, 'about:blank');
  const nav = await gotoCounting(page, base + THREADS_CPU);
  assert.equal(await settle(page), 'done');
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.equal(nav.count, 2, 'one reload');
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope);
  assert.equal(scope, base);
  assert.ok((await rows(page)).some((r) => r.model === 'threading'));
  expectClean(withoutAborts(problems));

  await page.goto(`${base}embed.html?models=sequential&workload=io&tasks=2&io_ms=20&run=1`);
  assert.equal(await settle(page), 'done');
  assert.equal(await page.locator('#open-full').evaluate((a) => a.href), `${base}index.html?tasks=2&io_ms=20&models=sequential`);
  await context.close();
});

/** `_headers` written for a sub-path (BASE=/course/playground/) isolates the page there with no worker. */
test('(e) under a sub-path with _headers for it: isolated, no reload', { timeout: 120_000 }, async () => {
  const text = readFileSync(join(tmp, 'sub_headers'), 'utf8');
  assert.match(text, /^\/course\/playground\/\*$/m);
  assert.match(text, /^\/course\/playground\/embed\.html$/m);
  const base = `${subHeaded.url}course/playground/`;
  const { page, problems, context } = await open(browser, 'about:blank');
  const nav = await gotoCounting(page, base + THREADS_CPU);
  assert.equal(await settle(page), 'done');
  assert.equal(nav.count, 1);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.ok((await rows(page)).some((r) => r.model === 'threading'));
  expectClean(problems);
  await context.close();
});
