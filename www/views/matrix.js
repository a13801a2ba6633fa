// The compare-all matrix: models down, workloads across, each cell the measured speedup,
// the wall time, the guides' claim and whether the measurement agrees. A real <table> that
// turns into one card per model on narrow screens (see .matrix in style.css).

import { NONE, VARIANT_NAMES, WORKLOAD_NAMES, formatMs } from './format.js';
import { keepTableRoles, speedupText } from './results.js';
import { claimFor, verdict } from './verdicts.js';
import { el } from './dom.js';

/** @typedef {import('./summary.js').Summary} Result */
/** @typedef {import('./verdicts.js').VerdictStatus} VerdictStatus */

/**
 * @typedef {object} MatrixOptions
 * @property {number} cores the cores that compute at once here, as the page measured them
 * @property {number} [tasks] tasks per run (sharpens the ideal speedups)
 * @property {number} [ioMs] I/O wait per task, ms
 * @property {number} [cpuMs] CPU work per task, ms
 * @property {string[]} workloadOrder every workload, in page order (the schema's)
 * @property {string[]} models every model, in page order (the schema's): rows shown even before they are measured
 * @property {string[]} [workloads] columns to show even before they are measured
 * @property {{model: string, workload: string, variant?: string}|null} [running] the cell being measured now
 * @property {boolean} [gil] whether the threading runs use a GIL (for the claim of unmeasured cells)
 * @property {number} [probe] the slowest noise probe of the run (see verdicts.js)
 */

/** Icons for each verdict; the text beside them says the same, so colour is never the only cue. */
const ICONS = /** @type {Record<VerdictStatus, string>} */ ({
  confirmed: '✓',
  contradicted: '✗',
  inconclusive: '≈',
  untestable: '–',
  baseline: '·',
  pending: '…',
});

const VARIANT_ORDER = ['', 'gil-on', 'gil-off', 'cold', 'warm'];

/** One-line description of each model, under its name. */
const MODEL_BLURB = /** @type {Record<string, string>} */ ({
  sequential: 'one task after another',
  asyncio: 'one thread, an event loop',
  threading: 'threads sharing memory',
  multiprocessing: 'separate processes',
  'asyncio-processes': 'asyncio, computing in processes',
  'asyncio-threads': 'asyncio, computing on threads',
});

/**
 * Render the matrix into `root` (its children are replaced).
 * @param {HTMLElement} root
 * @param {Result[]} results
 * @param {MatrixOptions} options
 */
