// The benchmark of asyncio with executors: the done-when scenario of mixed work (each task
// waits, then computes) on the page, natively and under CPython, side by side. The page
// runs sequential, asyncio, threading, multiprocessing and asyncio-processes from one URL;
// CPython runs the generated scripts, its asyncio_processes script being
// `loop.run_in_executor` with a `ProcessPoolExecutor`; natively the same Rust model runs
// over NativePool. `npm run bench` includes it (section 7); alone, `node bench/combined.mjs`
// prints the table (BENCH_REPS repetitions, 3 by default).
import { writeScript, runPython, native, buildNative } from './native.mjs';
import { autorun } from './browser.mjs';
import { stats, range, num, table } from './stats.mjs';
import { side } from './report.mjs';

/** 8 tasks x (200 ms waiting + 200 ms computing) on 2 processes. */
export const COMBINED = { tasks: 8, ioMs: 200, cpuMs: 200, processes: 2 };
const QUERY = `workload=mixed&tasks=${COMBINED.tasks}&io_ms=${COMBINED.ioMs}&cpu_ms=${COMBINED.cpuMs}&processes=${COMBINED.processes}`;
/** The models of the page's run, and of CPython's scripts. */
const MODELS = ['asyncio', 'threading', 'multiprocessing', 'asyncio-processes'];
/** The ideal wall time of the combined model: the waits overlap, the computing on every process. */
export const IDEAL_MS = COMBINED.ioMs + Math.ceil(COMBINED.tasks / COMBINED.processes) * COMBINED.cpuMs;

/**
 * Write CPython's scripts for the scenario, one per model.
 * @param {string} bin the native helper @param {string} dir
 */
export function combinedScripts(bin, dir) {
  return MODELS.map((model) => ({ model, path: writeScript(bin, dir, QUERY, model, `combined_${model.replace('-', '_')}.py`) }));
}

/**
 * One repetition: CPython's scripts, the native combined model, the page.
 * @param {{bin: string, scripts: {model: string, path: string}[], browser: any, base: string, measured: (what: string, fn: () => any) => Promise<any>}} o
 */
export async function combinedRep(o) {
  /** @type {Record<string, any>} */
  const cpython = {};
  for (const s of o.scripts) cpython[s.model] = await o.measured(`CPython combined ${s.model}`, () => runPython(s.path));
  const nat = await o.measured('native combined', () => JSON.parse(native(o.bin, ['combined', QUERY, String(COMBINED.processes), '1'])));
  const page = await o.measured('page combined', () => autorun(o.browser, `${o.base}?${QUERY}&models=sequential,${MODELS.join(',')}&run=1`, 'asyncio with executors'));
  return { cpython, native: nat, page };
}

/**
 * The section: speedups on the page, natively and under CPython, walls, the page's loop lag,
 * targets and the cells on another side of 1x than CPython.
 * @param {Array<{cpython: Record<string, any>, native: any, page: any}>} reps
 */
