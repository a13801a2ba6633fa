// The timeline: one row per lane (task, thread, process, or the event-loop lag), each span
// a bar coloured by state, on a shared time axis in ms.
//
// Drawing goes through a small "scene" (rects grouped by colour, lines, texts) built by a
// pure function of the trace, so the same picture is painted on the live canvas, exported
// as SVG and exported as PNG. Above AGGREGATE_ABOVE lanes the rows become buckets of lanes
// ("tasks 0–499") drawn as a stacked density: per time bin, how many of the bucket's lanes
// are in each state. The lag lane always keeps its own row.
//
// render() is called for every batch of spans during a live run, so it only records the
// trace and asks for one animation frame; the frame builds the scene once.

import { LAG_LANE } from '../runners/lag.js';
import { formatCount, formatMs, formatTick } from './format.js';

/** @typedef {'running'|'io_wait'|'gil_wait'|'spawn'|'ipc'|'blocked'} State */
/** @typedef {{lane:number, task:number|null, state:State, start_ms:number, end_ms:number}} Span */
/** @typedef {{origin_ms:number, wall_ms:number, lanes:string[], spans:Span[]}} Trace */

/** Every state, in legend order (and bottom-to-top stacking order in density rows). */
export const STATES = /** @type {const} */ (['running', 'io_wait', 'gil_wait', 'spawn', 'ipc', 'blocked']);

/** What each state means, as the legend and tooltips say it. */
export const STATE_LABELS = /** @type {Record<State, string>} */ ({
  running: 'running',
  io_wait: 'waiting for I/O',
  gil_wait: 'waiting for the GIL',
  spawn: 'starting up',
  ipc: 'messaging',
  blocked: 'blocked / loop late',
});

/** Above this many lanes (not counting the lag lane) rows become buckets of lanes. */
export const AGGREGATE_ABOVE = 64;
/** The most bucket rows in aggregate mode. */
export const MAX_BUCKETS = 24;
/** The label of the event-loop lag lane. */
export { LAG_LANE };

/** Colours used when the stylesheet does not define them (Node, or before CSS loads). */
const FALLBACK_COLORS = {
  running: '#0072b2',
  io_wait: '#009e73',
  gil_wait: '#e69f00',
  spawn: '#8c8c99',
  ipc: '#cc79a7',
  blocked: '#d55e00',
  bg: '#ffffff',
  stripe: '#f4f5f8',
  track: '#e9ebf0',
  grid: '#dfe2e8',
  text: '#1d2230',
  muted: '#5d6474',
  focus: '#1d2230',
};
/** @typedef {keyof typeof FALLBACK_COLORS} ColorKey */

/** CSS custom properties each colour key is read from. */
const COLOR_VARS = /** @type {Record<ColorKey, string>} */ ({
  running: '--state-running',
  io_wait: '--state-io-wait',
  gil_wait: '--state-gil-wait',
  spawn: '--state-spawn',
  ipc: '--state-ipc',
  blocked: '--state-blocked',
  bg: '--tl-bg',
  stripe: '--tl-stripe',
  track: '--tl-track',
  grid: '--tl-grid',
  text: '--tl-text',
  muted: '--tl-muted',
  focus: '--tl-focus',
});

const FONT_FALLBACK = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const PAD = 8; // left and right padding, css px
const GAP = 10; // between the label column and the plot
const AXIS_H = 26;
const BIN_PX = 2; // density bin width
const MIN_SPAN_PX = 1; // zero-length spans stay visible

/** Colour keys painted first, under the grid and the bars. */
const BACKGROUND_KEYS = new Set(['bg', 'stripe', 'track']);

const STATE_INDEX = /** @type {Record<string, number>} */ (Object.fromEntries(STATES.map((s, i) => [s, i])));

/**
 * A picture as primitives: rects grouped by colour key (x, y, w, h flattened), lines and texts.
 */
