// @ts-check
/**
 * Results as Chrome trace-event JSON (the format Perfetto and chrome://tracing open):
 * one process per result, one thread per lane, one complete ("X") event per span.
 * https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
 */

/** @param {import('../shared/types.js').Result[]} results */
export function chromeTrace(results) {
  /** @type {object[]} */
  const traceEvents = [];
  results.forEach((r, pid) => {
    const name = `${r.label} · ${r.workload}${r.variant ? ' · ' + r.variant : ''}`;
    traceEvents.push({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name } });
    r.trace.lanes.forEach((lane, tid) => traceEvents.push({ ph: 'M', name: 'thread_name', pid, tid, args: { name: lane } }));
    for (const s of r.trace.spans) {
      traceEvents.push({
        ph: 'X',
        name: s.state,
        cat: r.model,
        pid,
        tid: s.lane,
        // Trace events count in microseconds.
        ts: Math.round(s.start_ms * 1000),
        dur: Math.max(0, Math.round((s.end_ms - s.start_ms) * 1000)),
        args: s.task === null ? {} : { task: s.task },
      });
    }
  });
  return { traceEvents, displayTimeUnit: 'ms' };
}
