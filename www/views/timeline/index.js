// The timeline view: one row per lane (task, thread, process, or the event-loop lag), each
// span a bar coloured by state, on a time axis in ms; several can share one axis.
//
// Its parts, each in its own file beside this one: layout.js (rows, ticks, the density of
// many lanes: pure), scene.js (the picture as primitives: pure), paint.js (canvas and SVG),
// interact.js (what the pointer and the keys reach). render() is called for every batch of
// spans during a live run, so it only records the trace and asks for one animation frame;
// the frame builds the scene once.

import { layout, labelWidth, AXIS_H, PAD } from './layout.js';
import { Scene, lanesScene, axisScene } from './scene.js';
import { paint, sceneToPNG, sceneToSVG, theme } from './paint.js';
import { STATE_LABELS, MOVE_KEYS, describe, focusBox, hitTest, move } from './interact.js';
import { formatCount, formatMs, formatTick } from '../format.js';
import { el } from '../dom.js';

/** @typedef {import('../../shared/types.js').Trace} Trace */
/** @typedef {import('./layout.js').Legend} Legend */
/** @typedef {import('./layout.js').Model} Model */

export { STATE_LABELS };

let instances = 0;

/** The most lanes the table behind a timeline lists. */
const MAX_TABLE_LANES = 200;

/**
 * What a lane did, in words: each span in order when there are a few, else the time in
 * each state and how many spans.
 * @param {import('../../shared/types.js').Span[]} spans sorted by start
 * @param {boolean} lag the lag lane, whose spans are the page being late
 */
function laneWords(spans, lag) {
  if (!spans.length) return 'nothing';
  const name = (/** @type {string} */ s) => (lag ? 'late' : (STATE_LABELS[s] ?? s));
  if (spans.length <= 4) {
    return spans.map((s) => `${name(s.state)} ${formatTick(s.start_ms, 0.1)}–${formatTick(s.end_ms, 0.1)}`).join(', then ');
  }
  /** @type {Map<string, {ms: number, n: number}>} */
  const by = new Map();
  for (const s of spans) {
    const t = by.get(s.state) ?? { ms: 0, n: 0 };
    t.ms += s.end_ms - s.start_ms;
    t.n += 1;
    by.set(s.state, t);
  }
  return [...by].map(([s, t]) => `${name(s)} ${formatMs(t.ms)} in ${formatCount(t.n)} spans`).join('; ');
}

/**
 * A timeline view inside `root`. It creates its own children:
 *
 *   .timeline-head (.timeline-title, .timeline-meta), ul.timeline-legend,
 *   .timeline-frame (.timeline-scroll > canvas.timeline-canvas, canvas.timeline-axis),
 *   .timeline-empty, .timeline-tip, details.timeline-table (the spans of each lane as a
 *   table, for screen readers and anyone who wants the figures), and a visually hidden
 *   live region for keyboard reading.
 */
export class Timeline {
  /**
   * @param {HTMLElement} root
   * @param {Legend} legend the states, in legend order, and the lag and GIL lanes' labels (the schema's)
   * @param {{legend?: boolean, maxLaneH?: number}} [options] `legend: false` leaves the legend
   *   to the page (several timelines under one legend); `maxLaneH`, the tallest a lane may be
   */
  constructor(root, legend, { legend: showLegend = true, maxLaneH = 24 } = {}) {
    this.root = root;
    this.legend = legend;
    this.showLegend = showLegend;
    this.maxLaneH = maxLaneH;
    /** @type {number|undefined} the least width of the label column, shared by several timelines */
    this.labelW = undefined;
    this.id = `timeline-${++instances}`;
    root.classList.add('timeline');
    /** @type {Trace|null} */
    this.trace = null;
    /** @type {number|undefined} where the time axis ends, if not at the trace's end */
    this.t1 = undefined;
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

    this.legendEl = el('ul', 'timeline-legend');
    this.legendEl.setAttribute('aria-label', 'States');
    /** @type {Map<string, HTMLElement>} */
    this.legendItems = new Map();
    for (const s of legend.states) {
      const li = el('li');
      li.dataset.state = s;
      li.append(el('span', `swatch swatch-${s}`), STATE_LABELS[s] ?? s);
      li.firstElementChild?.setAttribute('aria-hidden', 'true');
      this.legendEl.append(li);
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

    this.tableBox = /** @type {HTMLDetailsElement} */ (el('details', 'timeline-table'));
    this.tableBox.append(el('summary', undefined, 'The spans as a table'));
    this.tableBox.addEventListener('toggle', () => this.tableBox.open && this.fillTable());

    // The tooltip lives in the root, not the clipped frame, so it may overhang the plot.
    root.replaceChildren(this.head, this.legendEl, this.frameEl, this.tableBox, this.empty, this.tip, hint, this.live);

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
      this.onScheme = () => this.schedule();
      this.scheme.addEventListener('change', this.onScheme);
    }
    this.clear();
  }

