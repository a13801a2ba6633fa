// The results table and its exports (CSV, JSON). renderResults fills a real <table> the
// page owns with one row per model, workload and variant (the median of its rounds);
// toCSV and toJSON are pure and export every round.

import { NONE, VARIANT_NAMES, WORKLOAD_NAMES, formatMs, formatSpeedup } from './format.js';
import { el } from './dom.js';
import { SLOW_CONTEXT } from './verdicts.js';

/** @typedef {import('../shared/types.js').Result} Result */
/** @typedef {import('./summary.js').Summary} Summary */

/** Column headings, in order; `short` labels the cells of a row shown as a card on narrow screens. */
const COLUMNS = [
  { key: 'model', text: 'Model', short: 'Model', numeric: false },
  { key: 'workload', text: 'Workload', short: 'Workload', numeric: false },
  { key: 'workers', text: 'Workers', short: 'Workers', numeric: true },
  { key: 'wall', text: 'Took', short: 'Took', numeric: true },
  { key: 'speedup', text: 'Speedup over one after another', short: 'Speedup', numeric: true },
  { key: 'lag', text: 'Page stuck for', short: 'Page stuck for', numeric: true },
  { key: 'words', text: 'What it shows', short: 'What it shows', numeric: false },
];

/**
 * The figures of a row in plain words (views/explain.js): the guides' claim, what was
 * measured, why, and whether it agrees.
 * @typedef {{claim: string, measured: string, why: string, status: string|null, agrees: string}} Words
 */

/**
 * Fill `table` with one row per summary. Rows carry data attributes for tests and styling:
 * data-model, data-workload, data-variant, data-wall-ms (the median, 1 decimal),
 * data-speedup (the median of the rounds, 2 decimals, blank when there is no baseline),
 * data-speedup-min, data-speedup-max and data-rounds.
 * @param {HTMLTableElement} table
 * @param {Summary[]} results
 * @param {{explain?: (row: Summary) => Words|null, share?: (row: Summary) => number}} [options]
 *   each row in plain words; the share of the calibrated speed each of its workers gets on a
 *   quiet machine (less than 1 when they outnumber the cores: `fairShare` in verdicts.js)
 */
export function renderResults(table, results, { explain, share } = {}) {
  table.classList.add('results-table');
  const caption = table.caption ?? table.createCaption();
  caption.textContent = results.length
    ? `Results: ${results.length} run${results.length === 1 ? '' : 's'}, how long each took and how much faster than running the tasks one after another`
    : 'Results';

  table.tHead?.remove();
  for (const body of Array.from(table.tBodies)) body.remove();

  const head = table.createTHead();
  const hr = head.insertRow();
  for (const c of COLUMNS) {
    const th = el('th', c.numeric ? 'num' : undefined, c.text);
    th.scope = 'col';
    hr.append(th);
  }

  const body = table.createTBody();
  if (!results.length) {
    const td = el('td', 'empty', 'No results yet. Run a scenario to measure it.');
    td.colSpan = COLUMNS.length;
    body.insertRow().append(td);
    keepTableRoles(table);
    return;
  }

  for (const r of results) {
    const tr = body.insertRow();
    tr.dataset.model = r.model;
    tr.dataset.workload = r.workload;
    tr.dataset.variant = r.variant ?? '';
    tr.dataset.wallMs = Number.isFinite(r.wallMs) ? r.wallMs.toFixed(1) : '';
    tr.dataset.speedup = fixed(r.speedup);
    tr.dataset.speedupMin = fixed(r.speedupMin);
    tr.dataset.speedupMax = fixed(r.speedupMax);
    tr.dataset.rounds = String(r.rounds);

    const th = el('th', 'model');
    th.scope = 'row';
    th.append(el('span', `model-name model-${r.model}`, r.model));
    if (r.variant) th.append(' ', el('span', 'tag', VARIANT_NAMES[r.variant] ?? r.variant));
    else if (r.model === 'threading' && r.gil === false) th.append(' ', el('span', 'tag', 'GIL off'));
    if (r.label && r.label !== r.model) th.title = r.label;
    tr.append(th);

    // The longest the page could not respond (its event loop was busy or late): the
    // lesson of asyncio on CPU work. Below 50 ms nobody notices.
    const lag = r.lagMaxMs == null ? NONE : r.lagMaxMs < 50 ? 'never' : formatMs(r.lagMaxMs);
    const lagCell = el('td', 'num', lag);
    if (r.lagMaxMs != null) lagCell.title = `the page's event loop was late by at most ${formatMs(r.lagMaxMs)} (99% of the time under ${formatMs(r.lagP99Ms)})`;
    const cells = [
      el('td', undefined, WORKLOAD_NAMES[r.workload] ?? r.workload),
      el('td', 'num', r.workers == null ? NONE : String(r.workers)),
      el('td', 'num', formatMs(r.wallMs)),
      el('td', 'num speedup', speedupText(r)),
      lagCell,
      wordsCell(explain?.(r) ?? null, [r.note, slowNote(r, share?.(r) ?? 1)].filter(Boolean).join('; ')),
    ];
    if (r.speedup != null && Number.isFinite(r.speedup)) {
      cells[3].classList.add(r.speedup >= 1.4 ? 'faster' : r.speedup < 0.8 ? 'slower' : 'same');
    }
    // data-label lets narrow screens show each cell as "label: value"; empty cells (.none)
    // are left out of that card view (style.css).
    cells.forEach((td, i) => {
      td.dataset.label = COLUMNS[i + 1].short;
      if (td.textContent === NONE || td.textContent === '') td.classList.add('none');
    });
    tr.append(...cells);
  }
  keepTableRoles(table);
}

