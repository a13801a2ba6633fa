// Static hosting in every engine a class uses, on dist/ as `npm run dist` writes it: a host
// that sends no headers (the isolation service worker reloads the page once, under it, and
// every model runs), a host that applies dist/_headers (isolated from the first load, no
// service worker), and a course page on another site embedding embed.html from such a host
// (Chromium isolates the frame with Document-Isolation-Policy; Firefox and WebKit have no
// such header, so threads are off in the frame with the reason, and every other model runs
// and reports to the course page).
//
// WebKitGTK runs with JSC_useSharedArrayBuffer=true here, as Safari has SharedArrayBuffer on
// for isolated pages: the point is whether the page gets isolated. Chromium-only checks
// (CDP's forced reload, service workers blocked, frame internals) stay in hosting.test.mjs.
// A missing browser or driver fails, saying what to install.
//
// ENGINES=firefox,webkit node --test tests/e2e/engines-hosting.test.mjs runs a subset.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, SOURCE, PORT_OFFSET, serve, headersConfig, writeCoursePage } from './harness.mjs';
import { enginesToTest, WEBKIT_SAB, settle, rows, sharedBrowser } from './engines-page.mjs';

const DIST = join(ROOT, 'dist');
/** A static host that sends nothing special: no COOP, COEP, CORP or CSP (GitHub Pages). */
const PLAIN = { cleanUrls: false, rewrites: [{ source: '/', destination: '/index.html' }] };
const EVERY_MODEL = '?workload=io&tasks=4&io_ms=100&threads=4&processes=2&run=1';
const THREADS_CPU = '?models=sequential,threading&workload=cpu&tasks=4&cpu_ms=40&threads=4&run=1';
const COURSE_PORT = 8356;

/** A reload aborts the first load's fetches: those are no problem, anything else is. */
const withoutAborts = (/** @type {string[]} */ problems) =>
  problems.filter((p) => !/^request failed: .*(ERR_ABORTED|NS_BINDING_ABORTED|NS_ERROR_ABORT|socket hang up|aborted)/i.test(p));

