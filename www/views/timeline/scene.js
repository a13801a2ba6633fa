// The timeline as a picture of primitives, built by pure functions of the layout: the same
// scene is painted on the live canvas and exported as SVG and PNG.

import { PAD, AXIS_H, MIN_SPAN_PX } from './layout.js';

/** @typedef {import('./layout.js').Model} Model */
/** @typedef {import('../../shared/types.js').Trace} Trace */
/** @typedef {string} ColorKey a state, or one of the picture's own colours (bg, stripe, …) */

/** Colour keys painted first, under the grid and the bars. */
const BACKGROUND_KEYS = new Set(['bg', 'stripe', 'track']);

/**
 * A picture as primitives: rects grouped by colour key (x, y, w, h flattened), lines and texts.
 */
export class Scene {
  /** @param {number} width @param {number} height */
  constructor(width, height) {
    this.width = width;
    this.height = height;
    /** @type {Map<ColorKey, number[]>} */
    this.rects = new Map();
    /** @type {{key: ColorKey, x1: number, y1: number, x2: number, y2: number, under: boolean}[]} */
    this.lines = [];
    /** @type {{key: ColorKey, x: number, y: number, text: string, size: number, align: 'left'|'right'|'center', bold?: boolean}[]} */
    this.texts = [];
  }

  /** @param {ColorKey} key @param {number} x @param {number} y @param {number} w @param {number} h */
  rect(key, x, y, w, h) {
    let a = this.rects.get(key);
    if (!a) this.rects.set(key, (a = []));
    a.push(x, y, w, h);
  }

  /**
   * @param {ColorKey} key @param {number} x1 @param {number} y1 @param {number} x2 @param {number} y2
   * @param {boolean} [under] drawn under the bars (grid lines), not over them
   */
  line(key, x1, y1, x2, y2, under = false) {
    this.lines.push({ key, x1, y1, x2, y2, under });
  }

  /**
   * Everything in paint order: backgrounds, grid lines, bars, other lines, texts.
   * @returns {Generator<{rects: [ColorKey, number[]]} | {lines: Scene['lines']} | {texts: Scene['texts']}>}
   */
  *layers() {
    const back = [...this.rects].filter(([k]) => BACKGROUND_KEYS.has(k));
    const front = [...this.rects].filter(([k]) => !BACKGROUND_KEYS.has(k));
    for (const r of back) yield { rects: r };
    yield { lines: this.lines.filter((l) => l.under) };
    for (const r of front) yield { rects: r };
    yield { lines: this.lines.filter((l) => !l.under) };
    yield { texts: this.texts };
  }

  /**
   * @param {ColorKey} key @param {number} x @param {number} y baseline-ish middle of the text
   * @param {string} text @param {number} size @param {'left'|'right'|'center'} [align] @param {boolean} [bold]
   */
  text(key, x, y, text, size, align = 'left', bold = false) {
    this.texts.push({ key, x, y, text, size, align, bold });
  }

  /** Copy `other` into this scene, shifted down by `dy`. @param {Scene} other @param {number} dy */
  add(other, dy) {
    for (const [key, a] of other.rects) {
      for (let i = 0; i < a.length; i += 4) this.rect(key, a[i], a[i + 1] + dy, a[i + 2], a[i + 3]);
    }
    for (const l of other.lines) this.line(l.key, l.x1, l.y1 + dy, l.x2, l.y2 + dy, l.under);
    for (const t of other.texts) this.text(t.key, t.x, t.y + dy, t.text, t.size, t.align, t.bold);
  }
}

/**
 * The lanes area of the picture.
 * @param {Model} m
 * @param {Trace} trace
 * @returns {Scene}
 */
