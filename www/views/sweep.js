// @ts-check
/**
 * The scaling sweep: threading (GIL on and off) and multiprocessing with 1, 2, 4, …
 * workers, plotted as speedup against workers, with the ideal line and the machine's core
 * count marked. The chart is uPlot, vendored at build time as an ES module.
 */
import uPlot from '../vendor/uPlot.esm.js';
import { runModel } from '../runners/index.js';
import { withChanges } from '../params.js';
import { engine } from '../engine.js';

/**
 * Worker counts to try: powers of two up to the tasks (more workers than tasks idle).
 * @param {number} tasks
 * @param {number} cores
 */
export function workerCounts(tasks, cores) {
  const top = Math.min(tasks, Math.max(8, cores * 2), 16);
  const counts = [];
  for (let n = 1; n <= top; n *= 2) counts.push(n);
  return counts;
}

/**
 * @typedef {object} SweepOptions
 * @property {HTMLElement} root
 * @property {HTMLTableElement} table
 * @property {string} query
 * @property {import('../params.js').Params} params
 * @property {import('../engine.js').Capabilities} caps
 * @property {number} itersPerMs
 * @property {AbortSignal} signal
 * @property {(done: number, total: number, text: string) => void} onProgress
 */

/** @param {SweepOptions} o */
export async function runSweep(o) {
  const counts = workerCounts(o.params.tasks, o.caps.cores);
  const series = [
    ...(o.caps.threads
      ? [
          { key: 'threads, GIL on', model: 'threading', param: 'threads', extra: { gil: 'on' } },
          { key: 'threads, GIL off', model: 'threading', param: 'threads', extra: { gil: 'off' } },
        ]
      : []),
    { key: 'processes (warm pool)', model: 'multiprocessing', param: 'processes', extra: { pool: 'on' } },
  ];
  const total = 1 + counts.length * series.length;
  let done = 0;
  /** @param {string} model @param {Record<string, string>} changes */
  const measure = async (model, changes) => {
    const query = withChanges(o.query, { lab: 'none', ...changes });
    const params = (await engine()).wasm.parseQuery(query).params;
    const results = await runModel(/** @type {any} */ (model), {
      query,
      params,
      itersPerMs: o.itersPerMs,
      caps: o.caps,
      signal: o.signal,
      onTrace: () => {},
    });
    return (results.find((r) => r.variant === 'warm') ?? results[0]).wallMs;
  };
  o.onProgress(done, total, 'Sweep: the sequential baseline…');
  const base = await measure('sequential', {});
  done++;
  /** @type {Map<string, (number|null)[]>} */
  const speedups = new Map(series.map((s) => [s.key, counts.map(() => null)]));
  const chart = draw(o.root, counts, series.map((s) => s.key), speedups, o.caps.cores);
  for (const [ci, n] of counts.entries()) {
    for (const s of series) {
      o.onProgress(done, total, `Sweep: ${s.key}, ${n} worker${n === 1 ? '' : 's'} (${done + 1}/${total})…`);
      const wall = await measure(s.model, { ...s.extra, [s.param]: String(n) });
      /** @type {(number|null)[]} */ (speedups.get(s.key))[ci] = base / wall;
      done++;
      update(chart, counts, speedups);
      table(o.table, counts, speedups);
    }
  }
  return { counts, speedups: Object.fromEntries(speedups), baseMs: base };
}

const COLORS = ['#d9730d', '#2f80ed', '#27ae60'];

/**
 * @param {HTMLElement} root
 * @param {number[]} counts
 * @param {string[]} keys
 * @param {Map<string, (number|null)[]>} speedups
 * @param {number} cores
 */
function draw(root, counts, keys, speedups, cores) {
  root.replaceChildren();
  const width = Math.max(280, Math.min(720, root.clientWidth || 640));
  const cssVar = (/** @type {string} */ name, /** @type {string} */ fallback) =>
    getComputedStyle(root).getPropertyValue(name).trim() || fallback;
  const axisColor = cssVar('--fg-muted', '#666');
  const opts = {
    width,
    height: 280,
    scales: { x: { time: false }, y: { range: (/** @type {any} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(max, counts.at(-1) ?? 1) * 1.05] } },
    axes: [
      { label: 'workers', stroke: axisColor, values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
      { label: 'speedup (x)', stroke: axisColor },
    ],
    series: [
      {},
      { label: 'ideal', stroke: axisColor, dash: [4, 4], width: 1, points: { show: false } },
      ...keys.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true, size: 7 } })),
    ],
    hooks: {
      // The machine's core count: past it, more workers cannot add parallel speed.
      draw: [
        (/** @type {any} */ u) => {
          const x = u.valToPos(cores, 'x', true);
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = axisColor;
          ctx.setLineDash([2, 3]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.fillStyle = axisColor;
          ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
          ctx.fillText(`${cores} cores`, x + 4 * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
          ctx.restore();
        },
      ],
    },
  };
  return new uPlot(opts, data(counts, speedups), root);
}

/** @param {number[]} counts @param {Map<string, (number|null)[]>} speedups */
function data(counts, speedups) {
  return [counts, counts, ...speedups.values()];
}

/** @param {any} chart @param {number[]} counts @param {Map<string, (number|null)[]>} speedups */
function update(chart, counts, speedups) {
  chart.setData(data(counts, speedups));
}

/**
 * The same figures as a real table, for screen readers and copying.
 * @param {HTMLTableElement} t
 * @param {number[]} counts
 * @param {Map<string, (number|null)[]>} speedups
 */
function table(t, counts, speedups) {
  t.replaceChildren();
  const caption = document.createElement('caption');
  caption.textContent = 'Speedup over sequential, by number of workers';
  const head = document.createElement('tr');
  for (const h of ['workers', ...speedups.keys()]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  counts.forEach((n, i) => {
    const tr = document.createElement('tr');
    tr.dataset.workers = String(n);
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = String(n);
    tr.append(th);
    for (const values of speedups.values()) {
      const td = document.createElement('td');
      const v = values[i];
      td.textContent = v === null ? '—' : `${v.toFixed(2)}x`;
      tr.append(td);
    }
    tbody.append(tr);
  });
  t.append(caption, thead, tbody);
}
