// What the pointer and the keyboard reach on a timeline: the span or bin under a point, the
// words that describe it, and where the arrow keys move the focus. Pure functions of the
// layout and the trace.

import { MIN_SPAN_PX } from './layout.js';
import { formatCount, formatMs, formatTick } from '../format.js';

/** @typedef {import('./layout.js').Model} Model */
/** @typedef {import('../../shared/types.js').Trace} Trace */
/** @typedef {{row: number, pos: number}} Focus a row, and a span's position in it or a bin */

/** What each state means, as the legend and tooltips say it. */
export const STATE_LABELS = /** @type {Record<string, string>} */ ({
  running: 'running',
  io_wait: 'waiting for I/O',
  awaiting: 'awaiting a pool',
  gil_wait: 'waiting for the GIL',
  gil_held: 'holding the GIL',
  spawn: 'starting up',
  ipc: 'messaging',
  blocked: 'blocked: the loop is busy',
});

/**
 * The row and span (lane rows) or bin (bucket rows) under a point in canvas css px.
 * @param {Model} m @param {Trace} trace @param {number} x @param {number} y
 * @returns {Focus|null}
 */
export function hitTest(m, trace, x, y) {
  if (x < m.x0 - 4 || x > m.x1 + 4) return null;
  const row = m.rows.findIndex((r) => y >= r.y && y < r.y + r.h);
  if (row < 0) return null;
  const r = m.rows[row];
  const scale = (m.x1 - m.x0) / m.t1;
  if (r.kind === 'bucket') return { row, pos: binAt(m, x) };
  // The span under the pointer, or the nearest within 4 px (thin spans are hard to hit).
  let best = -1;
  let bestD = 4;
  for (let k = 0; k < r.spans.length; k++) {
    const s = trace.spans[r.spans[k]];
    const a = m.x0 + s.start_ms * scale;
    const b = Math.max(a + MIN_SPAN_PX, m.x0 + s.end_ms * scale);
    const d = x < a ? a - x : x > b ? x - b : 0;
    if (d < bestD || (d === 0 && bestD === 0 && b - a < 2)) {
      best = k;
      bestD = d;
    }
  }
  return best < 0 ? null : { row, pos: best };
}

/** The density bin at canvas x. @param {Model} m @param {number} x */
function binAt(m, x) {
  return Math.max(0, Math.min(m.bins - 1, Math.floor(((x - m.x0) / (m.x1 - m.x0)) * m.bins)));
}

/**
 * Lines describing a span or a bin: the first is the heading.
 * @param {Model} m @param {Trace} trace @param {number} row @param {number} pos
 * @returns {string[]}
 */
export function describe(m, trace, row, pos) {
  const r = m.rows[row];
  const lag = r.label === m.legend.lagLane;
  if (r.kind === 'lane') {
    const s = trace.spans[r.spans[pos]];
    if (!s) return [r.label, 'no spans yet'];
    if (m.legend.gilLane != null && r.label === m.legend.gilLane) return gilTurn(m, trace, r, pos);
    const lines = [r.label];
    if (s.task != null && !/^task \d+$/.test(r.label)) lines.push(`task ${s.task}`);
    lines.push(
      lag && s.state === m.legend.lagState ? 'loop late' : (STATE_LABELS[s.state] ?? s.state),
      `${formatTick(s.start_ms, 0.1)} – ${formatTick(s.end_ms, 0.1)} ms`,
      `${lag ? 'late by' : 'duration'} ${formatMs(s.end_ms - s.start_ms)}`,
    );
    return lines;
  }
  const states = m.legend.states;
  const binMs = m.t1 / m.bins;
  const lines = [`${r.label} (${formatCount(r.count)} lanes)`, `at ${formatTick(pos * binMs, 0.1)} – ${formatTick((pos + 1) * binMs, 0.1)} ms`];
  let any = false;
  states.forEach((s, st) => {
    const v = m.density[(r.bucket * states.length + st) * m.bins + pos];
    if (v > 0.05) {
      any = true;
      lines.push(`${STATE_LABELS[s] ?? s}: ${v >= 10 || Number.isInteger(Math.round(v * 10) / 10) ? Math.round(v) : v.toFixed(1)}`);
    }
  });
  if (!any) lines.push('idle or finished');
  return lines;
}