export function renderMatrix(root, results, options) {
  const o = options;
  /** @type {Set<string>} */
  const present = new Set(results.map((r) => r.workload));
  for (const w of o.workloads ?? []) present.add(w);
  if (o.running) present.add(o.running.workload);
  if (!present.size) ['io', 'cpu'].forEach((w) => present.add(w));
  const known = o.workloadOrder;
  const workloads = [...known.filter((w) => present.has(w)), ...[...present].filter((w) => !known.includes(w))];

  // Rows: every model asked for, one row per variant measured (multiprocessing cold/warm).
  const models = o.models;
  /** @type {Map<string, Set<string>>} */
  const variants = new Map(models.map((m) => [m, new Set()]));
  for (const r of results) {
    if (!variants.has(r.model)) variants.set(r.model, new Set());
    variants.get(r.model)?.add(r.variant ?? '');
  }
  if (o.running) variants.get(o.running.model)?.add(o.running.variant ?? '');
  /** @type {{model: string, variant: string}[]} */
  const rows = [];
  const modelOrder = [...models, ...[...variants.keys()].filter((m) => !models.includes(m))];
  for (const m of modelOrder) {
    const vs = variants.get(m);
    if (!vs) continue;
    const list = vs.size ? [...vs] : [''];
    list.sort((a, b) => rank(a) - rank(b));
    for (const v of list) rows.push({ model: m, variant: v });
  }

  /** @type {Map<string, Result>} the latest result per cell */
  const byCell = new Map();
  for (const r of results) byCell.set(key(r.model, r.workload, r.variant ?? ''), r);

  const table = el('table', 'matrix');
  const caption = el(
    'caption',
    undefined,
    'Speedup over running the tasks one after another, for each model and workload, and whether it agrees with what the guides claim',
  );
  table.append(caption);

  const thead = table.createTHead();
  const hr = thead.insertRow();
  const corner = el('th', 'corner', 'Model');
  corner.scope = 'col';
  hr.append(corner);
  for (const w of workloads) {
    const th = el('th', undefined, WORKLOAD_NAMES[w] ?? w);
    th.scope = 'col';
    hr.append(th);
  }

  const tbody = table.createTBody();
  let confirmed = 0;
  let contradicted = 0;
  let inconclusive = 0;
  for (const row of rows) {
    const tr = tbody.insertRow();
    tr.dataset.model = row.model;
    tr.dataset.variant = row.variant;
    const th = el('th', 'matrix-model');
    th.scope = 'row';
    th.append(el('span', `model-name model-${row.model}`, row.model));
    if (row.variant) th.append(' ', el('span', 'tag', VARIANT_NAMES[row.variant] ?? row.variant));
    th.append(el('span', 'matrix-blurb', MODEL_BLURB[row.model] ?? ''));
    tr.append(th);

    for (const w of workloads) {
      const r = byCell.get(key(row.model, w, row.variant));
      const td = el('td', 'matrix-cell');
      td.dataset.model = row.model;
      td.dataset.workload = w;
      td.dataset.variant = row.variant;
      td.dataset.label = WORKLOAD_NAMES[w] ?? w;
      const isRunning =
        !!o.running &&
        o.running.model === row.model &&
        o.running.workload === w &&
        (o.running.variant ?? '') === row.variant;

      if (!r) {
        td.dataset.verdict = isRunning ? 'running' : 'pending';
        td.append(el('div', 'cell-speedup placeholder', isRunning ? 'running…' : NONE));
        const gil = row.variant === 'gil-off' ? false : o.gil ?? true;
        const c = claimFor({ model: /** @type {any} */ (row.model), workload: /** @type {any} */ (w), gil, variant: row.variant });
        if (c) td.append(claimLine(c.claim));
        if (isRunning) td.setAttribute('aria-busy', 'true');
        tr.append(td);
        continue;
      }

      const peers = results.filter((p) => p.workload === w && p !== r);
      const v = verdict(r, { ...o, peers });
      if (v.status === 'confirmed') confirmed++;
      if (v.status === 'contradicted') contradicted++;
      if (v.status === 'inconclusive') inconclusive++;
      td.dataset.verdict = v.status;
      td.dataset.wallMs = Number.isFinite(r.wallMs) ? r.wallMs.toFixed(1) : '';
      const fixed = (/** @type {number|null} */ v) => (v != null && Number.isFinite(v) ? v.toFixed(2) : '');
      td.dataset.speedup = fixed(r.speedup);
      td.dataset.speedupMin = fixed(r.speedupMin);
      td.dataset.speedupMax = fixed(r.speedupMax);

      const big = el('div', 'cell-speedup', row.model === 'sequential' ? '1×' : speedupText(r));
      td.append(big);
      const wall = el('div', 'cell-wall');
      wall.append(formatMs(r.wallMs));
      if (r.workers != null && row.model !== 'sequential' && row.model !== 'asyncio') {
        const one = r.workers === 1;
        // multiprocessing and asyncio-processes count processes; the others, threads.
        const unit = /process/.test(row.model) ? (one ? 'process' : 'processes') : one ? 'thread' : 'threads';
        wall.append(` · ${r.workers} ${unit}`);
      }
      // The page's own loop, stuck long enough for a person to notice: asyncio's lesson.
      if (r.lagMaxMs != null && r.lagMaxMs >= 50) wall.append(` · page stuck ${formatMs(r.lagMaxMs)}`);
      td.append(wall);
      td.append(claimLine(v.claim));
      const p = el('p', `verdict verdict-${v.status}`);
      p.append(el('span', 'verdict-icon', ICONS[v.status]), el('span', 'verdict-text', v.text));
      p.firstElementChild?.setAttribute('aria-hidden', 'true');
      td.append(p);
      tr.append(td);
    }
  }

  const summary = el('div', 'matrix-summary');
  const measured = results.filter((r) => r.model !== 'sequential').length;
  const rounds = Math.max(0, ...results.map((r) => r.rounds));
  const text = el('p');
  text.textContent = measured
    ? `${confirmed} confirmed, ${inconclusive} inconclusive, ${contradicted} contradicted, of ${measured} measured cell${measured === 1 ? '' : 's'}` +
      `${rounds > 1 ? `, each the median of ${rounds} rounds` : ''} · ${o.cores} logical core${o.cores === 1 ? '' : 's'} on this device`
    : 'Nothing measured yet.';
  summary.append(text);
  if (inconclusive > 0) {
    const again = el('button', 'run-again', 'Run again');
    again.type = 'button';
    again.dataset.action = 'compare';
    summary.append(again);
  }

  keepTableRoles(/** @type {HTMLTableElement} */ (table));
  const wrap = el('div', 'matrix-scroll');
  wrap.append(table);
  root.replaceChildren(wrap, summary);
}

/** @param {string} claim */
function claimLine(claim) {
  const p = el('p', 'cell-claim');
  p.append(el('span', 'visually-hidden', 'Claim: '), `“${claim}”`);
  return p;
}

/** @param {string} v */
function rank(v) {
  const i = VARIANT_ORDER.indexOf(v);
  return i < 0 ? VARIANT_ORDER.length : i;
}

/**
 * @param {string} m
 * @param {string} w
 * @param {string} v
 */
function key(m, w, v) {
  return `${m}\u0000${w}\u0000${v}`;
}