/**
 * A plain-words note when a context of the run computed slower than the calibration, or than
 * its `share` of it when the workers outnumber the cores.
 * @param {Summary} r @param {number} share
 */
function slowNote(r, share) {
  if (r.speedRatio == null || r.speedRatio / share >= SLOW_CONTEXT) return '';
  const expected = share < 1 ? `, where its share of the cores was ${Math.round(share * 100)}%` : '';
  return `computed at ${Math.round(r.speedRatio * 100)}% of this machine's calibrated speed${expected}: something else was using the processor`;
}

/**
 * The "What it shows" cell: the guides' claim, what was measured and why, then the note.
 * @param {Words|null} w @param {string} note
 */
function wordsCell(w, note) {
  const td = el('td', 'words');
  if (w) {
    if (w.claim) td.append(line('The guides', `${w.claim}.`));
    const here = line('Here', w.measured);
    if (w.agrees) here.append(' ', el('strong', `agrees agrees-${w.status}`, `(${w.agrees})`));
    td.append(here);
    if (w.why) td.append(line('Why', w.why));
  }
  if (note) td.append(el('p', 'note', note));
  return td;
}

/** @param {string} label @param {string} text */
function line(label, text) {
  const p = el('p', 'word-line');
  p.append(el('span', 'word-label', `${label}: `), text);
  return p;
}

/** A figure for a data attribute: 2 decimals, blank when there is none. @param {number|null} v */
const fixed = (v) => (v != null && Number.isFinite(v) ? v.toFixed(2) : '');

/**
 * The median speedup, with the range of the rounds when there were several.
 * @param {Summary} r
 */
export function speedupText(r) {
  const s = formatSpeedup(r.speedup);
  if (r.rounds < 2 || r.speedupMin == null || r.speedupMax == null) return s;
  return `${s} (${formatSpeedup(r.speedupMin)}–${formatSpeedup(r.speedupMax)})`;
}

/**
 * Explicit ARIA roles, because narrow screens restyle the table's parts as blocks and some
 * browsers then drop the table semantics (https://adrianroselli.com/2018/02/tables-css-display-properties-and-aria.html).
 * @param {HTMLTableElement} table
 */
export function keepTableRoles(table) {
  table.setAttribute('role', 'table');
  for (const g of table.querySelectorAll(':scope > thead, :scope > tbody')) g.setAttribute('role', 'rowgroup');
  for (const tr of table.rows) {
    tr.setAttribute('role', 'row');
    for (const c of tr.cells) {
      const scope = c.getAttribute('scope');
      c.setAttribute('role', scope === 'col' ? 'columnheader' : scope === 'row' ? 'rowheader' : 'cell');
    }
  }
}

/** CSV columns, in order. */
const CSV_FIELDS = /** @type {const} */ ([
  ['model', (/** @type {Result} */ r) => r.model],
  ['round', (/** @type {Result} */ r) => r.round],
  ['variant', (/** @type {Result} */ r) => r.variant ?? ''],
  ['workload', (/** @type {Result} */ r) => r.workload],
  ['label', (/** @type {Result} */ r) => r.label ?? ''],
  ['workers', (/** @type {Result} */ r) => r.workers],
  ['gil', (/** @type {Result} */ r) => r.gil],
  ['wall_ms', (/** @type {Result} */ r) => (Number.isFinite(r.wallMs) ? Number(r.wallMs.toFixed(3)) : null)],
  ['speedup', (/** @type {Result} */ r) => (r.speedup == null ? null : Number(r.speedup.toFixed(4)))],
  ['lag_max_ms', (/** @type {Result} */ r) => r.lagMaxMs],
  ['lag_p99_ms', (/** @type {Result} */ r) => r.lagP99Ms],
  ['note', (/** @type {Result} */ r) => r.note ?? ''],
]);

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula gets a leading
 * apostrophe (OWASP "CSV injection").
 * @param {unknown} v
 */
function csvField(v) {
  if (v == null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The results as CSV, a header line then one line per result, CRLF line ends.
 * @param {Result[]} results
 * @returns {string}
 */
export function toCSV(results) {
  const lines = [CSV_FIELDS.map(([name]) => name).join(',')];
  for (const r of results) lines.push(CSV_FIELDS.map(([, get]) => csvField(get(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The results and the scenario that produced them, as pretty-printed JSON.
 * @param {Result[]} results
 * @param {unknown} [params] the scenario (the parameter schema's object)
 * @returns {string}
 */
export function toJSON(results, params) {
  return `${JSON.stringify(
    {
      generator: 'Concurrency Playground',
      format: 1,
      exportedAt: new Date().toISOString(),
      params: params ?? null,
      results,
    },
    null,
    2,
  )}\n`;
}
