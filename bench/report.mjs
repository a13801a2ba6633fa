// @ts-check
// From the raw measurements to the report: one table per section with a column per browser
// engine beside CPython (and native Rust where it has a counterpart), each target with its
// figure and met / not met per engine, and the cells where an engine lands on the other side
// of 1x from CPython.
import { SLOW_CONTEXT } from '../www/views/verdicts.js';
import { stats, range, num, table, median } from './stats.mjs';

/** @typedef {import('./stats.mjs').Stats} Stats */

/**
 * Speedup classes: a cell "agrees" when the playground and CPython land in the same one.
 * The guides' claim in each cell is "a speedup" or "no speedup", so there are two.
 */
export const SIDES = [
  { name: 'about 1', below: 1.4 },
  { name: 'clearly above 1', below: Infinity },
];
/** @param {number} x */
export const side = (x) => (Number.isFinite(x) ? (SIDES.find((s) => x < s.below)?.name ?? 'n/a') : 'n/a');
const SIDES_TEXT = 'about 1 (no speedup: < 1.4x) or clearly above 1 (>= 1.4x)';

/** @param {boolean} met */
const yes = (met) => (met ? 'met' : '**not met**');

/**
 * @typedef {object} BrowserRaw what one engine measured
 * @property {string} label e.g. "Firefox ESR 153.8"
 * @property {string} how how it was launched, when that matters
 * @property {number[]} loads page load to ready, ms, fresh loads (the first is the browser's very first page)
 * @property {number[]} [calibrated] the same loads to the kernel calibrated, ms
 * @property {any} costs bench/page-helper.js's figures
 * @property {Record<number, any>} compare Compare all, by workers: every round's results
 * @property {Record<number, any>} gilOff GIL-off threading, by threads
 * @property {any} asyncio10k
 * @property {any[]} pool8 cold Pool(8) runs
 * @property {Record<number, Array<{waitedMs: number, aheadMs: number | null}>>} [resize] a pool
 *   resized from 2 to 8 threads by an edit, by the pause before Run (ms)
 */

/**
 * @typedef {object} Raw
 * @property {{tasks: number, ioMs: number, cpuMs: number, workers: number[], reps: number, poolSizes: number[], cores: number}} config
 * @property {string[]} engines the keys of `browsers`, in order
 * @property {Record<string, BrowserRaw>} browsers
 * @property {{iters_per_ms: number[]}} nativeKernel
 * @property {Record<number, {seq_ms: number[], par_ms: number[], iters_per_ms: number[]}>} nativeRayon by workers
 * @property {Array<Record<string, any>>} cpython one entry per repetition: script key -> RESULT
 * @property {Array<any>} startup one entry per repetition: bench/startup.py's RESULT
 * @property {Record<string, number>} wasmGzipBytes
 * @property {Record<string, number>} wasmRawBytes
 */

/**
 * Build the report.
 * @param {Raw} raw
 */
