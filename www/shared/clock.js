// @ts-check
/**
 * The one clock, as in Rust's `clock::now_ms`: epoch milliseconds with sub-ms resolution.
 * Each worker has its own `performance.timeOrigin`; `timeOrigin + now()` is the same wall
 * clock in all of them, so spans from the page and every worker share one timeline.
 */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}