/**
 * A turn on the GIL lane: who held it, how long, and who had it next.
 * @param {Model} m @param {Trace} trace @param {import('./layout.js').Row} r @param {number} pos
 */
function gilTurn(m, trace, r, pos) {
  const holder = (/** @type {number} */ p) => {
    const s = trace.spans[r.spans[p]];
    const lane = s?.task == null ? undefined : m.taskLane.get(s.task);
    return lane == null ? (s?.task == null ? 'a thread' : `task ${s.task}`) : `${trace.lanes[lane] ?? `lane ${lane}`} (task ${s.task})`;
  };
  const s = trace.spans[r.spans[pos]];
  const lines = [
    r.label,
    `held by ${holder(pos)}`,
    `${formatTick(s.start_ms, 0.1)} – ${formatTick(s.end_ms, 0.1)} ms`,
    `for ${formatMs(s.end_ms - s.start_ms)}`,
  ];
  if (pos + 1 < r.spans.length) lines.push(`then ${holder(pos + 1)} takes it`);
  return lines;
}

/**
 * The focused item's box in canvas css px.
 * @param {Model} m @param {Trace} trace @param {Focus} f
 */
export function focusBox(m, trace, f) {
  const r = m.rows[f.row];
  if (!r) return null;
  const scale = (m.x1 - m.x0) / m.t1;
  if (r.kind === 'lane') {
    const s = trace.spans[r.spans[f.pos]];
    if (!s) return { x: m.x0, y: r.y + 1, w: m.x1 - m.x0, h: r.h - 2 };
    const x = m.x0 + s.start_ms * scale;
    return { x, y: r.y + 1, w: Math.max(MIN_SPAN_PX, (s.end_ms - s.start_ms) * scale), h: r.h - 2 };
  }
  const bw = (m.x1 - m.x0) / m.bins;
  return { x: m.x0 + f.pos * bw, y: r.y + 1, w: Math.max(bw, 2), h: r.h - 2 };
}

/** The item of `row` nearest to canvas x. @param {Model} m @param {Trace} trace @param {number} row @param {number} x */
function nearestInRow(m, trace, row, x) {
  const r = m.rows[row];
  if (r.kind === 'bucket') return binAt(m, x);
  const scale = (m.x1 - m.x0) / m.t1;
  let best = 0;
  let bestD = Infinity;
  r.spans.forEach((i, k) => {
    const s = trace.spans[i];
    const a = m.x0 + s.start_ms * scale;
    const b = m.x0 + s.end_ms * scale;
    const d = x < a ? a - x : x > b ? x - b : 0;
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  });
  return best;
}

/** The keys that move the focus. */
export const MOVE_KEYS = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'];

/**
 * Where `key` moves the focus: up and down keep the time, left and right step through the
 * row (a bucket row in about 40 steps), Home and End go to its ends. With no focus yet, the
 * first item of the first row.
 * @param {Model} m @param {Trace} trace @param {Focus|null} focus @param {string} key
 * @returns {Focus}
 */
export function move(m, trace, focus, key) {
  if (!focus) return { row: 0, pos: 0 };
  const box = focusBox(m, trace, focus);
  const xCentre = box ? box.x + box.w / 2 : m.x0;
  let { row, pos } = focus;
  if (key === 'ArrowUp' || key === 'ArrowDown') {
    row = Math.max(0, Math.min(m.rows.length - 1, row + (key === 'ArrowUp' ? -1 : 1)));
    return { row, pos: nearestInRow(m, trace, row, xCentre) };
  }
  const r = m.rows[row];
  const count = r.kind === 'lane' ? r.spans.length : m.bins;
  const stride = r.kind === 'lane' ? 1 : Math.max(1, Math.round(m.bins / 40));
  if (key === 'Home') pos = 0;
  else if (key === 'End') pos = count - 1;
  else pos = pos + (key === 'ArrowLeft' ? -stride : stride);
  return { row, pos: Math.max(0, Math.min(count - 1, pos)) };
}
