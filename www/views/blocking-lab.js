// @ts-check
/**
 * The blocking lab's figures side by side: the same waits made three ways, with the wall
 * time, the speedup over one after another and the page's event-loop lag of each, and
 * what the numbers say, in words derived from them. A pure view of the run's rows (the
 * medians of their rounds, `summary.js`).
 */
import { el } from './dom.js';
import { formatMs, formatSpeedup } from './format.js';

/** @typedef {import('./summary.js').Summary} Summary */

/** The three ways, in the lab's order: the row that measured each, and its Python. */
export const WAYS = [
  { key: 'blocking', model: 'asyncio', variant: 'blocking', python: 'time.sleep(s) inside the coroutine' },
  { key: 'to-thread', model: 'asyncio-threads', variant: 'to-thread', python: 'await asyncio.to_thread(time.sleep, s)' },
  { key: 'await', model: 'asyncio', variant: '', python: 'await asyncio.sleep(s)' },
];

/**
 * @param {HTMLElement} root
 * @param {Summary[]} rows the run's rows so far
 * @param {{tasks: number, ioMs: number}} scenario
 */
export function renderBlockingLab(root, rows, scenario) {
  const found = WAYS.map((w) => ({ ...w, row: rows.find((r) => r.model === w.model && (r.variant ?? '') === w.variant) ?? null }));
  const t = el('table', 'lab-table blocking-lab');
  t.append(el('caption', undefined, `${scenario.tasks} asyncio tasks, each waiting ${formatMs(scenario.ioMs)}, three ways`));
  const thead = el('thead');
  const hr = el('tr');
  for (const h of ['the wait', 'wall time', 'speedup', 'loop lag, max', 'loop lag, p99']) hr.append(Object.assign(el('th', undefined, h), { scope: 'col' }));
  thead.append(hr);
  const tbody = el('tbody');
  for (const w of found) {
    const tr = el('tr');
    tr.dataset.way = w.key;
    const r = w.row;
    if (r) {
      tr.dataset.wallMs = r.wallMs.toFixed(1);
      tr.dataset.lagMaxMs = r.lagMaxMs == null ? '' : r.lagMaxMs.toFixed(1);
      tr.dataset.lagP99Ms = r.lagP99Ms == null ? '' : r.lagP99Ms.toFixed(1);
    }
    const name = Object.assign(el('th'), { scope: 'row' });
    name.append(el('code', undefined, w.python));
    tr.append(
      name,
      el('td', 'num', r ? formatMs(r.wallMs) : '—'),
      el('td', 'num', r ? formatSpeedup(r.speedup) : '—'),
      el('td', 'num', r ? formatMs(r.lagMaxMs) : '—'),
      el('td', 'num', r ? formatMs(r.lagP99Ms) : '—'),
    );
    tbody.append(tr);
  }
  t.append(thead, tbody);
  root.replaceChildren(t, ...summary(found, scenario).map((s) => el('p', 'lab-summary', s)));
}

/**
 * What the numbers say, sentence by sentence.
 * @param {{key: string, row: Summary | null}[]} found @param {{tasks: number, ioMs: number}} scenario
 * @returns {string[]}
 */
export function summary(found, scenario) {
  const by = Object.fromEntries(found.map((w) => [w.key, w.row]));
  const out = [];
  const blocked = by.blocking;
  if (blocked) {
    out.push(
      `time.sleep inside each coroutine held the event loop: the ${scenario.tasks} waits went one after another (${formatMs(blocked.wallMs)}, ${formatSpeedup(blocked.speedup)} over one after another), and meanwhile the page's loop answered up to ${formatMs(blocked.lagMaxMs)} late: no other task, timer or click ran.`,
    );
  }
  const threads = by['to-thread'];
  if (threads) {
    const faster = blocked && threads.wallMs > 0 ? ` ${formatSpeedup(blocked.wallMs / threads.wallMs)} faster,` : '';
    out.push(
      `Handed to threads with asyncio.to_thread, the same blocking waits overlapped: ${formatMs(threads.wallMs)},${faster} and the loop stayed free (late by at most ${formatMs(threads.lagMaxMs)}).`,
    );
  }
  const awaited = by.await;
  if (awaited) {
    out.push(`await asyncio.sleep is the wait the loop is made for: ${formatMs(awaited.wallMs)}, no thread needed, the loop late by at most ${formatMs(awaited.lagMaxMs)}.`);
  }
  return out;
}