export function combinedReport(reps) {
  const pick = (/** @type {any} */ page, /** @type {string} */ model) =>
    page?.results?.find((/** @type {any} */ r) => r.model === model && (r.variant === '' || r.variant === 'warm'));
  const rows = [];
  const disagreements = [];
  /** @type {Record<string, any>} */
  const figures = {};
  for (const model of MODELS) {
    const speedup = stats(reps.map((r) => pick(r.page, model)?.speedup));
    const wall = stats(reps.map((r) => pick(r.page, model)?.wallMs));
    const lag = stats(reps.map((r) => pick(r.page, model)?.lagP99Ms));
    const py = stats(reps.map((r) => r.cpython?.[model]?.speedup));
    const pyWall = stats(reps.map((r) => r.cpython?.[model]?.wall_ms));
    const nat = model === 'asyncio-processes' ? stats(reps.map((r) => r.native?.seq_ms?.[0] / r.native?.combined_ms?.[0])) : null;
    const agree = side(speedup?.median ?? NaN) === side(py?.median ?? NaN);
    // The combined model is the cell checked here; the others are checked on I/O and CPU
    // work in section 1 and stand beside it for context.
    const checked = model === 'asyncio-processes';
    figures[model] = { speedup, wall, lagP99: lag, cpython: py, cpythonWall: pyWall, native: nat, agree: checked ? agree : null };
    if (checked && !agree) disagreements.push(`${model}, mixed: playground ${num(speedup?.median ?? NaN)}x (${side(speedup?.median ?? NaN)}) vs CPython ${num(py?.median ?? NaN)}x (${side(py?.median ?? NaN)})`);
    rows.push([
      model === 'multiprocessing' ? 'multiprocessing, Pool(2) warm' : model === 'threading' ? 'threading, 8 threads, GIL on' : model,
      range(speedup, { unit: 'x', digits: 2 }),
      range(py, { unit: 'x', digits: 2 }),
      nat ? range(nat, { unit: 'x', digits: 2 }) : '',
      checked ? (agree ? 'yes' : '**NO**') : `(context) ${agree ? 'yes' : 'no'}`,
      range(wall, { unit: ' ms' }),
      range(pyWall, { unit: ' ms' }),
      range(lag, { unit: ' ms', digits: 1 }),
    ]);
  }
  const c = figures['asyncio-processes'];
  const best = Math.min(figures.asyncio.wall?.median ?? Infinity, figures.threading.wall?.median ?? Infinity);
  const targets = [
    { figure: 'asyncio-processes wall against asyncio and threading alone', value: `${num(c.wall?.median ?? NaN)} ms against ${num(best)} ms`, target: 'below both', met: (c.wall?.median ?? Infinity) < best },
    { figure: 'asyncio-processes wall against the ideal', value: `${num(c.wall?.median ?? NaN)} ms`, target: `<= 1.25 x ${IDEAL_MS} ms`, met: (c.wall?.median ?? Infinity) <= 1.25 * IDEAL_MS },
    { figure: "the page's loop lag p99 during asyncio-processes", value: `${num(c.lagP99?.median ?? NaN, 1)} ms`, target: '<= 20 ms', met: (c.lagP99?.median ?? Infinity) <= 20 },
  ];
  const md = [
    `## 7. asyncio with executors, mixed work: ${COMBINED.tasks} tasks x (${COMBINED.ioMs} ms waiting + ${COMBINED.cpuMs} ms computing), ${COMBINED.processes} processes`,
    '',
    `Speedup over one after another; median [min–max] over ${reps.length} repetitions. CPython's asyncio-processes is its \`loop.run_in_executor(ProcessPoolExecutor(2), ...)\` script, each script against its own baseline; native is the same Rust model over threads as processes (NativePool). The ideal for asyncio-processes is ${COMBINED.ioMs} + ${COMBINED.tasks} / ${COMBINED.processes} x ${COMBINED.cpuMs} = ${IDEAL_MS} ms.`,
    '',
    table(['Model', 'Playground speedup', 'CPython 3.11 speedup', 'Native speedup', 'Same side of 1x', 'Playground wall', 'CPython wall', "Page's loop lag p99"], rows),
    '',
    table(['Target', 'Figure', 'Goal', 'Met'], targets.map((t) => [t.figure, t.value, t.target, t.met ? 'met' : '**not met**'])),
  ].join('\n');
  return { figures, targets, disagreements, md };
}

// Alone: `node bench/combined.mjs`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { serve, ROOT } = await import('../tests/e2e/harness.mjs');
  const { launch } = await import('../tests/e2e/engines.mjs');
  const { join } = await import('node:path');
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const bin = buildNative(ROOT);
  const scripts = combinedScripts(bin, join(ROOT, 'bench', 'tmp'));
  const server = await serve({ port: Number(process.env.BENCH_PORT ?? 8351) });
  const browser = await launch('chromium');
  const all = [];
  try {
    for (let i = 0; i < reps; i++) {
      console.log(`[combined] repetition ${i + 1}/${reps}`);
      all.push(await combinedRep({ bin, scripts, browser, base: server.url, measured: async (_what, fn) => fn() }));
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const report = combinedReport(all);
  console.log(`\n${report.md}`);
  if (report.disagreements.length) {
    console.error(`\ncombined: ${report.disagreements.join('; ')}`);
    process.exit(1);
  }
}
