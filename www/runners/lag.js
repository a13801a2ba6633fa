// @ts-check
/**
 * The event-loop lag meter: a heartbeat on the page's own loop that notes how late each
 * beat fires. A loop busy with CPU work fires late by as long as it was busy; a free loop
 * fires on time. The late stretches become `blocked` spans on their own lane.
 */
import { nowMs } from '../clock.js';

/** The lane the late stretches are drawn on, in every trace. */
export const LAG_LANE = 'event loop lag';

/** How often the heartbeat asks to run, ms. */
const BEAT_MS = 10;
/** Lateness below this is the timer's own jitter, not a blocked loop. */
const LATE_MS = 4;

export class LagMeter {
  constructor() {
    /** @type {number[]} lateness of every beat, ms */
    this.samples = [];
    /** @type {Array<[number, number]>} absolute [from, to] of every late stretch */
    this.late = [];
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** when the pending beat should fire (absolute ms) */
    this.due = 0;
  }

  start() {
    const beat = (/** @type {number} */ due) => {
      this.due = due;
      this.timer = setTimeout(() => {
        const now = nowMs();
        const lateness = Math.max(0, now - due);
        this.samples.push(lateness);
        if (lateness >= LATE_MS) this.late.push([due, now]);
        beat(now + BEAT_MS);
      }, BEAT_MS);
    };
    beat(nowMs() + BEAT_MS);
    return this;
  }

  /** @returns {{maxMs: number, p99Ms: number, late: Array<[number, number]>}} */
  stop() {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      // A beat still waiting is already late if its time has passed: a run that blocked the
      // loop and finished in the same task would otherwise leave no trace of the block.
      const now = nowMs();
      const lateness = now - this.due;
      if (lateness > 0) {
        this.samples.push(lateness);
        if (lateness >= LATE_MS) this.late.push([this.due, now]);
      }
    }
    const sorted = [...this.samples].sort((a, b) => a - b);
    const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : 0;
    return { maxMs: sorted.at(-1) ?? 0, p99Ms: p99, late: this.late };
  }
}
