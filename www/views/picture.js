// @ts-check
/**
 * One picture per run: every model of a round on one time axis, one small timeline each,
 * all at the same scale (the same ms per pixel and the same label column), so a staircase
 * of waits sits above the same waits side by side. Beside each: the guides' claim, what was
 * measured and why, in plain words. A pure view: it draws the items it is given.
 */
import { Timeline, STATE_LABELS } from './timeline/index.js';
import { Scene, lanesScene, axisScene } from './timeline/scene.js';
import { layout, AXIS_H, PAD } from './timeline/layout.js';
import { sceneToPNG, sceneToSVG } from './timeline/paint.js';
import { VARIANT_NAMES, WORKLOAD_NAMES, formatMs, formatSpeedup } from './format.js';
import { el } from './dom.js';

/** @typedef {import('../shared/types.js').Trace} Trace */
/** @typedef {import('../shared/types.js').Result} Result */
/** @typedef {import('./timeline/layout.js').Legend} Legend */
/** @typedef {import('./explain.js').Explanation} Explanation */

/**
 * @typedef {object} Item one timeline of the picture
 * @property {string} key        stable per model and variant, so a timeline is reused as the run goes
 * @property {string} model
 * @property {string} variant
 * @property {string} title      e.g. "threading (8 threads)"
 * @property {Trace} trace
 * @property {number|null} wallMs null while it runs
 * @property {number|null} speedup
 * @property {Explanation|null} explanation
 * @property {boolean} selected  the row picked in the results table
 * @property {boolean} running   still running (a live trace)
 * @property {number} [skipMs]   start-up at the trace's start that the result does not count
 *   (a thread pool started for the run): the picture starts after it, so every timeline's
 *   0 is when its model's own work began
 */

/** Traces moved to their work's start, made once per trace and skip. @type {WeakMap<Trace, {skip: number, trace: Trace}>} */
const moved = new WeakMap();

/**
 * `trace` from `skipMs` on: spans shifted back by it, those over before it left out, so an
 * uncounted start-up does not stretch the shared time axis. The same trace when there is
 * nothing to skip.
 * @param {Trace} trace @param {number} [skipMs]
 * @returns {Trace}
 */
export function fromWorkStart(trace, skipMs = 0) {
  if (!(skipMs > 0.5)) return trace;
  const known = moved.get(trace);
  if (known && known.skip === skipMs) return known.trace;
  const spans = [];
  for (const s of trace.spans) {
    if (s.end_ms <= skipMs) continue;
    spans.push({ ...s, start_ms: Math.max(0, s.start_ms - skipMs), end_ms: s.end_ms - skipMs });
  }
  const out = { ...trace, origin_ms: trace.origin_ms + skipMs, wall_ms: Math.max(0, trace.wall_ms - skipMs), spans };
  moved.set(trace, { skip: skipMs, trace: out });
  return out;
}

/** The tallest a lane is in the picture: small multiples, so several fit on a screen. */
const LANE_H = 15;

/**
 * The round and workload a picture shows: the picked result's, or the latest result's.
 * @param {Result[]} results in the order measured
 * @param {Result|null} picked
 * @returns {{round: number, workload: string} | null}
 */
export function focusOf(results, picked) {
  const r = picked ?? results[results.length - 1] ?? null;
  return r ? { round: r.round, workload: r.workload } : null;
}

/**
 * The results of one round and workload, in the order measured: the picture's timelines.
 * @param {Result[]} results
 * @param {{round: number, workload: string}} focus
 */
export function roundOf(results, focus) {
  return results.filter((r) => r.round === focus.round && r.workload === focus.workload);
}

/** The time axis every timeline of the picture shares: the longest run's end, ms. @param {Trace[]} traces */
export function sharedEnd(traces) {
  let t1 = 1;
  for (const t of traces) {
    t1 = Math.max(t1, t.wall_ms || 0);
    for (const s of t.spans) if (s.end_ms > t1) t1 = s.end_ms;
  }
  return t1;
}