export function lanesScene(m, trace) {
  const STATES = m.legend.states;
  const STATE_INDEX = /** @type {Record<string, number>} */ (Object.fromEntries(STATES.map((s, i) => [s, i])));
  const isLag = (/** @type {string} */ label) => label === m.legend.lagLane;
  const isGil = (/** @type {string} */ label) => m.legend.gilLane != null && label === m.legend.gilLane;
  const sc = new Scene(m.width, m.height);
  const spans = trace?.spans ?? [];
  const scale = (m.x1 - m.x0) / m.t1;
  const labelSize = m.rows.length > 36 && m.mode === 'detail' ? 11 : 12;

  m.rows.forEach((r, ri) => {
    if (ri % 2 === 1) sc.rect('stripe', 0, r.y, m.width, r.h);
  });
  for (const t of m.ticks) sc.line('grid', t.x, 0, t.x, m.height, true);

  for (const r of m.rows) {
    const gil = r.kind === 'lane' && isGil(r.label);
    sc.text(r.kind === 'lane' && isLag(r.label) ? m.legend.lagState : gil ? 'text' : 'muted', PAD, r.y + r.h / 2, r.label, labelSize, 'left', isLag(r.label) || gil);
    if (r.kind === 'bucket') continue;
    const inset = r.h >= 20 ? 4 : r.h >= 16 ? 3 : 2;
    const y = r.y + inset;
    const h = r.h - 2 * inset;
    if (gil) {
      gilTurns(sc, m, r, spans, trace?.lanes ?? [], y, h, scale);
      continue;
    }
    // Merge neighbouring spans of one state that touch within half a pixel: a GIL switching
    // every few ms draws thousands of slivers otherwise.
    let cur = -1;
    let xa = 0;
    let xb = 0;
    const flush = () => {
      if (cur >= 0) sc.rect(STATES[cur], xa, y, Math.max(MIN_SPAN_PX, xb - xa), h);
    };
    for (const i of r.spans) {
      const s = spans[i];
      const st = STATE_INDEX[s.state];
      if (st === undefined) continue;
      const a = m.x0 + Math.max(0, s.start_ms) * scale;
      const b = m.x0 + Math.max(s.start_ms, s.end_ms) * scale;
      if (st === cur && a <= xb + 0.5) {
        if (b > xb) xb = b;
        continue;
      }
      flush();
      cur = st;
      xa = a;
      xb = b;
    }
    flush();
  }

  if (m.mode === 'aggregate') {
    const bw = (m.x1 - m.x0) / m.bins;
    const cum = new Float32Array(m.bins);
    for (const r of m.rows) {
      if (r.kind !== 'bucket') continue;
      const inset = 3;
      const bottom = r.y + r.h - inset;
      const full = r.h - 2 * inset;
      sc.rect('track', m.x0, r.y + inset, m.x1 - m.x0, full);
      cum.fill(0);
      for (let st = 0; st < STATES.length; st++) {
        if (!m.used[r.bucket * STATES.length + st]) continue;
        const base = (r.bucket * STATES.length + st) * m.bins;
        // Runs of bins with the same top and height become one rect.
        let runStart = -1;
        let runY = 0;
        let runH = 0;
        for (let i = 0; i <= m.bins; i++) {
          let hh = 0;
          let yy = 0;
          if (i < m.bins) {
            hh = Math.round(((m.density[base + i] / r.count) * full) * 4) / 4;
            if (hh > full) hh = full;
            yy = bottom - cum[i] - hh;
            cum[i] += hh;
          }
          if (runStart >= 0 && (i === m.bins || hh !== runH || yy !== runY)) {
            if (runH > 0) sc.rect(STATES[st], m.x0 + runStart * bw, runY, (i - runStart) * bw, runH);
            runStart = -1;
          }
          if (runStart < 0 && i < m.bins) {
            runStart = i;
            runY = yy;
            runH = hh;
          }
        }
      }
    }
  }
  return sc;
}

/**
 * The GIL lane: each turn a bar of its own, named by the thread that held it when there is
 * room, and every hand-off to another thread a notch above the lane and a gap in the bar.
 * @param {Scene} sc @param {Model} m @param {import('./layout.js').Row} r
 * @param {Trace['spans']} spans @param {string[]} labels the trace's lane labels
 * @param {number} y @param {number} h @param {number} scale
 */
function gilTurns(sc, m, r, spans, labels, y, h, scale) {
  const key = /** @type {string} */ (m.legend.gilState);
  /** @type {Map<number, string | undefined>} the number in a lane's label: "thread 3" -> "3" */
  const names = new Map();
  const nameOf = (/** @type {number} */ lane) => {
    if (!names.has(lane)) names.set(lane, /(\d+)$/.exec(labels[lane] ?? '')?.[1]);
    return names.get(lane);
  };
  let prevLane = -1;
  let prevEnd = -Infinity;
  for (let k = 0; k < r.spans.length; k++) {
    const s = spans[r.spans[k]];
    const a = m.x0 + Math.max(0, s.start_ms) * scale;
    const b = m.x0 + Math.max(s.start_ms, s.end_ms) * scale;
    const lane = s.task == null ? -1 : (m.taskLane.get(s.task) ?? -1);
    const handOff = k > 0 && lane !== prevLane;
    // A gap of a pixel where the GIL changed hands, when the bars are wide enough to show it.
    const left = handOff && a - prevEnd < 1 && b - a >= 3 ? a + 1 : a;
    sc.rect(key, left, y, Math.max(MIN_SPAN_PX, b - left), h);
    if (handOff) sc.line('text', a, r.y, a, r.y + Math.max(2, (r.h - h) / 2));
    const name = lane >= 0 ? nameOf(lane) : undefined;
    if (name != null && b - left >= 8 * name.length + 6) sc.text('bg', (left + b) / 2, y + h / 2, name, Math.min(11, h), 'center', true);
    prevLane = lane;
    prevEnd = b;
  }
}

/**
 * The time axis under the lanes.
 * @param {Model} m
 * @returns {Scene}
 */
export function axisScene(m) {
  const sc = new Scene(m.width, AXIS_H);
  sc.line('muted', m.x0, 0.5, m.x1, 0.5);
  sc.text('muted', PAD, 14, 'time, ms', 11);
  m.ticks.forEach((t, i) => {
    sc.line('muted', t.x, 0, t.x, 5);
    const last = i === m.ticks.length - 1 && t.x > m.x1 - 24;
    sc.text('muted', t.x, 15, t.text, 11, last ? 'right' : i === 0 ? 'left' : 'center');
  });
  return sc;
}

