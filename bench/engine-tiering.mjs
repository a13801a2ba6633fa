// How fast the CPU kernel runs in a fresh context, from instantiation on, per engine and
// per compiler tier: a "300 ms" task (at the page's calibrated speed) cut into 150 slices
// of 2 ms, on the page with a fresh module, and in a fresh worker with the module compiled
// there, posted from the page before it ran (cold), or posted after the page ran it (warm).
// Each variant runs `reps` times; medians per time bucket resist a busy machine.
//
//   node bench/engine-tiering.mjs [reps=5] [configs=default,...] [engines=chromium,firefox,webkit]
// Configs force one compiler tier: baseline (Liftoff, Wasm baseline, BBQ) or optimizing
// (TurboFan, Ion, OMG), or interpreter (JSC's IPInt).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, ROOT } from '../tests/e2e/harness.mjs';
import { ENGINES, launch } from '../tests/e2e/engines.mjs';
import { otherLoad, quiet } from './load.mjs';

const reps = Number(process.argv[2] ?? 5);
const configs = process.argv[3]?.split(',') ?? ['default'];
const engines = process.argv[4]?.split(',') ?? ENGINES;

/** How to force each tier, per engine. */
const TIERS = {
  chromium: {
    default: {},
    baseline: { args: ['--js-flags=--liftoff-only'] },
    optimizing: { args: ['--js-flags=--no-liftoff'] },
  },
  firefox: {
    default: {},
    baseline: { prefs: { 'javascript.options.wasm_optimizingjit': false } },
    optimizing: { prefs: { 'javascript.options.wasm_baselinejit': false } },
  },
  webkit: {
    default: {},
    baseline: { env: { JSC_useOMGJIT: 'false' } },
    // JSC cannot start in OMG: without BBQ, code runs in IPInt until OMG takes over.
    'ipint-then-omg': { env: { JSC_useBBQJIT: 'false' } },
    interpreter: { env: { JSC_useBBQJIT: 'false', JSC_useOMGJIT: 'false' } },
  },
};

const VARIANTS = [
  { name: 'page, fresh module', where: 'page', source: 'url' },
  { name: 'worker, compiled in worker', where: 'worker', source: 'url' },
  { name: 'worker, posted cold', where: 'worker', source: 'posted-cold' },
  { name: 'worker, posted warm', where: 'worker', source: 'posted-warm' },
];
const BUCKETS = [0, 10, 20, 50, 100, 200, 400, 1000];
const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r2 = (/** @type {number} */ x) => Math.round(x * 100) / 100;

/**
 * One run's slices -> the 300 ms task's elapsed time, the speed (fraction of the page's
 * calibration) per time bucket, and when it first ran at >= 90% of it (5-slice median).
 */
function shape(slices, itersPerMs) {
  const t0 = slices[0][0];
  const speeds = slices.map(([, s]) => s / itersPerMs);
  const last = slices[slices.length - 1];
  const elapsed = last[0] - t0 + (2 * itersPerMs) / last[1];
  const at = speeds.findIndex((_, i) => median(speeds.slice(i, i + 5)) >= 0.9);
  /** @type {Record<string, number>} */
  const buckets = {};
  for (let b = 0; b + 1 < BUCKETS.length; b++) {
    const inside = slices.filter(([t]) => t - t0 >= BUCKETS[b] && t - t0 < BUCKETS[b + 1]).map(([, s]) => s / itersPerMs);
    if (inside.length) buckets[`${BUCKETS[b]}-${BUCKETS[b + 1]}`] = inside.reduce((x, y) => x + y, 0) / inside.length;
  }
  return { elapsed, fullSpeedAtMs: at >= 0 ? slices[at][0] - t0 : null, firstSlice: speeds[0], buckets };
}

const code = await serve({ dir: '.', port: 8345, ready: 'tests/e2e/fixtures/engine-probe.html' });
const out = [];
try {
  for (const engine of engines) {
    for (const config of configs) {
      const how = TIERS[engine]?.[config];
      if (!how) continue;
      const browser = await launch(engine, how);
      try {
        const page = await browser.open(`${code.url}tests/e2e/fixtures/engine-probe.html`);
        await page.waitFor(() => /** @type {any} */ (window).probe?.ready);
        const itersPerMs = await page.evaluate(() => /** @type {any} */ (window).probe.calibrateOnPage());
        /** @type {Record<string, any[]>} */
        const runs = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
        const loads = [];
        for (let rep = 0; rep < reps; rep++) {
          await quiet();
          for (const v of VARIANTS) {
            const load = otherLoad();
            const [r] = await page.evaluate((o) => /** @type {any} */ (window).probe.kernel(o), { ...v, itersPerMs, sliceMs: 2, count: 150 });
            loads.push(load());
            if (r.error) throw new Error(`${v.name}: ${r.error}`);
            runs[v.name].push(shape(r.slices, itersPerMs));
          }
        }
        const summary = {};
        for (const [name, rs] of Object.entries(runs)) {
          const buckets = {};
          for (const k of Object.keys(rs[0].buckets)) buckets[k] = r2(median(rs.map((r) => r.buckets[k] ?? NaN)));
          summary[name] = {
            task300Ms: rs.map((r) => Math.round(r.elapsed)),
            fullSpeedAtMs: rs.map((r) => (r.fullSpeedAtMs === null ? null : Math.round(r.fullSpeedAtMs))),
            firstSlice: r2(median(rs.map((r) => r.firstSlice))),
            buckets,
          };
        }
        const row = { engine, config, version: browser.version, itersPerMs: Math.round(itersPerMs), otherCores: { median: r2(median(loads)), max: r2(Math.max(...loads)) }, summary };
        out.push(row);
        console.log(JSON.stringify(row, null, 1));
      } finally {
        await browser.close();
      }
    }
  }
} finally {
  await code.stop();
}
mkdirSync(join(ROOT, 'target/engine-probe'), { recursive: true });
writeFileSync(join(ROOT, `target/engine-probe/tiering-${configs.join('+')}-${engines.join('+')}.json`), JSON.stringify(out, null, 1));
