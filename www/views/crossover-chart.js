// @ts-check
/**
 * The crossover chart: each model's speedup over running the tasks one after another,
 * against the share of each task spent computing, from all waiting (0%) to all computing
 * (100%), with the points where one model overtakes another marked (`crossover.js` finds
 * them): the guides' table ("asyncio and threads for I/O, processes for CPU") as a
 * continuous picture. The same figures are a table below it. A pure view: the crossover's
 * runner (`runners/crossover.js`) hands it each measurement.
 */
import uPlot from '../vendor/uPlot.esm.js';
import { series, crossings } from './crossover.js';
import { el } from './dom.js';
import { speedupNumber } from './format.js';

/** @typedef {import('./crossover.js').Point} Point */
/** @typedef {import('./crossover.js').Cell} Cell */
/** @typedef {import('./crossover.js').Crossing} Crossing */

const COLORS = ['#0072b2', '#009e73', '#d55e00', '#cc79a7', '#e69f00', '#56b4e9'];

/**
 * A chart, the crossings and a table for `models` (the baseline first) over `shares`,
 * redrawn as points arrive.
 * @param {HTMLElement} root
 * @param {{shares: number[], models: string[], tasks: number, taskMs: number}} o
 */
export function crossoverChart(root, o) {
  const models = o.models.filter((m) => m !== 'sequential');
  const chartEl = el('div', 'crossover-chart');
  const intro = el(
    'p',
    'hint',
    `${o.tasks} tasks of ${o.taskMs} ms each, from all waiting (0% computing) to all computing (100%): speedup over running them one after another, the median of the rounds.`,
  );
  const list = el('ul', 'crossover-points');
  list.setAttribute('aria-live', 'polite');
  const tableEl = /** @type {HTMLTableElement} */ (el('table', 'crossover-table'));
  const wrap = el('div', 'table-wrap');
  wrap.append(tableEl);
  root.replaceChildren(intro, chartEl, list, wrap);
  /** @type {Point[]} */
  const points = [];
  let cells = series(points, o.shares, models);
  let found = crossings(cells, o.shares);
  const chart = draw(chartEl, o.shares, models, () => found);
  const update = () => {
    cells = series(points, o.shares, models);
    found = crossings(cells, o.shares);
    chart.setData([o.shares, o.shares.map(() => 1), ...models.map((m) => (cells.get(m) ?? []).map((c) => c?.speedup ?? null))]);
    describe(list, found);
    table(tableEl, o.shares, cells);
  };
  update();
  return {
    /** @param {Point} p */
    point(p) {
      points.push(p);
      update();
    },
    /** What the chart shows now: the crossings found. */
    crossings: () => found,
  };
}

/**
 * @param {HTMLElement} root @param {number[]} shares @param {string[]} models
 * @param {() => Crossing[]} found
 */
function draw(root, shares, models, found) {
  const width = Math.max(280, Math.min(720, root.clientWidth || 640));
  const cssVar = (/** @type {string} */ name, /** @type {string} */ fallback) => getComputedStyle(root).getPropertyValue(name).trim() || fallback;
  const axisColor = cssVar('--fg-muted', '#666');
  const opts = {
    width,
    height: 300,
    scales: { x: { time: false, range: /** @type {[number, number]} */ ([0, 100]) }, y: { range: (/** @type {any} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(max, 2) * 1.08] } },
    axes: [
      { label: 'share of each task spent computing (%)', stroke: axisColor },
      { label: 'speedup (x)', stroke: axisColor },
    ],
    series: [
      {},
      { label: 'one after another (1x)', stroke: axisColor, dash: [4, 4], width: 1, points: { show: false } },
      ...models.map((m, i) => ({ label: m, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true, size: 6 } })),
    ],
    hooks: {
      // The crossings: a ring where one model overtakes another (dashed when inconclusive).
      draw: [
        (/** @type {any} */ u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.strokeStyle = cssVar('--fg', '#1d2230');
          for (const c of found()) {
            const x = u.valToPos(c.share, 'x', true);
            const y = u.valToPos(c.speedup, 'y', true);
            ctx.setLineDash(c.status === 'clear' ? [] : [3 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.arc(x, y, 8 * devicePixelRatio, 0, 2 * Math.PI);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
  return new uPlot(opts, [shares, shares.map(() => 1), ...models.map(() => shares.map(() => null))], root);
}

/** @param {number} share */
const pct = (share) => `${Math.round(share)}%`;

/**
 * The crossings in words, one item each, with data attributes for tests and styling.
 * @param {HTMLElement} list @param {Crossing[]} found
 */
function describe(list, found) {
  list.replaceChildren(
    ...found.map((c) => {
      const li = el(
        'li',
        `crossing crossing-${c.status}`,
        `${c.ahead} overtakes ${c.behind} at about ${pct(c.share)} computing (${speedupNumber(c.speedup)}x)${c.why ? `: inconclusive, ${c.why}` : ''}`,
      );
      Object.assign(li.dataset, { ahead: c.ahead, behind: c.behind, share: c.share.toFixed(1), status: c.status });
      return li;
    }),
  );
  if (!found.length) list.append(el('li', 'crossing-none', 'No model overtakes another yet.'));
}

/**
 * The figures as a table: a row per share, a column per model.
 * @param {HTMLTableElement} t @param {number[]} shares @param {Map<string, (Cell | null)[]>} cells
 */
function table(t, shares, cells) {
  t.replaceChildren();
  t.append(el('caption', undefined, 'Speedup over sequential by share of computing (median of the rounds, and their range)'));
  const head = el('tr');
  for (const h of ['computing', ...cells.keys()]) head.append(Object.assign(el('th', undefined, h), { scope: 'col' }));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  shares.forEach((share, i) => {
    const tr = el('tr');
    tr.dataset.share = String(share);
    tr.append(Object.assign(el('th', undefined, pct(share)), { scope: 'row' }));
    for (const [model, values] of cells) {
      const c = values[i];
      const td = el('td', undefined, c ? `${speedupNumber(c.speedup)}x${c.max > c.min ? ` (${speedupNumber(c.min)}–${speedupNumber(c.max)})` : ''}${c.busy ? ', busy' : ''}` : '—');
      td.dataset.model = model;
      td.dataset.speedup = c ? c.speedup.toFixed(2) : '';
      tr.append(td);
    }
    tbody.append(tr);
  });
  t.append(thead, tbody);
}
