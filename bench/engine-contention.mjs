// Why a 300 ms task runs slower in a process worker than on the page, per engine: the
// playground's own autoruns (sequential on the page; multiprocessing with 1 and 2
// processes), each task's measured running time, and which threads on the machine used
// the CPU meanwhile (the workers, the engine's painting and compositing threads, others).
//
//   node bench/engine-contention.mjs [rounds=3] [engines=webkit,firefox,chromium] [env JSON for webkit]
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, ROOT } from '../tests/e2e/harness.mjs';
import { ENGINES, launch } from '../tests/e2e/engines.mjs';
import { otherLoad, quiet, threadTimes } from './load.mjs';

const rounds = Number(process.argv[2] ?? 3);
const engines = process.argv[3]?.split(',') ?? ENGINES;
const env = JSON.parse(process.argv[4] ?? '{}');
const tag = process.argv[5] ?? '';
const RUNS = {
  page: 'models=sequential&workload=cpu&tasks=4&cpu_ms=300&run=1',
  'processes=1': 'models=multiprocessing&workload=cpu&tasks=4&cpu_ms=300&processes=1&run=1',
  'processes=2': 'models=multiprocessing&workload=cpu&tasks=4&cpu_ms=300&processes=2&run=1',
};

/** Threads that paint, raster, composite or display, in any of the three engines. */
const RENDER = /llvmpipe|Skia|Compositor|eadedCompositor|Renderer|WRRende|WRWorker|SwComposite|VizCompositor|Raster|Paint|CrGpuMain|GPU/i;

const server = await serve({ port: 8344 });
const results = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const engine of engines) {
      const browser = await launch(engine, { env });
      try {
        for (const [name, query] of Object.entries(RUNS)) {
          await quiet();
          const page = await browser.open(`${server.url}?${query}`);
          await page.waitFor(() => document.documentElement.dataset.state === 'ready' || document.documentElement.dataset.state === 'running');
          const others = otherLoad();
          const threads = threadTimes();
          const t0 = performance.now();
          const state = await page.waitFor(() => ['done', 'error'].includes(document.documentElement.dataset.state ?? '') && document.documentElement.dataset.state, { timeout: 60_000 });
          const runMs = performance.now() - t0;
          const cpu = threads();
          const tasks = await page.evaluate(() =>
            /** @type {any} */ (window).playground
              .traces()
              .flatMap((/** @type {any} */ t) => t.spans.filter((/** @type {any} */ s) => s.state === 'running').map((/** @type {any} */ s) => Math.round(s.end_ms - s.start_ms))),
          );
          const workers = cpu.filter((t) => /Worker$|DOM Worker|DedicatedWorker/.test(t.name) && !/^Skia/.test(t.name));
          const sum = (ts, k) => ts.reduce((a, t) => a + t[k], 0);
          const rest = cpu.filter((t) => !workers.includes(t));
          const drawing = rest.filter((t) => RENDER.test(t.name) || t.process === 'Xvfb');
          const cores = (/** @type {number} */ ms) => Math.round((ms / runMs) * 100) / 100;
          const row = {
            round,
            engine,
            run: name,
            state,
            tasks,
            otherCores: others(),
            runMs: Math.round(runMs),
            workers: { n: workers.length, cpuMs: workers.map((t) => t.cpuMs), waitMs: workers.map((t) => t.waitMs) },
            drawingCores: cores(sum(drawing, 'cpuMs')),
            otherBrowserCores: cores(sum(rest, 'cpuMs') - sum(drawing, 'cpuMs')),
            busiest: rest.slice(0, 6).map((t) => `${t.name}:${t.cpuMs}/${t.waitMs}`),
          };
          results.push(row);
          console.log(JSON.stringify(row));
          await page.close();
        }
      } finally {
        await browser.close();
      }
    }
  }
} finally {
  await server.stop();
}
mkdirSync(join(ROOT, 'target/engine-probe'), { recursive: true });
writeFileSync(join(ROOT, `target/engine-probe/contention${tag}.json`), JSON.stringify(results, null, 1));