export class RunPicture {
  /**
   * @param {HTMLElement} root
   * @param {Legend} legend the schema's states and lanes
   */
  constructor(root, legend) {
    this.root = root;
    this.legend = legend;
    root.classList.add('picture');
    this.head = el('p', 'picture-head');
    this.legendEl = el('ul', 'timeline-legend');
    this.legendEl.setAttribute('aria-label', 'What the colours mean');
    /** @type {Map<string, HTMLElement>} */
    this.legendItems = new Map();
    for (const s of legend.states) {
      const li = el('li');
      li.dataset.state = s;
      const sw = el('span', `swatch swatch-${s}`);
      sw.setAttribute('aria-hidden', 'true');
      li.append(sw, STATE_LABELS[s] ?? s);
      this.legendEl.append(li);
      this.legendItems.set(s, li);
    }
    this.list = el('div', 'picture-list');
    this.empty = el('p', 'timeline-empty', 'No run yet. Pick a classic case or press Run: each model gets a timeline here, all on one time scale.');
    root.replaceChildren(this.head, this.legendEl, this.list, this.empty);
    /** @type {Map<string, {fig: HTMLElement, caption: HTMLElement, timeline: Timeline, said?: string}>} */
    this.figures = new Map();
    /** @type {Item[]} */
    this.items = [];
    this.clear();
  }

  /** No picture: the empty state. */
  clear() {
    this.items = [];
    for (const f of this.figures.values()) {
      f.timeline.destroy();
      f.fig.remove();
    }
    this.figures.clear();
    this.head.hidden = true;
    this.legendEl.hidden = true;
    this.empty.hidden = false;
  }

  /**
   * Draw `items`, each on the same time axis.
   * @param {Item[]} items
   * @param {{heading?: string}} [options] a line above the picture (the round and workload)
   */
  render(items, { heading = '' } = {}) {
    this.items = items;
    if (!items.length) return this.clear();
    this.empty.hidden = true;
    this.legendEl.hidden = false;
    this.head.hidden = !heading;
    this.head.textContent = heading;
    const keep = new Set(items.map((i) => i.key));
    for (const [key, f] of this.figures) {
      if (!keep.has(key)) {
        f.timeline.destroy();
        f.fig.remove();
        this.figures.delete(key);
      }
    }
    const t1 = sharedEnd(items.map((i) => fromWorkStart(i.trace, i.skipMs)));
    /** @type {{item: Item, timeline: Timeline}[]} */
    const drawn = [];
    for (const item of items) {
      let f = this.figures.get(item.key);
      if (!f) {
        const fig = el('figure', 'picture-item');
        const caption = el('figcaption', 'picture-caption');
        const box = el('div');
        fig.append(caption, box);
        f = { fig, caption, timeline: new Timeline(box, this.legend, { legend: false, maxLaneH: LANE_H }) };
        this.figures.set(item.key, f);
      }
      // In the items' order. A live run redraws every few hundred ms on a page whose thread
      // may get little of the cores: what has not changed is left as it is.
      if (this.list.children[drawn.length] !== f.fig) this.list.append(f.fig);
      f.fig.dataset.model = item.model;
      f.fig.dataset.variant = item.variant;
      f.fig.classList.toggle('selected', item.selected);
      f.fig.classList.toggle('live', item.running);
      const said = captionKey(item);
      if (f.said !== said) caption(f.caption, item);
      f.said = said;
      drawn.push({ item, timeline: f.timeline });
    }
    const labelW = Math.max(...drawn.map(({ item, timeline }) => timeline.labelWidth(item.trace)));
    for (const { item, timeline } of drawn) {
      timeline.render(fromWorkStart(item.trace, item.skipMs), { title: item.title, t1, labelW });
    }
    /** @type {Set<string>} */
    const present = new Set();
    for (const i of items) for (const s of i.trace.spans) present.add(s.state);
    for (const [s, li] of this.legendItems) li.classList.toggle('absent', !present.has(s));
  }

  /** Draw every timeline now (tests, exports). */
  flush() {
    for (const f of this.figures.values()) f.timeline.flush();
  }