/** @type {string} */
let tmp;
/** @type {Awaited<ReturnType<typeof serve>>[]} */
const servers = [];
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `npm run dist` (npm test does)');
  tmp = mkdtempSync(join(tmpdir(), 'playground-engines-hosting-'));
  // A course page with no isolation headers of its own: it embeds ?src= and keeps every
  // message the playground sends it.
  writeCoursePage(tmp);
  // The deployment an instructor makes for this course page (docs/embedding.md).
  execFileSync(process.execPath, [join(ROOT, 'scripts/headers.mjs'), join(tmp, 'course_headers')], {
    env: { ...process.env, FRAME_ANCESTORS: `'self' http://localhost:${COURSE_PORT + PORT_OFFSET}` },
    stdio: 'ignore',
  });
  servers.push(await serve({ dir: join(tmp, 'course'), port: COURSE_PORT, config: null }));
});
after(async () => {
  for (const s of servers) await s.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Ports: each engine gets hosts of its own, so no service worker carries over. */
let nextPort = 8361;

for (const engine of enginesToTest()) {
  describe(engine, () => {
    const session = sharedBrowser(engine, engine === 'webkit' ? WEBKIT_SAB : {});
    /** @type {{plain: string, headed: string, course: string}} */
    const hosts = { plain: '', headed: '', course: '' };
    before(async () => {
      const plain = await serve({ dir: DIST, port: nextPort++, config: PLAIN });
      const headed = await serve({ dir: DIST, port: nextPort++, config: headersConfig(join(tmp, 'course_headers')) });
      servers.push(plain, headed);
      hosts.plain = plain.url;
      hosts.headed = headed.url;
    });
    after(() => session.close());

    /**
     * On a host that sends no headers, the service worker isolates the page after exactly
     * one reload, every model runs (threading too), and nothing reloads again.
     */
    test(`${engine}: no headers: the service worker isolates the page after one reload, every model runs`, { timeout: 120_000 }, async () => {
      const page = await (await session.get()).open(hosts.plain + EVERY_MODEL);
      assert.equal(await settle(page), 'done', (await page.text('#error')) ?? '');
      const got = await page.evaluate(() => ({
        isolated: crossOriginIsolated,
        coi: document.documentElement.dataset.coi,
        worker: navigator.serviceWorker.controller?.scriptURL ?? null,
        reloads: Object.keys(sessionStorage).filter((k) => k.startsWith('concurrency-playground:coi-reloaded:')).length,
      }));
      // One automatic reload (coi.js notes each in sessionStorage; WebKit calls a reload that
      // changes browsing context group a navigation, so the navigation's type cannot say).
      assert.deepEqual(got, { isolated: true, coi: 'isolated', worker: `${hosts.plain}coi-sw.js`, reloads: 1 });
      const models = new Set((await rows(page)).map((r) => r.model));
      assert.deepEqual([...models].sort(), ['asyncio', 'multiprocessing', 'sequential', 'threading']);
      // No loop: the document stays the one that ran.
      await page.evaluate(() => void (/** @type {any} */ (window).__stayed = true));
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).__stayed === true), true, 'no second reload');
      assert.deepEqual(withoutAborts(await page.problems()), []);
      await page.close();
    });

    /**
     * With dist/_headers applied, the page is isolated from its first load with no reload
     * (the service worker comes later, only to keep the page for offline use), and threads run.
     */
    test(`${engine}: _headers applied: isolated at once, no reload, threading runs`, { timeout: 120_000 }, async () => {
      const page = await (await session.get()).open(hosts.headed + THREADS_CPU);
      assert.equal(await settle(page), 'done', (await page.text('#error')) ?? '');
      const got = await page.evaluate(() => ({
        isolated: crossOriginIsolated,
        coi: document.documentElement.dataset.coi,
        navigation: /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0])?.type,
      }));
      assert.deepEqual(got, { isolated: true, coi: 'isolated', navigation: 'navigate' });
      const threading = (await rows(page)).find((r) => r.model === 'threading');
      assert.ok(threading && threading.wallMs > 0, 'a threading row');
      assert.deepEqual(await page.problems(), []);
      await page.close();
    });

    /**
     * A course page on another site embeds embed.html from a host with _headers. Chromium
     * isolates the frame (Document-Isolation-Policy) and threads run; Firefox and WebKit
     * leave it unisolated, so the frame says threads are off and why, and every other model
     * runs. Either way the course page gets one ready and the results.
     */
    test(`${engine}: embedded in a course page on another site`, { timeout: 120_000 }, async () => {
      {
        const src = `${hosts.headed}embed.html?models=sequential,asyncio,threading,multiprocessing&workload=io&tasks=2&io_ms=50&threads=2&processes=2&run=1`;
        const page = await (await session.get()).open(`http://localhost:${COURSE_PORT + PORT_OFFSET}/?src=${encodeURIComponent(src)}`);
        const messages = await page.waitFor(
          () => {
            const all = /** @type {any[]} */ (/** @type {any} */ (window).messages ?? []);
            return all.some((m) => m.type === 'results') && all;
          },
          { timeout: 90_000 },
        );
        const ready = messages.filter((m) => m.type === 'ready');
        assert.equal(ready.length, 1, 'one ready');
        const models = [...new Set(messages.find((m) => m.type === 'results').results.map((/** @type {any} */ r) => r.model))].sort();
        if (ready[0].crossOriginIsolated) {
          assert.equal(engine, 'chromium', 'only Chromium has Document-Isolation-Policy');
          assert.deepEqual(models, ['asyncio', 'multiprocessing', 'sequential', 'threading']);
        } else {
          assert.notEqual(engine, 'chromium', 'Chromium isolates the frame');
          assert.equal(ready[0].threads, false);
          assert.match(ready[0].threadsReason, /^Threads are off in this embedded view/);
          assert.match(ready[0].threadsReason, /Open the playground in its own tab/);
          assert.deepEqual(models, ['asyncio', 'multiprocessing', 'sequential']);
        }
        assert.deepEqual(withoutAborts(await page.problems()), []);
        await page.close();
      }
    });
  });
}
