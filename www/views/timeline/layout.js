// The timeline's layout: one row per lane (task, thread, process, or the event-loop lag),
// a shared time axis in ms, and above AGGREGATE_ABOVE lanes buckets of lanes ("tasks
// 0–499") drawn as a stacked density: per time bin, how many of the bucket's lanes are in
// each state. The lag lane and the GIL lane always keep their own rows, on top. A pure
// function of a trace and a width, so it can be checked without a DOM.

import { formatTick } from '../format.js';

/** @typedef {import('../../shared/types.js').Trace} Trace */
/**
 * @typedef {{states: string[], lagLane: string, lagState: string, gilLane?: string, gilState?: string}} Legend
 *   the states in legend order, the lag lane's label and its spans' state, the GIL lane's
 *   label and its spans' state (the schema's)
 */

/** Above this many lanes (not counting the lag lane) rows become buckets of lanes. */
export const AGGREGATE_ABOVE = 64;
/** The most bucket rows in aggregate mode. */
export const MAX_BUCKETS = 24;

export const PAD = 8; // left and right padding, css px
const GAP = 10; // between the label column and the plot
export const AXIS_H = 26;
const BIN_PX = 2; // density bin width
export const MIN_SPAN_PX = 1; // zero-length spans stay visible

/**
 * @typedef {object} Row
 * @property {'lane'|'bucket'} kind
 * @property {number} y
 * @property {number} h
 * @property {string} label
 * @property {number} first first lane index (a lane row: its lane)
 * @property {number} count lanes in the row
 * @property {number} bucket bucket index (bucket rows), else -1
 * @property {number[]} spans indices into trace.spans, sorted by start (lane rows)
 */

/**
 * @typedef {object} Model
 * @property {'empty'|'detail'|'aggregate'} mode
 * @property {Legend} legend
 * @property {Row[]} rows
 * @property {number} width
 * @property {number} height
 * @property {number} x0 plot left, css px
 * @property {number} x1 plot right, css px
 * @property {number} t1 time at x1, ms
 * @property {number} laneCount lanes, lag lane included
 * @property {number} bucketSize lanes per bucket (aggregate mode)
 * @property {number} bins density bins across the plot (aggregate mode)
 * @property {Float32Array} density bucket x state x bin: average lanes in that state
 * @property {Uint8Array} used bucket x state: 1 if any span of that state falls in that bucket
 * @property {{t: number, x: number, text: string}[]} ticks
 * @property {number} step tick step, ms
 * @property {Map<number, number>} taskLane the lane each task ran on (not the pinned lanes):
 *   who held the GIL during a turn on the GIL lane
 */

/**
 * A "nice" number at least `v`: 1, 2, 2.5, 5 times a power of ten.
 * @param {number} v
 * @param {number[]} [steps]
 */
export function niceCeil(v, steps = [1, 2, 2.5, 5, 10]) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const s of steps) if (s * p >= v - 1e-9) return s * p;
  return 10 * p;
}

/**
 * Tick step and ticks for [0, t1] over `px` pixels, about one tick per 80 px.
 * @param {number} t1
 * @param {number} px
 */
export function niceTicks(t1, px) {
  const target = Math.max(2, Math.floor(px / 75));
  let step = niceCeil(t1 / target, [1, 2, 5, 10]);
  // At least two steps across the axis, so a narrow plot still reads as a scale.
  while (t1 / step < 2 && step > 1e-6) {
    const m = step / 10 ** Math.floor(Math.log10(step));
    step = m === 5 ? step * 0.4 : step * 0.5;
  }
  /** @type {number[]} */
  const ticks = [];
  for (let k = 0; k * step <= t1 + step * 1e-6; k++) ticks.push(k * step);
  return { step, ticks };
}

/** "task" -> "tasks", "process" -> "processes". @param {string} w */
function plural(w) {
  return /(s|x|sh|ch)$/.test(w) ? `${w}es` : `${w}s`;
}

/**
 * A bucket's label from its first and last lane labels: "tasks 0–499".
 * @param {string} a @param {string} b
 */