  /** Let go of everything that would keep this timeline alive once its root is gone. */
  destroy() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.resizer?.disconnect();
    if (this.onScheme) this.scheme?.removeEventListener('change', this.onScheme);
    this.trace = null;
    this.model = null;
  }

  /**
   * Show `trace`. Cheap: the drawing happens once per animation frame however often this
   * is called, so a live run can call it for every batch of spans.
   * @param {Trace} trace
   * @param {{title?: string, t1?: number}} [options] `t1`: where the time axis ends, so
   *   several timelines share one scale
   */
  render(trace, { title, t1, labelW } = {}) {
    // The same picture again (a live run redraws its neighbours' figures): nothing to do.
    if (trace === this.trace && t1 === this.t1 && labelW === this.labelW && (title === undefined || title === this.title)) return;
    if (trace !== this.trace) this.focus = null;
    this.trace = trace;
    this.t1 = t1;
    this.labelW = labelW;
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
    this.legendEl.hidden = true;
    this.tableBox.hidden = true;
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
    return theme(this.root, this.legend.states);
  }

  /** The colours and font the timeline paints with, for a picture of several timelines. */
  themeColors() {
    return this.theme();
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
    this.legendEl.hidden = !this.showLegend;
    this.tableBox.hidden = false;
    const width = this.scroll.clientWidth;
    if (!width) return; // not laid out yet; the ResizeObserver calls back

    const { colors, font } = this.theme();
    const m = layout(trace, width, this.legend, { measure: this.measurer(font), t1: this.t1, labelW: this.labelW, maxLaneH: this.maxLaneH });
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
    for (let i = 0; i < trace.spans.length && present.size < this.legend.states.length; i++) present.add(trace.spans[i].state);
    for (const [s, li] of this.legendItems) li.classList.toggle('absent', !present.has(s));
    if (this.focus) this.showFocusTip();
    if (this.tableBox.open) this.fillTable();
    this.lastDrawMs = performance.now() - t0;
  }

  /**
   * The width the label column of `trace` needs here, css px: timelines drawn on one scale
   * share the widest.
   * @param {Trace} trace
   */
  labelWidth(trace) {
    return labelWidth(trace, this.legend, this.measurer());
  }

  /**
   * @private
   * The table behind the picture: one row per lane (the first MAX_TABLE_LANES), what it
   * did in order when it did little, else its time in each state.
   */
  fillTable() {
    const trace = this.trace;
    if (!trace) return;
    const lanes = trace.lanes.length;
    const shown = Math.min(lanes, MAX_TABLE_LANES);
    const table = el('table', 'timeline-spans');
    const more = shown < lanes ? ` (the first ${formatCount(shown)} of ${formatCount(lanes)} lanes)` : '';
    const caption = el('caption', undefined, `${this.title || 'Timeline'}: what each lane did, ms from the start of the run${more}`);
    const head = el('tr');
    for (const h of ['lane', 'from', 'to', 'what it did']) head.append(Object.assign(el('th', undefined, h), { scope: 'col' }));
    const thead = el('thead');
    thead.append(head);
    /** @type {import('../../shared/types.js').Span[][]} */
    const byLane = Array.from({ length: shown }, () => []);
    for (const s of trace.spans) if (s.lane < shown) byLane[s.lane].push(s);
    const body = el('tbody');
    byLane.forEach((spans, lane) => {
      spans.sort((a, b) => a.start_ms - b.start_ms);
      const tr = el('tr');
      tr.append(Object.assign(el('th', undefined, trace.lanes[lane] ?? `lane ${lane}`), { scope: 'row' }));
      const none = !spans.length;
      const to = spans.reduce((m, s) => Math.max(m, s.end_ms), 0);
      tr.append(el('td', 'num', none ? '—' : formatTick(spans[0].start_ms, 0.1)), el('td', 'num', none ? '—' : formatTick(to, 0.1)));
      tr.append(el('td', undefined, laneWords(spans, trace.lanes[lane] === this.legend.lagLane)));
      body.append(tr);
    });
    table.append(caption, thead, body);
    const wrap = el('div', 'table-wrap');
    wrap.append(table);
    this.tableBox.replaceChildren(/** @type {HTMLElement} */ (this.tableBox.querySelector('summary')), wrap);
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
    const trace = this.trace;
    if (!m || !f || !trace) return;
    const box = focusBox(m, trace, f);
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !box) return;
    ctx.strokeStyle = colors.focus;
    ctx.lineWidth = 2;
    ctx.strokeRect(box.x - 1, box.y - 1, box.w + 2, box.h + 2);
  }

  /** @private @param {PointerEvent} e */
  onPointer(e) {
    const m = this.model;
    const trace = this.trace;
    if (!m || !trace) return;
    const rect = this.canvas.getBoundingClientRect();
    const hit = hitTest(m, trace, e.clientX - rect.left, e.clientY - rect.top);
    if (!hit) {
      if (!this.focus) this.hideTip();
      return;
    }
    this.showTip(describe(m, trace, hit.row, hit.pos), e.clientX, e.clientY);
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
    this.tip.replaceChildren(el('strong', undefined, head), ...rest.map((t) => el('span', undefined, t)));
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
    const m = this.model;
    const trace = this.trace;
    const f = this.focus;
    if (!m || !trace || !f) return;
    const box = focusBox(m, trace, f);
    if (!box) return;
    const rect = this.canvas.getBoundingClientRect();
    this.showTip(describe(m, trace, f.row, f.pos), rect.left + box.x + Math.min(box.w, 40), rect.top + box.y + box.h - 6);
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
    if (!MOVE_KEYS.includes(e.key)) return;
    e.preventDefault();
    this.focus = move(m, trace, this.focus, e.key);
    this.live.textContent = describe(m, trace, this.focus.row, this.focus.pos).join(', ');
    this.flush();
    const fb = focusBox(m, trace, this.focus);
    if (fb) {
      // Keep the focused row in view inside the scroller.
      if (fb.y < this.scroll.scrollTop) this.scroll.scrollTop = fb.y - 4;
      else if (fb.y + fb.h > this.scroll.scrollTop + this.scroll.clientHeight) {
        this.scroll.scrollTop = fb.y + fb.h - this.scroll.clientHeight + 4;
      }
      this.showFocusTip();
    }
  }

  /**
   * The whole picture (title, legend, lanes, axis) as one scene, for export.
   * @private
   * @param {number} width
   */
  exportScene(width) {
    /** @type {Trace} */
    const trace = this.trace ?? { origin_ms: 0, wall_ms: 0, lanes: [], spans: [] };
    const measure = this.measurer();
    const m = layout(trace, width, this.legend, { measure, t1: this.t1, labelW: this.labelW, maxLaneH: this.maxLaneH });
    let y = 0;
    const head = new Scene(width, 0);
    if (this.title) {
      head.text('text', PAD, 14, this.title, 14, 'left', true);
      y += 26;
    }
    // The legend, wrapped over lines to fit the width.
    let x = PAD;
    for (const s of this.legend.states) {
      const label = STATE_LABELS[s] ?? s;
      const w = 16 + measure(label) + 16;
      if (x + w > width - PAD && x > PAD) {
        x = PAD;
        y += 20;
      }
      head.rect(s, x, y + 4, 11, 11);
      head.text('muted', x + 16, y + 10, label, 12);
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
    return sceneToPNG(sc, colors, font);
  }
}
