// @ts-check
/**
 * The spans of a threading run while it runs, read straight from the threads host's shared
 * memory. The host is blocked in the pool and cannot post them; every thread writes each
 * span to a ring there (`src/live.rs`) and this reads it by address, with the layout the
 * build reports (`liveSpans()`), so no offset is written here.
 *
 * Each slot holds `seq` (the entry's index + 1 once written, 0 while being written), the
 * lane, the task (-1 for none), the state's index in the schema's `states`, an open flag and
 * the absolute start and end. An entry counts only if `seq` reads the same before and after
 * its fields: otherwise it is not written yet (read it next time) or was overwritten (it is
 * lost to the picture, never to the trace the run returns).
 */

/** @typedef {import('../shared/types.js').Trace} Trace */
/** @typedef {import('../shared/types.js').Span} Span */
/**
 * @typedef {{head: number, slots: number, capacity: number, slotBytes: number, seq: number, lane: number,
 *   task: number, state: number, open: number, startMs: number, endMs: number}} Layout
 */

/**
 * Entries written to the ring so far: read it before sending a run, and the run's spans are
 * those from here on, however soon its threads start writing.
 * @param {WebAssembly.Memory} memory @param {Layout} layout
 */
export function ringHead(memory, layout) {
  return Atomics.load(new Int32Array(memory.buffer), layout.head >> 2) >>> 0;
}

/** The most spans a live picture holds; past it, the rest shows when the run ends. */
const MAX_SPANS = 20_000;

export class LiveSpans {
  /**
   * A reader of the ring from entry `from` on: what came before is an earlier run's.
   * @param {WebAssembly.Memory} memory the host's shared memory
   * @param {Layout} layout where the ring is in it
   * @param {string[]} states the schema's states, in order (a slot holds an index)
   * @param {number} [from] the ring's head before the run was sent (ringHead); now by default
   */
  constructor(memory, layout, states, from = ringHead(memory, layout)) {
    this.memory = memory;
    this.layout = layout;
    this.states = states;
    this.cursor = from >>> 0;
    /** @type {Span[]} finished spans, ms since `origin` */
    this.spans = [];
    /** @type {Map<number, {span: Span, absStart: number}>} each lane's span begun and not yet ended */
    this.open = new Map();
    /** Entries overwritten before they were read. */
    this.lost = 0;
  }

  /** @private Fresh views: the memory may have grown since the last read. */
  ints() {
    return new Int32Array(this.memory.buffer);
  }

  /**
   * Take every entry written since the last read.
   * @param {number} origin the run's start, absolute ms: spans are stored relative to it
   */
  read(origin) {
    const L = this.layout;
    const ints = this.ints();
    const floats = new Float64Array(this.memory.buffer);
    const head = Atomics.load(ints, L.head >> 2) >>> 0;
    if (head - this.cursor > L.capacity) {
      // Lapped: the oldest entries are gone.
      this.lost += head - this.cursor - L.capacity;
      this.cursor = head - L.capacity;
    }
    while (this.cursor !== head) {
      const base = L.slots + (this.cursor % L.capacity) * L.slotBytes;
      const want = (this.cursor + 1) >>> 0;
      const seq = Atomics.load(ints, (base + L.seq) >> 2) >>> 0;
      if (seq !== want) {
        // Not written yet: the next read takes it. Overwritten: skip it.
        if (seq === 0 || seq < want) break;
        this.lost++;
        this.cursor = want;
        continue;
      }
      const lane = ints[(base + L.lane) >> 2];
      const task = ints[(base + L.task) >> 2];
      const state = this.states[ints[(base + L.state) >> 2]];
      const open = ints[(base + L.open) >> 2] !== 0;
      const start = floats[(base + L.startMs) >> 3];
      const end = floats[(base + L.endMs) >> 3];
      if (Atomics.load(ints, (base + L.seq) >> 2) >>> 0 !== want) continue; // changed while read: read again
      this.cursor = want;
      /** @type {Span} */
      const span = { lane, task: task < 0 ? null : task, state, start_ms: start - origin, end_ms: Math.max(start, end) - origin };
      if (open) {
        this.open.set(lane, { span, absStart: start });
        continue;
      }
      const begun = this.open.get(lane);
      if (begun && begun.span.state === state && begun.absStart <= start + 1e-6) this.open.delete(lane);
      if (this.spans.length < MAX_SPANS) this.spans.push(span);
    }
  }

  /**
   * The run so far as a trace: the finished spans, and each begun span drawn up to now.
   * @param {number} origin the run's start, absolute ms
   * @param {number} now absolute ms
   * @param {string[]} lanes the run's lane labels
   * @returns {Trace}
   */
  trace(origin, now, lanes) {
    const wall = Math.max(0, now - origin);
    const open = [...this.open.values()].map(({ span }) => ({ ...span, end_ms: Math.max(span.start_ms, wall) }));
    return { origin_ms: origin, wall_ms: wall, lanes, spans: open.length ? this.spans.concat(open) : this.spans };
  }
}