  /**
   * The whole picture as one scene: a heading per timeline, then its lanes and axis.
   * @param {number} width
   * @private
   */
  scene(width) {
    const t1 = sharedEnd(this.items.map((i) => fromWorkStart(i.trace, i.skipMs)));
    const parts = [];
    let height = 0;
    for (const item of this.items) {
      const tl = this.figures.get(item.key)?.timeline;
      if (!tl) continue;
      const trace = fromWorkStart(item.trace, item.skipMs);
      const m = layout(trace, width, this.legend, { measure: tl.measurer(), t1, labelW: tl.labelW, maxLaneH: LANE_H });
      const head = new Scene(width, 24);
      const figures = [item.wallMs != null ? formatMs(item.wallMs) : 'still running', item.speedup != null ? formatSpeedup(item.speedup) : ''].filter(Boolean).join(', ');
      head.text('text', PAD, 12, `${item.title}: ${figures}`, 13, 'left', true);
      parts.push({ head, lanes: lanesScene(m, trace), axis: axisScene(m), h: m.height });
      height += 24 + m.height + AXIS_H + 8;
    }
    const sc = new Scene(width, Math.max(height, 40));
    let y = 0;
    for (const p of parts) {
      sc.add(p.head, y);
      sc.add(p.lanes, y + 24);
      sc.add(p.axis, y + 24 + p.h);
      y += 24 + p.h + AXIS_H + 8;
    }
    return sc;
  }

  /** The picture as a standalone SVG document. @returns {string} */
  toSVG() {
    const tl = this.firstTimeline();
    const { colors, font } = tl ? tl.themeColors() : { colors: {}, font: 'sans-serif' };
    return sceneToSVG(this.scene(this.width()), colors, font, this.head.textContent || 'Concurrency Playground timelines');
  }

  /** The picture as a PNG, at twice the css resolution. @returns {Promise<Blob>} */
  toPNG() {
    const tl = this.firstTimeline();
    if (!tl) return Promise.reject(new Error('no picture yet'));
    const { colors, font } = tl.themeColors();
    const sc = this.scene(this.width());
    return sceneToPNG(sc, colors, font);
  }

  /** @private */
  firstTimeline() {
    return this.figures.values().next().value?.timeline ?? null;
  }

  /** @private */
  width() {
    return Math.max(480, this.list.clientWidth || this.root.clientWidth || 960);
  }
}

/** What a caption says, to tell whether it changed. @param {Item} item */
const captionKey = (item) =>
  JSON.stringify([item.model, item.variant, item.running, item.wallMs, item.speedup, item.explanation, item.skipMs]);

/**
 * A figure's caption: the model and its figures, then the guides' claim, what was measured
 * and why.
 * @param {HTMLElement} root @param {Item} item
 */
function caption(root, item) {
  const title = el('p', 'picture-title');
  title.append(el('span', `model-name model-${item.model}`, item.model));
  const variant = VARIANT_NAMES[item.variant];
  if (variant) title.append(' ', el('span', 'tag', variant));
  const figures = item.running ? 'running…' : [item.wallMs != null ? formatMs(item.wallMs) : '', item.speedup != null ? formatSpeedup(item.speedup) : ''].filter(Boolean).join(' · ');
  title.append(' ', el('span', 'picture-figures', figures));
  const parts = [title];
  const x = item.explanation;
  if (item.running) parts.push(el('p', 'word-line', 'Drawn as it runs; what it shows, once it ends.'));
  if (x && !item.running) {
    const line = (/** @type {string} */ label, /** @type {string} */ text, cls = '') => {
      const p = el('p', `word-line${cls}`);
      p.append(el('span', 'word-label', `${label}: `), text);
      return p;
    };
    if (x.claim) parts.push(line('The guides', `${x.claim}.`, ' claim'));
    const here = line('Here', x.measured);
    if (x.agrees) here.append(' ', el('strong', `agrees agrees-${x.status}`, `(${x.agrees})`));
    parts.push(here);
    if (x.why) parts.push(line('Why', x.why));
  }
  if (item.skipMs != null && item.skipMs > 0.5 && !item.running) {
    parts.push(el('p', 'word-line muted', `Before this, starting the thread pool took ${formatMs(item.skipMs)}: the browser's cost of making workers, not Python's, so not counted.`));
  }
  root.replaceChildren(...parts);
}

/** "I/O-bound, round 2 of 3" and the like, for the picture's heading. @param {string} workload @param {number} round @param {number} rounds */
export function pictureHeading(workload, round, rounds) {
  const w = WORKLOAD_NAMES[workload] ?? workload;
  return `${w} work${rounds > 1 ? `, round ${round + 1} of ${rounds}` : ''}: every model on the same time scale`;
}
