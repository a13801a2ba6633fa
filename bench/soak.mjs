// Soak: many compare-all runs in a row in one page (every model, I/O and CPU), with small
// parameters, to find what only shows over time: an error now and then, workers that pile
// up, a JS heap that keeps growing. `npm run soak` builds, then runs this.
//
// Pass: every run ends `done`, the live workers after the last run are those after the
// first (warm caches only), and the page's JS heap (after a forced GC) grows less than 10%
// between run 20 and the last run. Figures are printed and written to bench/soak.json.
//
// SOAK_RUNS=50 node bench/soak.mjs for a shorter one.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, ROOT } from '../tests/e2e/harness.mjs';

const RUNS = Number(process.env.SOAK_RUNS ?? 200);
const BASELINE_RUN = Math.min(20, RUNS);
const QUERY = 'compare=1&tasks=2&io_ms=5&cpu_ms=5&processes=2&threads=2';
const MAX_HEAP_GROWTH = 0.1;
const PORT = 8350;

const server = await serve({ port: PORT });
const browser = await launch();
const started = Date.now();
/** @type {string[]} */
const problems = [];
/** @type {{run: number, heapBytes: number, liveWorkers: number}[]} */
const samples = [];
/** @type {number[]} */
const runMs = [];
/** @type {string[][]} */
const live = [];
let report;
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  await page.goto(`${server.url}?${QUERY}`);
  await page.waitForFunction(() => document.documentElement.dataset.state === 'ready', null, { timeout: 30_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  /** The page's JS heap after a full collection, bytes. */
  const heap = async () => {
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
  };

  for (let run = 1; run <= RUNS; run++) {
    const t0 = performance.now();
    const end = await page.evaluate(async () => {
      await window.playground.compare();
      return {
        state: document.documentElement.dataset.state,
        error: document.getElementById('error')?.textContent ?? '',
        results: window.playground.results().length,
        live: window.playground.liveWorkers(),
      };
    });
    runMs.push(performance.now() - t0);
    live.push(end.live);
    if (end.state !== 'done' || end.results === 0) {
      problems.push(`run ${run}: ${end.state} with ${end.results} results ${end.error}`);
      break;
    }
    if (run === 1 || run === BASELINE_RUN || run % 20 === 0 || run === RUNS) {
      samples.push({ run, heapBytes: await heap(), liveWorkers: end.live.length });
      process.stdout.write(`run ${run}/${RUNS}: ${runMs.at(-1)?.toFixed(0)} ms, heap ${(samples.at(-1).heapBytes / 1e6).toFixed(2)} MB, ${end.live.length} live workers\n`);
    }
  }
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}

const sorted = [...runMs].sort((a, b) => a - b);
const pct = (/** @type {number} */ p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const base = samples.find((s) => s.run === BASELINE_RUN);
const last = samples.at(-1);
const growth = base && last ? (last.heapBytes - base.heapBytes) / base.heapBytes : NaN;
const liveCounts = live.map((l) => l.length);
const firstLive = live[0] ?? [];
const lastLive = live.at(-1) ?? [];
const failures = [...problems];
if (runMs.length < RUNS) failures.push(`only ${runMs.length} of ${RUNS} runs finished`);
if (!(growth < MAX_HEAP_GROWTH)) failures.push(`the JS heap grew ${(growth * 100).toFixed(1)}% from run ${BASELINE_RUN} to run ${last?.run}`);
if (Math.max(...liveCounts) > firstLive.length || lastLive.join() !== firstLive.join()) {
  failures.push(`live workers changed: after run 1 ${JSON.stringify(firstLive)}, at most ${Math.max(...liveCounts)}, after the last ${JSON.stringify(lastLive)}`);
}
report = {
  date: new Date().toISOString(),
  query: QUERY,
  runs: runMs.length,
  durationS: Number(((Date.now() - started) / 1000).toFixed(1)),
  runMs: { median: Number(pct(0.5).toFixed(1)), p95: Number(pct(0.95).toFixed(1)), max: Number((sorted.at(-1) ?? NaN).toFixed(1)) },
  heap: {
    baselineRun: BASELINE_RUN,
    baselineBytes: base?.heapBytes ?? null,
    lastRun: last?.run ?? null,
    lastBytes: last?.heapBytes ?? null,
    growthPercent: Number((growth * 100).toFixed(2)),
    limitPercent: MAX_HEAP_GROWTH * 100,
    samples,
  },
  liveWorkers: { afterFirst: firstLive, afterLast: lastLive, max: Math.max(...liveCounts) },
  failures,
  pass: failures.length === 0,
};
writeFileSync(join(ROOT, 'bench/soak.json'), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify({ ...report, heap: { ...report.heap, samples: undefined } }, null, 2));
console.log(report.pass ? 'soak: pass' : `soak: FAIL\n${failures.join('\n')}`);
process.exitCode = report.pass ? 0 : 1;