export function buildReport(raw) {
  const { config, engines } = raw;
  const B = raw.browsers;
  const label = (/** @type {string} */ e) => B[e]?.label ?? e;
  /** @type {Array<{section: string, figure: string, engine: string, value: string, target: string, met: boolean}>} */
  const targets = [];
  const target = (/** @type {string} */ section, /** @type {string} */ figure, /** @type {string} */ engine, /** @type {number} */ value, /** @type {string} */ unit, /** @type {string} */ goal, /** @type {boolean} */ met) => {
    targets.push({ section, figure, engine, value: `${num(value)}${unit}`, target: goal, met: Number.isFinite(value) && met });
    return Number.isFinite(value) ? yes(met) : 'n/a';
  };

  /** Every round's row of a run for a cell. */
  const roundsOf = (/** @type {any} */ run, /** @type {string} */ model, /** @type {string} */ workload, variant = '') =>
    (run?.results ?? []).filter((/** @type {any} */ r) => r.model === model && r.workload === workload && (r.variant ?? '') === variant);
  /** A figure of a cell over its rounds. */
  const over = (/** @type {any} */ run, /** @type {string} */ model, /** @type {string} */ workload, /** @type {string} */ variant, /** @type {string} */ key) =>
    stats(roundsOf(run, model, workload, variant).map((/** @type {any} */ r) => r[key]));

  // CPython: speedup = its own sequential script's wall / the model's wall, same repetition.
  // Each CPU script calibrates itself, so two scripts may do different amounts of work: the
  // ratio is taken per iteration of work.
  const pyKey = (/** @type {string} */ model, /** @type {string} */ workload, /** @type {number} */ w) =>
    model === 'sequential' || model === 'asyncio' ? `${model}|${workload}` : `${model}|${workload}|${w}`;
  const pyStats = (/** @type {string} */ model, /** @type {string} */ workload, /** @type {number} */ w) => {
    const wall = raw.cpython.map((rep) => rep[pyKey(model, workload, w)]?.wall_ms);
    const speedup = raw.cpython.map((rep) => {
      const seq = rep[pyKey('sequential', workload, w)];
      const own = rep[pyKey(model, workload, w)];
      if (!seq?.wall_ms || !own?.wall_ms) return NaN;
      const work = workload === 'io' ? 1 : own.iters_per_ms / seq.iters_per_ms;
      return (seq.wall_ms / own.wall_ms) * work;
    });
    return { wall: stats(wall), speedup: stats(speedup) };
  };

  // 1. Playground vs CPython, a column per engine.
  const CELLS = [
    { model: 'asyncio', variant: '', label: () => 'asyncio' },
    { model: 'threading', variant: '', label: (/** @type {number} */ w) => `threading, ${w} threads, GIL on` },
    { model: 'multiprocessing', variant: 'warm', label: (/** @type {number} */ w) => `multiprocessing, Pool(${w}) warm` },
    { model: 'multiprocessing', variant: 'cold', label: (/** @type {number} */ w) => `multiprocessing, Pool(${w}) cold` },
  ];
  const cells = [];
  /** @type {string[]} */
  const disagreements = [];
  const mark = (/** @type {boolean | null} */ agree) => (agree === null ? '' : agree ? ' ✓' : ' **✗**');
  for (const w of config.workers) {
    for (const workload of ['io', 'cpu']) {
      for (const c of CELLS) {
        if (config.workers.indexOf(w) > 0 && c.model === 'asyncio') continue;
        const py = pyStats(c.model, workload, w);
        const pySide = side(py.speedup?.median ?? NaN);
        // A pool with more processes than cores only adds start-ups the machine cannot run in
        // parallel; CPython forks them almost for free. Shown, not checked: the claim is about cores.
        const oversubscribed = c.model === 'multiprocessing' && w > config.cores;
        /** @type {Record<string, any>} */
        const per = {};
        for (const e of engines) {
          const s = over(B[e]?.compare?.[w], c.model, workload, c.variant, 'speedup');
          const pgSide = side(s?.median ?? NaN);
          const agree = oversubscribed ? null : pgSide === pySide && pgSide !== 'n/a';
          per[e] = { speedup: s, wall: over(B[e]?.compare?.[w], c.model, workload, c.variant, 'wallMs'), side: pgSide, agree };
          if (agree === false) disagreements.push(`${label(e)}: ${c.label(w)}, ${workload}: ${num(s?.median ?? NaN)}x (${pgSide}) vs CPython ${num(py.speedup?.median ?? NaN)}x (${pySide})`);
        }
        cells.push({ cell: c.label(w), model: c.model, variant: c.variant, workload, workers: w, oversubscribed, cpython: { ...py, side: pySide }, engines: per });
      }
    }
  }
  // GIL-off threads: no CPython 3.11 counterpart (free-threaded builds came with 3.13); native rayon instead.
  const gilOffRows = config.workers.map((w) => {
    const nat = raw.nativeRayon[w];
    const natSpeed = stats(nat.seq_ms.map((s, i) => s / nat.par_ms[i]));
    return [
      `threading, ${w} threads, GIL off (no CPython 3.11 counterpart; native rayon ${range(natSpeed, { unit: 'x', digits: 2 })})`,
      'CPU',
      '',
      ...engines.map((e) => {
        const s = over(B[e]?.gilOff?.[w], 'threading', 'cpu', 'gil-off', 'speedup');
        const ok = side(s?.median ?? NaN) === 'clearly above 1';
        if (s && !ok) disagreements.push(`${label(e)}: threading, ${w} threads, GIL off, cpu: ${num(s.median)}x, expected clearly above 1`);
        return `${range(s, { unit: 'x', digits: 2 })}${s ? mark(ok) : ''}`;
      }),
    ];
  });
  const s1 = table(
    ['Cell', 'Work', 'CPython 3.11', ...engines.map(label)],
    [
      ...cells.map((c) => [
        c.cell,
        c.workload === 'io' ? 'I/O' : 'CPU',
        range(c.cpython.speedup, { unit: 'x', digits: 2 }),
        ...engines.map((e) => {
          const x = c.engines[e];
          return `${range(x.speedup, { unit: 'x', digits: 2 })}${x.speedup ? mark(x.agree) : ''}${c.oversubscribed ? ' (not checked)' : ''}`;
        }),
      ]),
      ...gilOffRows,
    ],
  );

  // 2. Kernel speed per context, per engine: each context's kernel speed over the page's
  // calibration, as the rows report it (`speedRatio`: the slowest lane of the run).
  const nativeKernel = stats(raw.nativeKernel.iters_per_ms);
  const pyKernel = stats(raw.cpython.map((rep) => rep[pyKey('sequential', 'cpu', config.workers[0])]?.iters_per_ms));
  const w0 = config.workers[0];
  /** @type {Array<{label: string, get: (b: BrowserRaw) => Stats | null}>} */
  const CONTEXTS = [
    { label: 'page (asyncio, CPU)', get: (b) => over(b.compare?.[w0], 'asyncio', 'cpu', '', 'speedRatio') },
    { label: 'baseline process (sequential, CPU)', get: (b) => over(b.compare?.[w0], 'sequential', 'cpu', '', 'speedRatio') },
    ...config.workers.flatMap((w) => [
      { label: `threads, ${w}, GIL on`, get: (/** @type {BrowserRaw} */ b) => over(b.compare?.[w], 'threading', 'cpu', '', 'speedRatio') },
      { label: `threads, ${w}, GIL off`, get: (/** @type {BrowserRaw} */ b) => over(b.gilOff?.[w], 'threading', 'cpu', 'gil-off', 'speedRatio') },
      { label: `processes, Pool(${w}) warm`, get: (/** @type {BrowserRaw} */ b) => over(b.compare?.[w], 'multiprocessing', 'cpu', 'warm', 'speedRatio') },
    ]),
  ];
  /** @type {Record<string, any>} */
  const kernelSection = {};
  const calib = (/** @type {BrowserRaw} */ b) => stats([b.costs?.kernel?.atLoad, ...Object.values(b.compare ?? {}).map((c) => c?.itersPerMs)]);
  const settled = (/** @type {BrowserRaw} */ b) => stats(b.costs?.kernel?.calibrations ?? []);
  const s2rows = [
    ["the page's calibration at load (iterations/ms; every context's work is sized by it)", ...engines.map((e) => range(calib(B[e]), { digits: 0 }))],
    ['the page once settled (iterations/ms)', ...engines.map((e) => range(settled(B[e]), { digits: 0 }))],
    ['the page once settled, over native', ...engines.map((e) => `${num((settled(B[e])?.median ?? NaN) / (nativeKernel?.median ?? NaN), 2)}x`)],
  ];
  for (const c of CONTEXTS) {
    s2rows.push([
      `${c.label}: speed over the calibration`,
      ...engines.map((e) => {
        const s = c.get(B[e]);
        kernelSection[`${e}: ${c.label}`] = s;
        return range(s, { unit: 'x', digits: 2 });
      }),
    ]);
  }
  const s2 = table(['Context', ...engines.map(label)], s2rows);

  // 3. Start-up, beside CPython's, measured in the same run.
  const st = raw.startup.filter(Boolean);
  const pyMethod = (/** @type {string} */ m) => stats(st.map((r) => median(r.process_start_ms?.[m]?.each ?? [])));
  const pyFirst = (/** @type {string} */ m) => stats(st.map((r) => r.process_start_ms?.[m]?.first));
  const pyPool = (/** @type {string} */ m) => stats(st.map((r) => median(r.pool_start_ms?.[m] ?? [])));
  const pyThread = stats(st.map((r) => median(r.thread_start_ms ?? [])));
  const py10k = stats(st.map((r) => r.asyncio_10k_ms));
  const forkserver = pyMethod('forkserver');
  const pyProcessText = ['spawn', 'forkserver', 'fork'].map((m) => `${m} ${range(pyMethod(m), { unit: ' ms', digits: 1 })}`).join('; ');
  const pyPoolText = ['spawn', 'forkserver', 'fork'].map((m) => `${m} ${range(pyPool(m), { unit: ' ms', digits: 1 })}`).join('; ');
  const eng = (/** @type {(b: BrowserRaw) => Stats | null} */ get, digits = 0) => engines.map((e) => range(get(B[e]), { unit: ' ms', digits }));
  const processFromSpare = (/** @type {BrowserRaw} */ b) => stats((b.costs?.processes?.page ?? []).map((/** @type {any} */ p) => p.totalMs));
  const part = (/** @type {string} */ key) => (/** @type {BrowserRaw} */ b) => stats((b.costs?.processes?.breakdown ?? []).map((/** @type {any} */ p) => p[key]));
  const noSpare = (/** @type {BrowserRaw} */ b) => stats(b.costs?.processes?.cold ?? []);
  const poolSpawn = (/** @type {BrowserRaw} */ b) => stats((b.pool8 ?? []).map((r) => median(roundsOf(r, 'multiprocessing', 'cpu', 'cold')[0]?.spawnMs ?? [])));
  const poolPerProcess = (/** @type {BrowserRaw} */ b) => stats((b.pool8 ?? []).map((r) => Math.max(...(roundsOf(r, 'multiprocessing', 'cpu', 'cold')[0]?.spawnMs ?? [NaN])) / 8));
  const poolLag = (/** @type {BrowserRaw} */ b) => stats((b.pool8 ?? []).map((r) => roundsOf(r, 'multiprocessing', 'cpu', 'cold')[0]?.lagP99Ms));
  const loads = (/** @type {BrowserRaw} */ b) => stats((b.loads ?? []).slice(1));
  const resized = (/** @type {number} */ pause, /** @type {'waitedMs' | 'aheadMs'} */ key) => (/** @type {BrowserRaw} */ b) =>
    stats((b.resize?.[pause] ?? []).map((r) => r?.[key]).filter((x) => typeof x === 'number'));
  const pool8Start = (/** @type {BrowserRaw} */ b) => b.costs?.pools?.[8]?.totalMs ?? Infinity;
  const calibrated = (/** @type {BrowserRaw} */ b) => stats((b.calibrated ?? []).slice(1));
  const a10k = (/** @type {BrowserRaw} */ b) => over(b.asyncio10k, 'asyncio', 'io', '', 'wallMs');
  const a10kGoal = 1.1 * config.ioMs + 20;
  const fsMedian = forkserver?.median ?? NaN;
  const metEach = (/** @type {string} */ figure, /** @type {(b: BrowserRaw) => Stats | null} */ get, /** @type {number} */ goal, /** @type {string} */ goalText) =>
    engines.map((e) => `${label(e)}: ${target('3. start-up', figure, e, get(B[e])?.median ?? NaN, ' ms', goalText, (get(B[e])?.median ?? Infinity) <= goal)}`).join('; ');
  const s3rows = [
    ['One process, request to ready (a spare worker made into a process: its own instance, warmed up)', pyProcessText, ...eng(processFromSpare, 1), metEach('one process, request to ready', processFromSpare, fsMedian, `<= CPython forkserver (${num(fsMedian, 1)} ms)`)],
    ['  where it goes: script and glue, loaded ahead by the spare (not counted above)', '', ...eng(part('scriptAndGlueMs'), 1), ''],
    ['  init message to the worker', '', ...eng(part('initMessageMs'), 1), ''],
    ['  its own instance of the module', '', ...eng(part('instanceMs'), 1), ''],
    ['  kernel warm-up', '', ...eng(part('warmUpMs'), 1), ''],
    ['  ready message back', '', ...eng(part('readyMessageMs'), 1), ''],
    ['  all of it, request to ready (a worker of our own)', '', ...eng(part('fromRequestMs'), 1), ''],
    ['One process with nothing loaded ahead (new Worker to ready)', `first start: ${['spawn', 'forkserver', 'fork'].map((m) => `${m} ${range(pyFirst(m), { unit: ' ms', digits: 1 })}`).join('; ')}`, ...eng(noSpare, 1), ''],
    ['Cold Pool(8) on 2 cores, each process request to ready (median spawn span of the cold run; CPython: Pool() to each initializer running)', pyPoolText, ...eng(poolSpawn, 1), ''],
    ['Cold Pool(8) on 2 cores, per process: all eight ready, over 8', '', ...eng(poolPerProcess, 1), metEach('cold Pool(8), per process', poolPerProcess, fsMedian, `<= CPython forkserver, one process (${num(fsMedian, 1)} ms)`)],
    ...config.poolSizes.map((n) => [
      `Thread pool start-up, ${n} threads (request to first answer, warm-up included)`,
      `${n} thread starts: ${num((pyThread?.median ?? NaN) * n, 2)} ms (one: ${range(pyThread, { unit: ' ms', digits: 3 })})`,
      ...eng((b) => stats([b.costs?.pools?.[n]?.totalMs]), 0),
      '',
    ]),
    ['Thread pool resized from 2 to 8 threads by an edit, Run at once: the run waits for the new pool', '', ...eng(resized(0, 'waitedMs'), 0), ''],
    ['  the same, Run 2 s after the edit: the run waits (the page started the pool ahead once the edit rested)', '', ...eng(resized(2000, 'waitedMs'), 0),
      engines
        .map((e) => {
          const waited = resized(2000, 'waitedMs')(B[e])?.median ?? NaN;
          return `${label(e)}: ${target('3. start-up', 'a resize, Run 2 s after the edit', e, waited, ' ms', '< the 8-thread start-up above', waited < pool8Start(B[e]))}`;
        })
        .join('; ')],
    ['  what the start ahead took, in idle time (not counted)', '', ...eng(resized(2000, 'aheadMs'), 0), ''],
    ["Page's event-loop lag p99 while a Pool(8) starts and runs (CPU work)", '', ...eng(poolLag, 1), metEach('event-loop lag p99, Pool(8)', poolLag, 20, '<= 20 ms')],
    ['Page load to ready, localhost (navigation start to data-state=ready: the form filled, Run enabled; no-store)', '', ...eng(loads, 0), metEach('page load to ready', loads, 300, '<= 300 ms')],
    ['  and to the kernel calibrated (a Run clicked before waits for it)', '', ...eng(calibrated, 0), metEach('page load to calibrated', calibrated, 300, '<= 300 ms')],
    [`10,000 asyncio futures sleeping ${config.ioMs} ms (wall)`, range(py10k, { unit: ' ms' }), ...eng(a10k, 0), metEach('10,000 asyncio futures', a10k, a10kGoal, `<= 1.1 x ${config.ioMs} + 20 = ${num(a10kGoal)} ms`)],
  ];
  const s3 = table(['Figure', `CPython ${st[0]?.python ?? ''}`, ...engines.map(label), 'Target'], s3rows);

  // 4. Messages and sizes.
  const s4 = table(
    ['Cost', ...engines.map(label)],
    [
      ['Message round trip, small (page -> process -> page, median)', ...engines.map((e) => range(stats([median(B[e]?.costs?.rtt ?? [])]), { unit: ' ms', digits: 3 }))],
      ['A 1 MiB result, process -> page, one way (median)', ...engines.map((e) => range(stats([median(B[e]?.costs?.mib?.oneWay ?? [])]), { unit: ' ms', digits: 2 }))],
      ['A 0 KiB result, one way (median)', ...engines.map((e) => range(stats([median(B[e]?.costs?.small?.oneWay ?? [])]), { unit: ' ms', digits: 2 }))],
      ...['plain', 'threads'].map((build) => [
        `wasm, ${build} build, gzip -9 (raw ${num(raw.wasmRawBytes[build] / 1000)} KB)`,
        ...engines.map((e) => `${num(raw.wasmGzipBytes[build] / 1000, 1)} KB, ${target('4. sizes', `wasm gzip, ${build}`, e, raw.wasmGzipBytes[build] / 1000, ' KB', '<= 100 KB', raw.wasmGzipBytes[build] / 1000 <= 100)}`),
      ]),
    ],
  );

  // 5. Responsiveness during runs.
  const LAG = config.workers.flatMap((w) => [
    { label: `threading, ${w} threads, GIL on, CPU`, get: (/** @type {BrowserRaw} */ b) => over(b.compare?.[w], 'threading', 'cpu', '', 'lagP99Ms') },
    { label: `threading, ${w} threads, GIL off, CPU`, get: (/** @type {BrowserRaw} */ b) => over(b.gilOff?.[w], 'threading', 'cpu', 'gil-off', 'lagP99Ms') },
    { label: `multiprocessing, Pool(${w}) cold then warm, CPU`, get: (/** @type {BrowserRaw} */ b) => over(b.compare?.[w], 'multiprocessing', 'cpu', 'cold', 'lagP99Ms') },
  ]);
  /** @type {Record<string, any>} */
  const lag = {};
  const s5 = table(
    ["Run: the page's event-loop lag p99", ...engines.map(label)],
    LAG.map((c) => [
      c.label,
      ...engines.map((e) => {
        const s = c.get(B[e]);
        lag[`${e}: ${c.label}`] = s;
        return `${range(s, { unit: ' ms', digits: 1 })}${s ? `, ${target('5. responsiveness', `lag p99, ${c.label}`, e, s.median, ' ms', '<= 20 ms', s.median <= 20)}` : ''}`;
      }),
    ]),
  );

  // 6. Sequential rows.
  const seq = (/** @type {string} */ workload) => (/** @type {BrowserRaw} */ b) => over(b.compare?.[w0], 'sequential', workload, '', 'wallMs');
  const nat = raw.nativeRayon[w0];
  const s6 = table(
    ['Sequential, 8 tasks', `CPython ${st[0]?.python ?? ''}`, 'Native (same Rust)', ...engines.map(label)],
    [
      ['I/O wall (nominal 1600 ms)', range(pyStats('sequential', 'io', w0).wall, { unit: ' ms' }), '(not run)', ...eng(seq('io'))],
      ['CPU wall (nominal 1600 ms)', range(pyStats('sequential', 'cpu', w0).wall, { unit: ' ms' }), `${range(stats(nat.seq_ms), { unit: ' ms' })} (1-thread pool)`, ...eng(seq('cpu'))],
      ['Kernel, iterations/ms', `${range(pyKernel, { digits: 0 })} (pure Python)`, range(nativeKernel, { digits: 0 }), ...engines.map((e) => range(settled(B[e]), { digits: 0 }))],
    ],
  );

  const sections = {
    playgroundVsCPython: cells,
    kernelPerContext: kernelSection,
    startup: {
      cpython: { processStartMs: Object.fromEntries(['spawn', 'forkserver', 'fork'].map((m) => [m, pyMethod(m)])), poolStartPerProcessMs: Object.fromEntries(['spawn', 'forkserver', 'fork'].map((m) => [m, pyPool(m)])), threadStartMs: pyThread, asyncio10kMs: py10k },
      engines: Object.fromEntries(
        engines.map((e) => [
          e,
          {
            processFromSpareMs: processFromSpare(B[e]),
            processNoSpareMs: noSpare(B[e]),
            breakdownMs: Object.fromEntries(['scriptAndGlueMs', 'initMessageMs', 'instanceMs', 'warmUpMs', 'readyMessageMs', 'fromRequestMs'].map((k) => [k, part(k)(B[e])])),
            coldPool8PerProcessMs: poolSpawn(B[e]),
            pool8LagP99Ms: poolLag(B[e]),
            threadPoolStartMs: Object.fromEntries(config.poolSizes.map((n) => [n, B[e]?.costs?.pools?.[n] ?? null])),
            pageLoadToReadyMs: loads(B[e]),
            firstPageLoadMs: B[e]?.loads?.[0] ?? null,
            pageLoadToCalibratedMs: calibrated(B[e]),
            resize2to8WaitMs: Object.fromEntries(Object.keys(B[e]?.resize ?? {}).map((p) => [p, resized(Number(p), 'waitedMs')(B[e])])),
            asyncio10kMs: a10k(B[e]),
          },
        ]),
      ),
    },
    responsiveness: lag,
  };

  const md = [
    `## 1. Playground vs CPython 3.11, ${config.tasks} tasks x ${config.ioMs} ms (I/O) / ${config.cpuMs} ms (CPU): speedup over sequential`,
    '',
    `Each browser figure is the median [min–max] of the page's own rounds (\`repeat=${config.reps}\`: the models take turns within each round, each over the sequential run of its round); CPython's, of ${config.reps} runs of the generated scripts, each CPU script's speedup taken per iteration of work. ✓: the same side of 1x as CPython, ✗: the other side. Sides: ${SIDES_TEXT}. A cold pool is measured in the first round only. Pools with more processes than cores are shown, not checked.`,
    '',
    s1,
    '',
    disagreements.length ? `**On the other side of 1x from CPython:** ${disagreements.join('; ')}.` : 'Every checked cell, in every engine, lands on the same side of 1x as CPython.',
    '',
    '## 2. Kernel speed per context',
    '',
    `The CPU work of every context is sized by one calibration on the page. Each row's \`speedRatio\` says how fast the slowest lane of that context really computed, over that calibration (1x: as calibrated; the page calls a context below ${SLOW_CONTEXT}x slowed by other work). Native kernel: ${range(nativeKernel, { digits: 0 })} iterations/ms; CPython's: ${range(pyKernel, { digits: 0 })}.`,
    '',
    s2,
    '',
    '## 3. Start-up, beside CPython',
    '',
    `CPython figures come from bench/startup.py in the same run: a \`multiprocessing\` Process's start to its target running, one at a time, per start method (3.11's default on Linux is fork); each worker of a cold Pool(8) from \`Pool()\` to its initializer running; a \`threading.Thread\`'s start to its target running. A browser process is counted from the page's request to the process's ready message, its kernel warmed up (\`WARM_UP_MS\` in \`runners/processes.js\`), which CPython's processes do not do. Absolute targets hold for this machine only.`,
    '',
    s3,
    '',
    '## 4. Messages and sizes',
    '',
    s4,
    '',
    "## 5. Responsiveness: the page's event loop during runs",
    '',
    'The lag meter beats every 10 ms on the page; lag is how late each beat fired, over each round.',
    '',
    s5,
    '',
    '## 6. Sequential rows',
    '',
    s6,
  ].join('\n');

  return { sections, targets, disagreements, md };
}
