// The page in every engine the playground supports: Chromium, Firefox ESR and WebKitGTK
// (Safari's engine). One browser at a time, each from a fresh profile. A missing browser or
// driver fails its test, saying what to install: it never skips.
//
// ENGINES=firefox,webkit node --test tests/e2e/engines.test.mjs runs a subset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './harness.mjs';
import { ENGINES, launch } from './engines.mjs';

const only = process.env.ENGINES?.split(',').filter(Boolean);
const engines = /** @type {import('./engines.mjs').Engine[]} */ (only ?? ENGINES);

let server;
before(async () => {
  server = await serve({ port: 8340 });
});
after(async () => {
  await server?.stop();
});

for (const engine of engines) {
  /**
   * The page loads and says it is ready, then an autorun of I/O-bound work through
   * sequential, asyncio and multiprocessing ends `done` with a row per model and cold/warm
   * pool, asyncio overlapping its waits, and no problem reported on the way.
   */
  test(`${engine}: the page is ready and an I/O autorun ends done`, { timeout: 180_000 }, async () => {
    const browser = await launch(engine);
    try {
      const ready = await browser.open(server.url, { width: 1280, height: 900 });
      await ready.waitFor(() => document.documentElement.dataset.state === 'ready', { timeout: 30_000 });
      assert.deepEqual(await ready.problems(), [], `${engine} reported problems on load`);
      await ready.close();

      const query = 'workload=io&tasks=8&io_ms=200&threads=8&processes=2&models=sequential,asyncio,multiprocessing&run=1';
      const page = await browser.open(`${server.url}?${query}`, { width: 1280, height: 900 });
      const state = await page.waitFor(
        () => ['done', 'error', 'cancelled'].includes(document.documentElement.dataset.state ?? '') && document.documentElement.dataset.state,
        { timeout: 120_000 },
      );
      assert.equal(state, 'done', `${engine}: the run ended ${state}: ${await page.text('#error')}`);
      const rows = await page.evaluate(() =>
        [...document.querySelectorAll('tr[data-model][data-workload]')].map((tr) => {
          const d = /** @type {HTMLElement} */ (tr).dataset;
          return { model: d.model, workload: d.workload, variant: d.variant ?? '', speedup: d.speedup === '' ? null : Number(d.speedup) };
        }),
      );
      const models = rows.map((r) => r.model);
      for (const model of ['sequential', 'asyncio', 'multiprocessing']) {
        assert.ok(models.includes(model), `${engine}: no ${model} row in ${JSON.stringify(rows)}`);
      }
      for (const r of rows) {
        assert.equal(r.workload, 'io');
        assert.ok(r.speedup !== null && Number.isFinite(r.speedup) && r.speedup > 0, `${engine}: ${JSON.stringify(r)}`);
      }
      const asyncio = rows.find((r) => r.model === 'asyncio');
      assert.ok(asyncio && asyncio.speedup !== null && asyncio.speedup > 3, `${engine}: asyncio I/O speedup ${asyncio?.speedup}`);
      assert.deepEqual(await page.problems(), [], `${engine} reported problems during the run`);
      await page.close();
    } finally {
      await browser.close();
    }
  });
}
