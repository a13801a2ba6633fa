// The engine research behind FINDINGS.md, one browser at a time: what each engine can do
// for the playground, what the page shows with threads, and the CPU kernel's speed in a
// fresh context over time (on the page, in a worker with the module posted warm or cold
// from the page, compiled in the worker, and two workers at once).
//
//   node bench/engine-probe.mjs [engines=chromium,firefox,webkit] [out=target/engine-probe]
// Writes <out>/<engine>.json and prints a summary.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, ROOT } from '../tests/e2e/harness.mjs';
import { ENGINES, launch } from '../tests/e2e/engines.mjs';
import { otherLoad } from './load.mjs';

const engines = process.argv[2]?.split(',') ?? ENGINES;
const out = process.argv[3] ?? join(ROOT, 'target/engine-probe');
mkdirSync(out, { recursive: true });
const env = process.env.PROBE_ONLY?.split(',');

/** The kernel variants measured in every engine. */
const VARIANTS = [
  { name: 'page, fresh module', where: 'page', source: 'url' },
  { name: 'page, warm module again', where: 'page', source: 'posted-warm' },
  { name: 'worker, compiled in worker', where: 'worker', source: 'url' },
  { name: 'worker, module posted cold', where: 'worker', source: 'posted-cold' },
  { name: 'worker, module posted warm', where: 'worker', source: 'posted-warm' },
  { name: '2 workers at once, posted warm', where: 'worker', source: 'posted-warm', workers: 2 },
  { name: '2 workers at once, compiled in worker', where: 'worker', source: 'url', workers: 2 },
];

/** Time buckets (ms since instantiation started) for the speed profile. */
const BUCKETS = [0, 50, 100, 200, 300, 500, 1000, 2000, 4000];

/**
 * Speed summary of one context's slices: the steady speed (median of the last third), when
 * it got there (the first slice from which the median of the next five is >= 90% of it), and
 * the mean speed per time bucket as a fraction of steady.
 */
function summarise(slices, itersPerMs) {
  const speeds = slices.map(([, s]) => s);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const steady = median(speeds.slice(-Math.floor(speeds.length / 3)));
  const at = speeds.findIndex((_, i) => median(speeds.slice(i, i + 5)) >= 0.9 * steady);
  const t0 = slices[0]?.[0] ?? 0;
  const profile = {};
  for (let b = 0; b + 1 < BUCKETS.length; b++) {
    const inside = slices.filter(([t]) => t - t0 >= BUCKETS[b] && t - t0 < BUCKETS[b + 1]).map(([, s]) => s);
    if (inside.length) profile[`${BUCKETS[b]}-${BUCKETS[b + 1]}`] = Math.round((inside.reduce((x, y) => x + y, 0) / inside.length / steady) * 100) / 100;
  }
  return {
    steadyItersPerMs: Math.round(steady),
    steadyVsPage: Math.round((steady / itersPerMs) * 100) / 100,
    steadyAfterMs: at >= 0 ? slices[at][0] : null,
    profile,
  };
}

const code = await serve({ dir: '.', port: 8342, ready: 'tests/e2e/fixtures/engine-probe.html' });
const page = await serve({ port: 8343 });
try {
  for (const engine of engines) {
    const browser = await launch(engine);
    const result = { engine, version: browser.version, startupMs: browser.startupMs };
    try {
      const p = await browser.open(`${code.url}tests/e2e/fixtures/engine-probe.html`);
      await p.waitFor(() => /** @type {any} */ (window).probe?.ready);
      if (!env || env.includes('caps')) result.capabilities = await p.evaluate(() => /** @type {any} */ (window).probe.capabilities());
      result.itersPerMs = await p.evaluate(() => /** @type {any} */ (window).probe.calibrateOnPage());
      if (!env || env.includes('tasks')) {
        // As the playground runs a process: two 300 ms tasks right after instantiation.
        result.tasks300 = {};
        for (const v of VARIANTS) {
          const load = otherLoad();
          const r = await p.evaluate((o) => /** @type {any} */ (window).probe.kernel(o), { ...v, itersPerMs: result.itersPerMs, taskMs: 300, count: 0 });
          result.tasks300[v.name] = { otherCores: load(), tasks: r.map((x) => x.error ?? x.tasks.map((t) => Math.round(t))) };
        }
      }
      if (!env || env.includes('slices')) {
        result.kernel = {};
        for (const v of VARIANTS) {
          const load = otherLoad();
          const r = await p.evaluate((o) => /** @type {any} */ (window).probe.kernel(o), { ...v, itersPerMs: result.itersPerMs, sliceMs: 10, count: 300 });
          const otherCores = load();
          result.kernel[v.name] = r.map((x) => (x.error ? { error: x.error } : { otherCores, instantiateMs: Math.round(x.instantiateMs), ...summarise(x.slices, result.itersPerMs), slices: x.slices }));
        }
      }
      result.problems = await p.problems();
      await p.close();
      if (!env || env.includes('page')) {
        const q = await browser.open(`${page.url}?models=sequential,threading&workload=io&tasks=4&io_ms=100&threads=4&run=1`);
        const state = await q.waitFor(() => ['done', 'error', 'cancelled'].includes(document.documentElement.dataset.state ?? '') && document.documentElement.dataset.state, { timeout: 60_000 }).catch((e) => `timeout: ${e.message}`);
        result.pageWithThreading = {
          state,
          error: await q.text('#error'),
          notice: await q.evaluate(() => (document.querySelector('#notice')?.hasAttribute('hidden') ? '' : document.querySelector('#notice')?.textContent)),
          rows: await q.evaluate(() => [...document.querySelectorAll('tr[data-model][data-workload]')].map((tr) => `${tr.dataset.model} ${tr.dataset.speedup}`)),
          problems: await q.problems(),
        };
        await q.close();
      }
    } catch (e) {
      result.error = String(e?.stack ?? e);
    } finally {
      await browser.close();
    }
    writeFileSync(join(out, `${engine}.json`), JSON.stringify(result, null, 1));
    const brief = { ...result, kernel: Object.fromEntries(Object.entries(result.kernel ?? {}).map(([k, v]) => [k, v.map(({ slices, ...s }) => s)])) };
    console.log(JSON.stringify(brief, null, 1));
  }
} finally {
  await code.stop();
  await page.stop();
}