class Scene {
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

/** @param {string} label */
function isLag(label) {
  return label === LAG_LANE;
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
 * Lay out a trace at `width` css px: rows, ticks and (in aggregate mode) the density.
 * Pure apart from `measure`, which returns a label's width in px at 12 px.
 * @param {Trace} trace
 * @param {number} width
 * @param {(text: string) => number} [measure]
 * @returns {Model}
 */
export function layout(trace, width, measure = (t) => t.length * 6.6) {
  const spans = trace?.spans ?? [];
  const labels = trace?.lanes ?? [];
  let laneCount = labels.length;
  let tEnd = Number.isFinite(trace?.wall_ms) ? Math.max(0, trace.wall_ms) : 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (s.lane >= laneCount) laneCount = s.lane + 1;
    if (s.end_ms > tEnd) tEnd = s.end_ms;
  }
  const t1 = tEnd > 0 ? tEnd : 1;
  const label = (/** @type {number} */ i) => labels[i] ?? `lane ${i}`;

  /** @type {number[]} */
  const lag = [];
  /** @type {number[]} */
  const others = [];
  for (let i = 0; i < laneCount; i++) (isLag(label(i)) ? lag : others).push(i);
  const aggregate = others.length > AGGREGATE_ABOVE;
  const mode = laneCount === 0 ? 'empty' : aggregate ? 'aggregate' : 'detail';

  // Row heights shrink as lanes multiply, so up to 64 lanes stay readable without scrolling far.
  const n = aggregate ? MAX_BUCKETS : others.length + lag.length;
  const laneH = n <= 10 ? 24 : n <= 20 ? 20 : n <= 36 ? 16 : 13;
  const bucketH = 26;

  /** @type {Row[]} */
  const rows = [];
  let y = 4;
  for (const i of lag) {
    rows.push({ kind: 'lane', y, h: aggregate ? 22 : laneH, label: label(i), first: i, count: 1, bucket: -1, spans: [] });
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

  let labelW = 0;
  // The lag lane's label is drawn bold: allow for the wider glyphs.
  for (const r of rows) labelW = Math.max(labelW, measure(r.label) * (isLag(r.label) ? 1.1 : 1));
  labelW = Math.ceil(Math.min(Math.max(labelW, 48), Math.max(72, width * 0.3), 180));
  const x0 = PAD + labelW + GAP;
  const x1 = Math.max(x0 + 40, width - PAD - 6);

  // Lane -> row, and each lane row's spans sorted by start.
  const rowOfLane = new Int32Array(laneCount).fill(-1);
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
    ticks: ticks.map((t) => ({ t, x: x0 + (t / t1) * (x1 - x0), text: formatTick(t, step) })),
  };
}

/**
 * The lanes area of the picture.
 * @param {Model} m
 * @param {Trace} trace
 * @returns {Scene}
 */
export function lanesScene(m, trace) {
  const sc = new Scene(m.width, m.height);
  const spans = trace?.spans ?? [];
  const scale = (m.x1 - m.x0) / m.t1;
  const labelSize = m.rows.length > 36 && m.mode === 'detail' ? 11 : 12;

  m.rows.forEach((r, ri) => {
    if (ri % 2 === 1) sc.rect('stripe', 0, r.y, m.width, r.h);
  });
  for (const t of m.ticks) sc.line('grid', t.x, 0, t.x, m.height, true);

  for (const r of m.rows) {
    sc.text(r.kind === 'lane' && isLag(r.label) ? 'blocked' : 'muted', PAD, r.y + r.h / 2, r.label, labelSize, 'left', isLag(r.label));
    if (r.kind === 'bucket') continue;
    const inset = r.h >= 20 ? 4 : r.h >= 16 ? 3 : 2;
    const y = r.y + inset;
    const h = r.h - 2 * inset;
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

/**
 * Paint a scene on a 2D context (already scaled to css px).
 * @param {CanvasRenderingContext2D} ctx
 * @param {Scene} sc
 * @param {Record<string, string>} colors
 * @param {string} font family
 */
function paint(ctx, sc, colors, font) {
  ctx.lineWidth = 1;
  ctx.textBaseline = 'middle';
  for (const layer of sc.layers()) {
    if ('rects' in layer) {
      const [key, a] = layer.rects;
      ctx.fillStyle = colors[key];
      for (let i = 0; i < a.length; i += 4) ctx.fillRect(a[i], a[i + 1], a[i + 2], a[i + 3]);
    } else if ('lines' in layer) {
      for (const l of layer.lines) {
        ctx.strokeStyle = colors[l.key];
        ctx.beginPath();
        // Half-pixel offsets keep 1 px vertical lines crisp.
        ctx.moveTo(Math.round(l.x1) + 0.5, l.y1);
        ctx.lineTo(Math.round(l.x2) + 0.5, l.y2);
        ctx.stroke();
      }
    } else {
      for (const t of layer.texts) {
        ctx.font = `${t.bold ? '600 ' : ''}${t.size}px ${font}`;
        ctx.fillStyle = colors[t.key];
        ctx.textAlign = t.align;
        ctx.fillText(t.text, t.x, t.y);
      }
    }
  }
}

/** @param {string} s */
function xml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** @param {number} v */
const n2 = (v) => String(Math.round(v * 100) / 100);

/**
 * A standalone SVG document of a scene.
 * @param {Scene} sc
 * @param {Record<string, string>} colors
 * @param {string} font
 * @param {string} title
 */
function sceneToSVG(sc, colors, font, title) {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n2(sc.width)}" height="${n2(sc.height)}" viewBox="0 0 ${n2(sc.width)} ${n2(sc.height)}" font-family="${xml(font)}">`,
    `<title>${xml(title)}</title>`,
    `<rect width="100%" height="100%" fill="${xml(colors.bg)}"/>`,
  ];
  const anchor = { left: 'start', right: 'end', center: 'middle' };
  for (const layer of sc.layers()) {
    if ('rects' in layer) {
      const [key, a] = layer.rects;
      out.push(`<g fill="${xml(colors[key])}">`);
      for (let i = 0; i < a.length; i += 4) {
        out.push(`<rect x="${n2(a[i])}" y="${n2(a[i + 1])}" width="${n2(a[i + 2])}" height="${n2(a[i + 3])}"/>`);
      }
      out.push('</g>');
    } else if ('lines' in layer) {
      for (const l of layer.lines) {
        const x1 = Math.round(l.x1) + 0.5;
        const x2 = Math.round(l.x2) + 0.5;
        out.push(`<line x1="${x1}" y1="${n2(l.y1)}" x2="${x2}" y2="${n2(l.y2)}" stroke="${xml(colors[l.key])}" stroke-width="1"/>`);
      }
    } else {
      for (const t of layer.texts) {
        out.push(
          `<text x="${n2(t.x)}" y="${n2(t.y)}" font-size="${t.size}"${t.bold ? ' font-weight="600"' : ''} fill="${xml(colors[t.key])}" text-anchor="${anchor[t.align]}" dominant-baseline="central">${xml(t.text)}</text>`,
        );
      }
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

let instances = 0;

/**
 * A timeline view inside `root`. It creates its own children:
 *
 *   .timeline-head (.timeline-title, .timeline-meta), ul.timeline-legend,
 *   .timeline-frame (.timeline-scroll > canvas.timeline-canvas, canvas.timeline-axis),
 *   .timeline-empty, .timeline-tip, and a visually hidden live region for keyboard reading.
 */
export class Timeline {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.id = `timeline-${++instances}`;
    root.classList.add('timeline');
    /** @type {Trace|null} */
    this.trace = null;
    this.title = '';
    /** @type {Model|null} */
    this.model = null;
    /** Time the last frame took to lay out and paint, ms. */
    this.lastDrawMs = 0;
    /** @type {{row: number, pos: number}|null} keyboard focus: row, and span position or bin */
    this.focus = null;
    this.frame = 0;

    this.head = el('div', 'timeline-head');
    this.titleEl = el('p', 'timeline-title');
    this.metaEl = el('p', 'timeline-meta');
    this.head.append(this.titleEl, this.metaEl);

    this.legend = el('ul', 'timeline-legend');
    this.legend.setAttribute('aria-label', 'States');
    /** @type {Map<string, HTMLElement>} */
    this.legendItems = new Map();
    for (const s of STATES) {
      const li = el('li');
      li.dataset.state = s;
      li.append(el('span', `swatch swatch-${s}`), STATE_LABELS[s]);
      li.firstElementChild?.setAttribute('aria-hidden', 'true');
      this.legend.append(li);
      this.legendItems.set(s, li);
    }

    this.frameEl = el('div', 'timeline-frame');
    this.scroll = el('div', 'timeline-scroll');
    this.scroll.tabIndex = 0;
    this.scroll.setAttribute('role', 'group');
    this.scroll.setAttribute('aria-roledescription', 'timeline');
    const hint = el('span', 'visually-hidden', 'Arrow keys move between lanes and spans; Escape hides the details.');
    hint.id = `${this.id}-hint`;
    this.scroll.setAttribute('aria-describedby', hint.id);
    this.canvas = /** @type {HTMLCanvasElement} */ (el('canvas', 'timeline-canvas'));
    this.canvas.setAttribute('aria-hidden', 'true');
    this.scroll.append(this.canvas);
    this.axis = /** @type {HTMLCanvasElement} */ (el('canvas', 'timeline-axis'));
    this.axis.setAttribute('aria-hidden', 'true');
    this.tip = el('div', 'timeline-tip');
    this.tip.hidden = true;
    this.tip.setAttribute('aria-hidden', 'true');
    this.frameEl.append(this.scroll, this.axis);

    this.live = el('p', 'visually-hidden');
    this.live.setAttribute('aria-live', 'polite');
    this.empty = el('p', 'timeline-empty', 'No timeline yet. Run a scenario to draw one.');

    // The tooltip lives in the root, not the clipped frame, so it may overhang the plot.
    root.replaceChildren(this.head, this.legend, this.frameEl, this.empty, this.tip, hint, this.live);

    this.scroll.addEventListener('pointermove', (e) => this.onPointer(e));
    // A tap shows the details too (touch screens send no hover moves).
    this.scroll.addEventListener('pointerdown', (e) => this.onPointer(e));
    this.scroll.addEventListener('pointerleave', () => {
      if (!this.focus) this.hideTip();
    });
    this.scroll.addEventListener('keydown', (e) => this.onKey(e));
    this.scroll.addEventListener('blur', () => {
      this.focus = null;
      this.hideTip();
      this.schedule();
    });

    if (typeof ResizeObserver !== 'undefined') {
      let lastW = 0;
      this.resizer = new ResizeObserver(() => {
        const w = this.scroll.clientWidth;
        if (w !== lastW) {
          lastW = w;
          this.schedule();
        }
      });
      this.resizer.observe(this.scroll);
    }
    if (typeof matchMedia !== 'undefined') {
      this.scheme = matchMedia('(prefers-color-scheme: dark)');
      this.scheme.addEventListener('change', () => this.schedule());
    }
    this.clear();
  }

  /**
   * Show `trace`. Cheap: the drawing happens once per animation frame however often this
   * is called, so a live run can call it for every batch of spans.
   * @param {Trace} trace
   * @param {{title?: string}} [options]
   */
  render(trace, { title } = {}) {
    if (trace !== this.trace) this.focus = null;
    this.trace = trace;
    if (title !== undefined) this.title = title;
    this.schedule();
  }

  /** Remove the picture and show the empty state. */
  clear() {
    this.trace = null;
    this.model = null;
    this.focus = null;
    this.title = '';
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.titleEl.textContent = '';
    this.metaEl.textContent = '';
    this.head.hidden = true;
    this.frameEl.hidden = true;
    this.legend.hidden = true;
    this.empty.hidden = false;
    this.scroll.removeAttribute('aria-label');
    this.hideTip();
  }

  /** Draw now rather than on the next frame (tests, exports). */
  flush() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.draw();
  }

  /** @private */
  schedule() {
    if (this.frame || !this.trace) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** @private The colours and font from the stylesheet, so light and dark match the page. */
  theme() {
    const cs = getComputedStyle(this.root);
    /** @type {Record<string, string>} */
    const colors = {};
    for (const [key, v] of Object.entries(COLOR_VARS)) {
      colors[key] = cs.getPropertyValue(v).trim() || FALLBACK_COLORS[/** @type {ColorKey} */ (key)];
    }
    return { colors, font: cs.fontFamily || FONT_FALLBACK };
  }

  /** @private @param {string} [font] the family, if already read from the stylesheet */
  measurer(font = this.theme().font) {
    const ctx = this.canvas.getContext('2d');
    /** @type {Map<string, number>} */
    const cache = new Map();
    return (/** @type {string} */ t) => {
      let w = cache.get(t);
      if (w === undefined && ctx) {
        ctx.font = `12px ${font}`;
        w = ctx.measureText(t).width;
        cache.set(t, w);
      }
      return w ?? t.length * 6.6;
    };
  }

  /** @private */
  draw() {
    const trace = this.trace;
    if (!trace) return;
    const t0 = performance.now();
    this.empty.hidden = true;
    this.head.hidden = false;
    this.frameEl.hidden = false;
    this.legend.hidden = false;
    const width = this.scroll.clientWidth;
    if (!width) return; // not laid out yet; the ResizeObserver calls back

    const { colors, font } = this.theme();
    const m = layout(trace, width, this.measurer(font));
    this.model = m;
    const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));

    const lanes = lanesScene(m, trace);
    this.paintCanvas(this.canvas, lanes, colors, font, dpr, () => this.paintFocus(colors));
    this.paintCanvas(this.axis, axisScene(m), colors, font, dpr);

    this.titleEl.textContent = this.title;
    const lanesText =
      m.mode === 'aggregate'
        ? `${formatCount(m.laneCount)} lanes in groups of ${formatCount(m.bucketSize)}`
        : `${m.laneCount} lane${m.laneCount === 1 ? '' : 's'}`;
    const wall =
      trace.wall_ms > 0 ? formatMs(trace.wall_ms) : trace.spans.length ? `${formatMs(m.t1)} so far` : 'starting…';
    this.metaEl.textContent = `${lanesText} · ${formatCount(trace.spans.length)} spans · ${wall}`;
    this.scroll.setAttribute(
      'aria-label',
      `Timeline${this.title ? ` of ${this.title}` : ''}: ${lanesText}, ${wall}${m.mode === 'aggregate' ? ', shown as how many lanes are in each state over time' : ''}`,
    );
    /** @type {Set<string>} */
    const present = new Set();
    for (let i = 0; i < trace.spans.length && present.size < STATES.length; i++) present.add(trace.spans[i].state);
    for (const [s, li] of this.legendItems) li.classList.toggle('absent', !present.has(/** @type {State} */ (s)));
    if (this.focus) this.showFocusTip();
    this.lastDrawMs = performance.now() - t0;
  }

  /**
   * @private
   * @param {HTMLCanvasElement} canvas
   * @param {Scene} sc
   * @param {Record<string, string>} colors
   * @param {string} font
   * @param {number} dpr
   * @param {() => void} [after]
   */
  paintCanvas(canvas, sc, colors, font, dpr, after) {
    const w = Math.round(sc.width * dpr);
    const h = Math.round(sc.height * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
      canvas.style.width = `${sc.width}px`;
      canvas.style.height = `${sc.height}px`;
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = colors.bg;
    ctx.fillRect(0, 0, sc.width, sc.height);
    paint(ctx, sc, colors, font);
    after?.();
  }

  /** @private Outline the keyboard-focused span or bin. @param {Record<string, string>} colors */
  paintFocus(colors) {
    const m = this.model;
    const f = this.focus;
    if (!m || !f) return;
    const box = this.focusBox();
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !box) return;
    ctx.strokeStyle = colors.focus;
    ctx.lineWidth = 2;
    ctx.strokeRect(box.x - 1, box.y - 1, box.w + 2, box.h + 2);
  }

  /** @private The focused item's box in canvas css px. */
  focusBox() {
    const m = this.model;
    const f = this.focus;
    const trace = this.trace;
    if (!m || !f || !trace) return null;
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

  /** @private @param {PointerEvent} e */
  onPointer(e) {
    const m = this.model;
    const trace = this.trace;
    if (!m || !trace) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const hit = this.hitTest(x, y);
    if (!hit) {
      if (!this.focus) this.hideTip();
      return;
    }
    this.showTip(this.describe(hit.row, hit.pos), e.clientX, e.clientY);
  }

  /**
   * The row and span (lane rows) or bin (bucket rows) under a point in canvas css px.
   * @param {number} x
   * @param {number} y
   * @returns {{row: number, pos: number}|null}
   */
  hitTest(x, y) {
    const m = this.model;
    const trace = this.trace;
    if (!m || !trace || x < m.x0 - 4 || x > m.x1 + 4) return null;
    const row = m.rows.findIndex((r) => y >= r.y && y < r.y + r.h);
    if (row < 0) return null;
    const r = m.rows[row];
    const scale = (m.x1 - m.x0) / m.t1;
    if (r.kind === 'bucket') {
      const pos = Math.max(0, Math.min(m.bins - 1, Math.floor(((x - m.x0) / (m.x1 - m.x0)) * m.bins)));
      return { row, pos };
    }
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

  /**
   * Lines describing a span or a bin: the first is the heading.
   * @param {number} row
   * @param {number} pos
   * @returns {string[]}
   */
  describe(row, pos) {
    const m = this.model;
    const trace = this.trace;
    if (!m || !trace) return [];
    const r = m.rows[row];
    if (r.kind === 'lane') {
      const s = trace.spans[r.spans[pos]];
      if (!s) return [r.label, 'no spans yet'];
      const lines = [r.label];
      if (s.task != null && !/^task \d+$/.test(r.label)) lines.push(`task ${s.task}`);
      lines.push(
        isLag(r.label) && s.state === 'blocked' ? 'loop late' : STATE_LABELS[s.state] ?? s.state,
        `${formatTick(s.start_ms, 0.1)} – ${formatTick(s.end_ms, 0.1)} ms`,
        `${isLag(r.label) ? 'late by' : 'duration'} ${formatMs(s.end_ms - s.start_ms)}`,
      );
      return lines;
    }
    const binMs = m.t1 / m.bins;
    const lines = [`${r.label} (${formatCount(r.count)} lanes)`, `at ${formatTick(pos * binMs, 0.1)} – ${formatTick((pos + 1) * binMs, 0.1)} ms`];
    let any = false;
    STATES.forEach((s, st) => {
      const v = m.density[(r.bucket * STATES.length + st) * m.bins + pos];
      if (v > 0.05) {
        any = true;
        lines.push(`${STATE_LABELS[s]}: ${v >= 10 || Number.isInteger(Math.round(v * 10) / 10) ? Math.round(v) : v.toFixed(1)}`);
      }
    });
    if (!any) lines.push('idle or finished');
    return lines;
  }

  /**
   * @private
   * @param {string[]} lines
   * @param {number} clientX
   * @param {number} clientY
   */
  showTip(lines, clientX, clientY) {
    if (!lines.length) return this.hideTip();
    const [head, ...rest] = lines;
    const h = el('strong', undefined, head);
    this.tip.replaceChildren(h, ...rest.map((t) => el('span', undefined, t)));
    this.tip.hidden = false;
    const box = this.root.getBoundingClientRect();
    const tw = this.tip.offsetWidth;
    const th = this.tip.offsetHeight;
    let left = clientX - box.left + 14;
    if (left + tw > box.width) left = Math.max(0, Math.min(box.width - tw, clientX - box.left - tw - 14));
    let top = clientY - box.top + 16;
    if (top + th > box.height + 8) top = Math.max(0, clientY - box.top - th - 12);
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${top}px`;
  }

  /** @private */
  hideTip() {
    this.tip.hidden = true;
  }

  /** @private */
  showFocusTip() {
    const box = this.focusBox();
    const f = this.focus;
    if (!box || !f) return;
    const rect = this.canvas.getBoundingClientRect();
    this.showTip(this.describe(f.row, f.pos), rect.left + box.x + Math.min(box.w, 40), rect.top + box.y + box.h - 6);
  }

  /** @private @param {KeyboardEvent} e */
  onKey(e) {
    const m = this.model;
    const trace = this.trace;
    if (!m || !trace || !m.rows.length) return;
    if (e.key === 'Escape') {
      this.focus = null;
      this.hideTip();
      this.schedule();
      return;
    }
    const keys = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'];
    if (!keys.includes(e.key)) return;
    e.preventDefault();
    const f = this.focus ?? { row: 0, pos: 0 };
    /** The time at the centre of the focused item, to keep when changing rows. */
    const box = this.focus ? this.focusBox() : null;
    const xCentre = box ? box.x + box.w / 2 : m.x0;
    let { row, pos } = f;
    if (!this.focus) {
      // The first key press focuses the first item of the first row.
    } else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      row = Math.max(0, Math.min(m.rows.length - 1, row + (e.key === 'ArrowUp' ? -1 : 1)));
      pos = this.nearestInRow(row, xCentre);
    } else {
      const r = m.rows[row];
      const count = r.kind === 'lane' ? r.spans.length : m.bins;
      const stride = r.kind === 'lane' ? 1 : Math.max(1, Math.round(m.bins / 40));
      if (e.key === 'Home') pos = 0;
      else if (e.key === 'End') pos = count - 1;
      else pos = pos + (e.key === 'ArrowLeft' ? -stride : stride);
      pos = Math.max(0, Math.min(count - 1, pos));
    }
    this.focus = { row, pos };
    this.live.textContent = this.describe(row, pos).join(', ');
    this.flush();
    const fb = this.focusBox();
    if (fb) {
      // Keep the focused row in view inside the scroller.
      if (fb.y < this.scroll.scrollTop) this.scroll.scrollTop = fb.y - 4;
      else if (fb.y + fb.h > this.scroll.scrollTop + this.scroll.clientHeight) {
        this.scroll.scrollTop = fb.y + fb.h - this.scroll.clientHeight + 4;
      }
      this.showFocusTip();
    }
  }

  /** @private The item of `row` nearest to canvas x. @param {number} row @param {number} x */
  nearestInRow(row, x) {
    const m = this.model;
    const trace = this.trace;
    if (!m || !trace) return 0;
    const r = m.rows[row];
    if (r.kind === 'bucket') return Math.max(0, Math.min(m.bins - 1, Math.floor(((x - m.x0) / (m.x1 - m.x0)) * m.bins)));
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

  /**
   * The whole picture (title, legend, lanes, axis) as one scene, for export.
   * @private
   * @param {number} width
   */
  exportScene(width) {
    const trace = this.trace ?? { origin_ms: 0, wall_ms: 0, lanes: [], spans: [] };
    const measure = this.measurer();
    const m = layout(trace, width, measure);
    let y = 0;
    const head = new Scene(width, 0);
    if (this.title) {
      head.text('text', PAD, 14, this.title, 14, 'left', true);
      y += 26;
    }
    // The legend, wrapped over lines to fit the width.
    let x = PAD;
    for (const s of STATES) {
      const w = 16 + measure(STATE_LABELS[s]) + 16;
      if (x + w > width - PAD && x > PAD) {
        x = PAD;
        y += 20;
      }
      head.rect(s, x, y + 4, 11, 11);
      head.text('muted', x + 16, y + 10, STATE_LABELS[s], 12);
      x += w;
    }
    y += 24;
    const sc = new Scene(width, y + m.height + AXIS_H + 4);
    sc.add(head, 0);
    sc.add(lanesScene(m, trace), y);
    sc.add(axisScene(m), y + m.height);
    return sc;
  }

  /** @private */
  exportWidth() {
    return this.scroll.clientWidth || this.root.clientWidth || 960;
  }

  /**
   * The same picture as a standalone SVG document (colours resolved from the page's theme).
   * @returns {string}
   */
  toSVG() {
    const { colors, font } = this.theme();
    const sc = this.exportScene(Math.max(480, this.exportWidth()));
    return sceneToSVG(sc, colors, font, this.title || 'Concurrency Playground timeline');
  }

  /**
   * The same picture as a PNG, at twice the css resolution for crisp text.
   * @returns {Promise<Blob>}
   */
  toPNG() {
    const { colors, font } = this.theme();
    const sc = this.exportScene(Math.max(480, this.exportWidth()));
    const canvas = document.createElement('canvas');
    const scale = 2;
    canvas.width = Math.round(sc.width * scale);
    canvas.height = Math.round(sc.height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) return Promise.reject(new Error('no 2D canvas context'));
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.fillStyle = colors.bg;
    ctx.fillRect(0, 0, sc.width, sc.height);
    paint(ctx, sc, colors, font);
    return new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas could not be encoded as PNG'))), 'image/png'),
    );
  }
}
