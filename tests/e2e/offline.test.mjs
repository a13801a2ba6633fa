// A page loaded before the network drops keeps working, end to end in Chromium: once it is
// ready it keeps every file it may need (www/page/offline.js, the service worker
// www/coi-sw.js); then the server goes away and the browser is offline, and a run of every
// model, Compare all, the sweep, each lab and the Python panel still work, and the page
// opens again offline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, serve, open, expectClean, waitForEnd, rows, prepared } from './harness.mjs';

const env = setUp({});
/** This file's own server: the test stops it, as a classroom's network drops. */
let server = /** @type {Awaited<ReturnType<typeof serve>> | null} */ (null);
after(() => server?.stop());

/** Wait until the page has kept its files, and return how it went (`data-offline`). */
async function kept(page) {
  await page.waitForFunction(() => !!document.documentElement.dataset.offline, null, { timeout: 30_000 });
  return page.evaluate(() => document.documentElement.dataset.offline);
}

test('a loaded page runs every model, Compare all, the sweep, each lab and the Python panel offline, and opens again offline', { timeout: 300_000 }, async () => {
  server = await serve({ port: 8370 });
  const query = 'workload=io&tasks=2&io_ms=50&cpu_ms=50&threads=2&processes=2&repeat=1';
  const { page, problems, context } = await open(env.browser, `${server.url}?${query}`);
  await prepared(page);
  assert.equal(await kept(page), 'kept', await page.locator('#offline').textContent());
  assert.equal(await page.locator('#offline').textContent(), '', 'nothing to say when all is kept');

  // The network drops: the server is gone and the browser is offline.
  await server.stop();
  server = null;
  await context.setOffline(true);

  await page.click('#run');
  assert.equal(await waitForEnd(page), 'done', await page.locator('#error').textContent());
  assert.deepEqual([...new Set((await rows(page)).map((r) => r.model))].sort(), ['asyncio', 'multiprocessing', 'sequential', 'threading']);

  await page.click('#compare');
  assert.equal(await waitForEnd(page, 120_000), 'done', await page.locator('#error').textContent());
  assert.ok((await page.locator('#matrix td[data-model][data-workload]').count()) > 0, 'the matrix fills');

  await page.selectOption('#sweep-workload', 'io');
  await page.click('#sweep');
  assert.equal(await waitForEnd(page, 120_000), 'done', await page.locator('#error').textContent());

  await page.waitForFunction(() => (document.getElementById('python-code')?.textContent ?? '').includes('python3'));
  await page.click('#python-tab-multiprocessing');
  await page.waitForFunction(() => (document.getElementById('python-code')?.textContent ?? '').includes('# multiprocessing on I/O-bound work'));

  // Each lab opens offline (a navigation the service worker answers) and runs.
  for (const lab of ['lab=race&gil=on&threads=2&increments=1000', 'lab=isolation&processes=2&increments=1000&shared=on', 'lab=blocking&tasks=2&io_ms=50&threads=2']) {
    await page.goto(`${page.url().split('?')[0]}?${lab}&run=1`);
    assert.equal(await waitForEnd(page, 120_000), 'done', `${lab}: ${await page.locator('#error').textContent()}`);
  }

  // A reload offline opens the page, and so does a second visit in a new tab.
  const base = page.url().split('?')[0];
  await page.goto(`${base}?${query}`);
  await page.reload();
  await prepared(page);
  const again = await context.newPage();
  await again.goto(base);
  await prepared(again);
  expectClean(problems);
  await context.close();
});
