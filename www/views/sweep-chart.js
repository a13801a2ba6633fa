// @ts-check
/**
 * The scaling sweep's chart: speedup against workers for each series, with the ideal line
 * and the machine's core count marked, and the same figures as a table. A pure view: the
 * sweep's runner (`runners/sweep.js`) hands it each point as it is measured. The chart is
 * uPlot, vendored at build time as an ES module.
 */
import uPlot from '../vendor/uPlot.esm.js';

/**
 * A chart and its table for `keys` over `counts` workers, filled in as points arrive.
 * @param {HTMLElement} root
 * @param {HTMLTableElement} tableEl
 * @param {number[]} counts
 * @param {string[]} keys
 * @param {number} cores
 * @param {string} workloadName e.g. "CPU-bound"
 */
export function sweepChart(root, tableEl, counts, keys, cores, workloadName) {
  /** @type {Map<string, (number|null)[]>} */
  const speedups = new Map(keys.map((k) => [k, counts.map(() => null)]));
  const chart = draw(root, counts, keys, speedups, cores);
  let key = legend(counts, speedups, workloadName);
  root.append(key);
  table(tableEl, counts, speedups, workloadName);
  return {
    /** @param {string} key @param {number} i @param {number} speedup */
    point(k, i, speedup) {
      /** @type {(number|null)[]} */ (speedups.get(k))[i] = speedup;
      chart.setData(data(counts, speedups));
      const next = legend(counts, speedups, workloadName);
      key.replaceWith(next);
      key = next;
      table(tableEl, counts, speedups, workloadName);
    },
  };
}

/**
 * The chart's key, with values: each series' colour, its name and the speedup it reached
 * with the most workers measured so far; the ideal line says what it stands for.
 * @param {number[]} counts @param {Map<string, (number|null)[]>} speedups @param {string} workloadName
 */
function legend(counts, speedups, workloadName) {
  const ul = document.createElement('ul');
  ul.className = 'sweep-legend';
  ul.setAttribute('aria-label', `Key to the chart of ${workloadName} work`);
  const item = (/** @type {string|null} */ color, /** @type {string} */ text) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = color ? 'sweep-swatch' : 'sweep-swatch sweep-ideal';
    if (color) sw.style.background = color;
    sw.setAttribute('aria-hidden', 'true');
    li.append(sw, text);
    return li;
  };
  ul.append(item(null, 'ideal: n workers, n times faster'));
  [...speedups].forEach(([k, values], i) => {
    let at = -1;
    values.forEach((v, j) => {
      if (v !== null) at = j;
    });
    const value = at < 0 ? 'not measured yet' : `${(/** @type {number} */ (values[at])).toFixed(2)}x with ${counts[at]} worker${counts[at] === 1 ? '' : 's'}`;
    ul.append(item(COLORS[i % COLORS.length], `${k}: ${value}`));
  });
  return ul;
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
    // The key is ours (legend() below): uPlot's shows "Value: --" until a pointer hovers.
    legend: { show: false },
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

/**
 * The same figures as a real table, for screen readers and copying.
 * @param {HTMLTableElement} t
 * @param {number[]} counts
 * @param {Map<string, (number|null)[]>} speedups
 * @param {string} workloadName
 */
function table(t, counts, speedups, workloadName) {
  t.replaceChildren();
  const caption = document.createElement('caption');
  caption.textContent = `${workloadName} work: speedup over sequential, by number of workers`;
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