export function bucketLabel(a, b) {
  if (a === b) return a;
  const ma = /^(.*?)\s*(\d+)$/.exec(a);
  const mb = /^(.*?)\s*(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return `${ma[1] ? `${plural(ma[1])} ` : ''}${ma[2]}–${mb[2]}`;
  return `${a} – ${b}`;
}

/**
 * The width the label column of `trace` needs, css px, as `layout` would make it before
 * clamping: several timelines on one scale all take the widest.
 * @param {Trace} trace @param {Legend} legend @param {(text: string) => number} measure
 */
export function labelWidth(trace, legend, measure) {
  const labels = trace?.lanes ?? [];
  const pinned = (/** @type {string} */ l) => l === legend.lagLane || (legend.gilLane != null && l === legend.gilLane);
  const others = labels.filter((l) => !pinned(l));
  const shown = others.length > AGGREGATE_ABOVE ? [bucketLabel(others[0], others[others.length - 1])] : others;
  let w = 0;
  for (const l of labels.filter(pinned)) w = Math.max(w, measure(l) * 1.1);
  for (const l of shown) w = Math.max(w, measure(l));
  return Math.ceil(w);
}

/**
 * Lay out a trace at `width` css px: rows, ticks and (in aggregate mode) the density.
 * Pure apart from `measure`, which returns a label's width in px at 12 px.
 * @param {Trace} trace
 * @param {number} width
 * @param {Legend} legend the states (in legend order) and the lag lane's label
 * @param {{measure?: (text: string) => number, t1?: number, labelW?: number, maxLaneH?: number}} [options]
 *   `t1`: the time the axis ends at, and `labelW` the least width of the label column, to
 *   draw several traces on one scale; `maxLaneH`: the tallest a lane may be (small multiples)
 * @returns {Model}
 */
export function layout(trace, width, legend, { measure = (t) => t.length * 6.6, t1: axisEnd, labelW: minLabelW = 0, maxLaneH = 24 } = {}) {
  const STATES = legend.states;
  const STATE_INDEX = /** @type {Record<string, number>} */ (Object.fromEntries(STATES.map((s, i) => [s, i])));
  const isLag = (/** @type {string} */ label) => label === legend.lagLane;
  const isGil = (/** @type {string} */ label) => legend.gilLane != null && label === legend.gilLane;
  const spans = trace?.spans ?? [];
  const labels = trace?.lanes ?? [];
  let laneCount = labels.length;
  let tEnd = Number.isFinite(trace?.wall_ms) ? Math.max(0, trace.wall_ms) : 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (s.lane >= laneCount) laneCount = s.lane + 1;
    if (s.end_ms > tEnd) tEnd = s.end_ms;
  }
  const t1 = Math.max(axisEnd ?? 0, tEnd > 0 ? tEnd : 1);
  const label = (/** @type {number} */ i) => labels[i] ?? `lane ${i}`;

  /** @type {number[]} lanes on top in their own rows: the lag lane, then the GIL lane */
  const lag = [];
  /** @type {number[]} */
  const gil = [];
  /** @type {number[]} */
  const others = [];
  for (let i = 0; i < laneCount; i++) (isLag(label(i)) ? lag : isGil(label(i)) ? gil : others).push(i);
  lag.push(...gil);
  const aggregate = others.length > AGGREGATE_ABOVE;
  const mode = laneCount === 0 ? 'empty' : aggregate ? 'aggregate' : 'detail';

  // Row heights shrink as lanes multiply, so up to 64 lanes stay readable without scrolling far.
  const n = aggregate ? MAX_BUCKETS : others.length + lag.length;
  const laneH = Math.min(maxLaneH, n <= 10 ? 24 : n <= 20 ? 20 : n <= 36 ? 16 : 13);
  const bucketH = Math.min(26, maxLaneH + 4);

  /** @type {Row[]} */
  const rows = [];
  let y = 4;
  for (const i of lag) {
    rows.push({ kind: 'lane', y, h: aggregate ? Math.min(22, Math.max(maxLaneH, 16)) : laneH, label: label(i), first: i, count: 1, bucket: -1, spans: [] });
    y += rows[rows.length - 1].h;
  }
  if (lag.length && others.length) y += 6; // a gap sets the lag lane apart
  let bucketSize = 1;
  if (aggregate) {
    bucketSize = niceCeil(others.length / MAX_BUCKETS, [1, 2, 2.5, 5, 10]);
    if (!Number.isInteger(bucketSize)) bucketSize = Math.ceil(bucketSize);
    for (let b = 0, k = 0; k < others.length; b++, k += bucketSize) {
      const last = Math.min(others.length, k + bucketSize) - 1;
      rows.push({
        kind: 'bucket',
        y,
        h: bucketH,
        label: bucketLabel(label(others[k]), label(others[last])),
        first: k,
        count: last - k + 1,
        bucket: b,
        spans: [],
      });
      y += bucketH;
    }
  } else {
    for (const i of others) {
      rows.push({ kind: 'lane', y, h: laneH, label: label(i), first: i, count: 1, bucket: -1, spans: [] });
      y += laneH;
    }
  }
  const height = Math.max(y + 4, 40);

  let labelW = minLabelW;
  // The lag and GIL lanes' labels are drawn bold: allow for the wider glyphs.
  for (const r of rows) labelW = Math.max(labelW, measure(r.label) * (isLag(r.label) || isGil(r.label) ? 1.1 : 1));
  labelW = Math.ceil(Math.min(Math.max(labelW, 48), Math.max(72, width * 0.3), 180));
  const x0 = PAD + labelW + GAP;
  const x1 = Math.max(x0 + 40, width - PAD - 6);

  // Lane -> row, and each lane row's spans sorted by start.
  const rowOfLane = new Int32Array(laneCount).fill(-1);
  /** @type {Map<number, number>} */
  const taskLane = new Map();
  const pinned = new Uint8Array(laneCount);
  for (const i of lag) pinned[i] = 1;
  const othersPos = new Int32Array(laneCount).fill(-1);
  others.forEach((lane, k) => (othersPos[lane] = k));
  rows.forEach((r, ri) => {
    if (r.kind === 'lane') rowOfLane[r.first] = ri;
  });

  const bins = Math.max(1, Math.floor((x1 - x0) / BIN_PX));
  const buckets = aggregate ? rows.filter((r) => r.kind === 'bucket').length : 0;
  const density = new Float32Array(buckets * STATES.length * bins);
  // Sum of fractional ends per bin, and a difference array for the whole bins in between.
  const frac = aggregate ? new Float32Array(buckets * STATES.length * (bins + 1)) : density;
  const diff = aggregate ? new Float32Array(buckets * STATES.length * (bins + 1)) : density;
  const binMs = t1 / bins;
  // Which (bucket, state) pairs occur at all: most buckets see two or three states, and
  // skipping the rest halves the work of a cold (not yet optimised) first frame.
  const used = new Uint8Array(buckets * STATES.length);

  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (gil.length && s.task != null && !pinned[s.lane]) taskLane.set(s.task, s.lane);
    const ri = rowOfLane[s.lane];
    if (ri >= 0) {
      rows[ri].spans.push(i);
      continue;
    }
    if (!aggregate) continue;
    const st = STATE_INDEX[s.state];
    const k = othersPos[s.lane];
    if (st === undefined || k < 0) continue;
    const pair = Math.floor(k / bucketSize) * STATES.length + st;
    used[pair] = 1;
    const base = pair * (bins + 1);
    const a = Math.max(0, s.start_ms / binMs);
    const e = Math.min(bins, Math.max(a, s.end_ms / binMs));
    const ia = Math.min(bins - 1, Math.floor(a));
    const ie = Math.floor(e);
    if (ie <= ia) {
      frac[base + ia] += Math.max(e - a, 0);
    } else {
      frac[base + ia] += ia + 1 - a;
      if (ie < bins) frac[base + ie] += e - ie;
      diff[base + ia + 1] += 1;
      diff[base + ie] -= 1;
    }
  }
  if (aggregate) {
    for (let b = 0; b < buckets; b++) {
      for (let st = 0; st < STATES.length; st++) {
        if (!used[b * STATES.length + st]) continue;
        const base = (b * STATES.length + st) * (bins + 1);
        const out = (b * STATES.length + st) * bins;
        let run = 0;
        for (let i = 0; i < bins; i++) {
          run += diff[base + i];
          density[out + i] = run + frac[base + i];
        }
      }
    }
  }
  for (const r of rows) {
    if (r.kind !== 'lane' || r.spans.length < 2) continue;
    let sorted = true;
    for (let i = 1; i < r.spans.length && sorted; i++) {
      if (spans[r.spans[i]].start_ms < spans[r.spans[i - 1]].start_ms) sorted = false;
    }
    if (!sorted) r.spans.sort((p, q) => spans[p].start_ms - spans[q].start_ms);
  }

  const { step, ticks } = niceTicks(t1, x1 - x0);
  return {
    mode,
    legend,
    rows,
    width,
    height,
    x0,
    x1,
    t1,
    laneCount,
    bucketSize,
    bins,
    density,
    used,
    step,
    taskLane,
    ticks: ticks.map((t) => ({ t, x: x0 + (t / t1) * (x1 - x0), text: formatTick(t, step) })),
  };
}

