// @ts-check
/**
 * Each result in plain words: what the guides claim for its cell, what was measured, and
 * one sentence of why, taken from the run's own trace where it can (how often the GIL
 * changed hands, how long the page could not respond). Pure: results and numbers in, words
 * out; the claim and whether the measurement agrees are the verdicts' (`verdicts.js`).
 */
import { claimFor, verdict } from './verdicts.js';
import { formatCount, formatMs, speedupNumber } from './format.js';

/** @typedef {import('../shared/types.js').Trace} Trace */
/** @typedef {import('./verdicts.js').VerdictStatus} VerdictStatus */

/**
 * What a result needs to be explained: a result row or a summary of its rounds.
 * @typedef {object} Explainable
 * @property {string} model
 * @property {string} workload
 * @property {string} variant
 * @property {number} wallMs
 * @property {number|null} speedup
 * @property {number|null} workers
 * @property {boolean|null} gil
 * @property {number|null} lagMaxMs
 * @property {Trace} [trace]
 */

/**
 * @typedef {object} ExplainOptions
 * @property {number} cores the cores that compute at once here, as the page measured them (capabilities.js)
 * @property {number} tasks
 * @property {number} ioMs I/O wait per task, ms
 * @property {number} cpuMs CPU work per task, ms
 * @property {string} [gilLane] the GIL lane's label (the schema's)
 * @property {any[]} [peers] the other results of the run, for the verdicts that compare
 * @property {number} [probe] the run's slowest noise probe: a busy machine makes a verdict inconclusive
 */

/**
 * @typedef {object} Explanation
 * @property {string} claim  what the guides say about this cell ('' when nothing)
 * @property {string} measured what this run measured
 * @property {string} why    one sentence of why
 * @property {VerdictStatus|null} status whether the measurement agrees with the claim
 * @property {string} agrees the status in words ('' when there is nothing to say)
 */

/** The status of a verdict in plain words. */
const AGREES = /** @type {Record<string, string>} */ ({
  confirmed: 'as the guides say',
  contradicted: 'not what the guides say',
  inconclusive: 'unclear this time (a busy machine blurs it: run it again)',
  untestable: 'this scenario cannot test it',
});

/** "1.6 s" or "33 min" for long times; formatMs below a minute. @param {number} ms */
export function longTime(ms) {
  if (ms < 60_000) return formatMs(ms);
  const min = ms / 60_000;
  if (min < 120) return `${formatCount(Math.round(ms / 1000))} s (${Math.round(min)} min)`;
  return `${formatCount(Math.round(ms / 1000))} s (${(min / 60).toFixed(1)} hours)`;
}

/**
 * The time the tasks would take one after another, ms: what a sequential run of them adds
 * up to, without running it.
 * @param {string} workload @param {ExplainOptions} o
 */
export function oneAfterAnotherMs(workload, o) {
  const io = workload === 'cpu' ? 0 : o.ioMs;
  const cpu = workload === 'io' ? 0 : o.cpuMs;
  return o.tasks * (io + cpu);
}

/**
 * How often the GIL changed hands in a trace: turns on the GIL lane that follow another
 * task's turn. 0 when there is no GIL lane.
 * @param {Trace|undefined} trace @param {string|undefined} gilLane
 */
export function gilHandOffs(trace, gilLane) {
  if (!trace || gilLane == null) return 0;
  const lane = trace.lanes.indexOf(gilLane);
  if (lane < 0) return 0;
  const turns = trace.spans.filter((s) => s.lane === lane).sort((a, b) => a.start_ms - b.start_ms);
  let n = 0;
  for (let i = 1; i < turns.length; i++) if (turns[i].task !== turns[i - 1].task) n++;
  return n;
}

/** @param {number} n @param {string} one @param {string} [many] */
const count = (n, one, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/**
 * The sentence of what was measured.
 * @param {Explainable} r @param {ExplainOptions} o
 */
function measured(r, o) {
  if (r.model === 'sequential') return `${formatMs(r.wallMs)}: every task one after another, the yardstick for the others.`;
  const s = r.speedup;
  if (s == null || !Number.isFinite(s)) {
    const serial = oneAfterAnotherMs(r.workload, o);
    if (!(serial > 0)) return `${formatMs(r.wallMs)}.`;
    const times = r.wallMs > 0 ? serial / r.wallMs : 0;
    const ratio = times >= 1.5 ? `, ${formatCount(Math.round(times))} times as long` : '';
    return `${formatMs(r.wallMs)}. One after another, these ${count(o.tasks, 'task')} would take about ${longTime(serial)}${ratio}.`;
  }
  const baseline = r.wallMs * s;
  const pace = s >= 1.15 ? `${speedupNumber(s)}× faster` : s <= 0.87 ? `${speedupNumber(1 / s)}× slower` : `no faster (${speedupNumber(s)}×)`;
  return `${pace}: ${formatMs(r.wallMs)}, against ${formatMs(baseline)} one after another.`;
}

/**
 * The sentence of why.
 * @param {Explainable} r @param {ExplainOptions} o
 */
function why(r, o) {
  const n = o.tasks;
  const w = r.workers ?? n;
  const cores = Math.max(1, o.cores || 1);
  const rounds = w < n ? ` (${count(n, 'task')} on ${count(w, 'worker')}: they go in ${count(Math.ceil(n / w), 'round')})` : '';
  const gilOn = r.model === 'threading' && r.gil !== false && r.variant !== 'gil-off';
  const handOffs = gilOn ? gilHandOffs(r.trace, o.gilLane) : 0;
  const turns = handOffs > 0 ? `one thread at a time holds the GIL: see the ${count(handOffs, 'hand-off')} on the GIL lane` : 'one thread at a time holds the GIL';
  const stalled = r.lagMaxMs != null && r.lagMaxMs >= 50 ? `; the page itself could not respond for up to ${formatMs(r.lagMaxMs)}` : '';
  if (r.variant === 'blocking' && r.model === 'asyncio') {
    return `time.sleep blocks the one thread the loop runs on: while a coroutine sleeps, the loop cannot start the next, so the ${formatCount(n)} waits go one after another${stalled}.`;
  }
  if (r.variant === 'to-thread' && r.model === 'asyncio-threads') {
    return `Each coroutine hands its blocking wait to a thread of the pool and awaits it: the loop stays free, and the waits overlap${rounds}.`;
  }
  switch (`${r.model}:${r.workload}`) {
    case 'sequential:io':
    case 'sequential:cpu':
    case 'sequential:mixed':
      return 'Each task starts only when the one before has finished, so the waits and the work add up: a staircase.';
    case 'asyncio:io':
      return `While one coroutine awaits, the event loop starts the next: all ${formatCount(n)} waits overlap on one thread.`;
    case 'asyncio:cpu':
      return `A coroutine that computes never awaits, so the loop runs one task at a time${stalled}.`;
    case 'asyncio:mixed':
      return `The waits overlap while coroutines await, but the computing runs one task at a time on the one loop${stalled}.`;
    case 'threading:io':
      return `A thread that waits lets go of the GIL, so the threads wait at the same time${rounds}.`;
    case 'threading:cpu':
      return gilOn
        ? `Only ${turns}, so the threads take turns and the work adds up as if one after another.`
        : `No GIL (free-threaded Python): the threads compute at the same time, at most ${cores} at once on ${count(cores, 'core')}.`;
    case 'threading:mixed':
      return gilOn
        ? `The waits overlap (a waiting thread lets go of the GIL), but ${turns}, so the computing takes turns.`
        : `No GIL: the waits overlap and the computing runs on up to ${count(cores, 'core')} at once.`;
    case 'multiprocessing:io':
      return `Each process waits on its own, but only ${w} at a time${rounds}, and starting processes and sending results by message costs time.`;
    case 'multiprocessing:cpu':
      return `Each process has its own interpreter and memory, no GIL between them: ${Math.min(w, cores)} computed at once on ${count(cores, 'core')}${rounds}.`;
    case 'multiprocessing:mixed':
      return `Processes wait and compute on their own, ${Math.min(w, cores)} at once on ${count(cores, 'core')}${rounds}; starting them and messaging costs time.`;
    default:
      return '';
  }
}

/**
 * A result in plain words.
 * @param {Explainable} r
 * @param {ExplainOptions} o
 * @returns {Explanation}
 */
export function explain(r, o) {
  const c = claimFor(r);
  let status = /** @type {VerdictStatus|null} */ (null);
  if (c && r.model !== 'sequential') {
    try {
      status = verdict(/** @type {any} */ (r), { cores: o.cores, tasks: o.tasks, ioMs: o.ioMs, cpuMs: o.cpuMs, peers: o.peers ?? [], probe: o.probe }).status;
    } catch {
      status = null;
    }
  }
  return {
    claim: c ? c.claim : '',
    measured: measured(r, o),
    why: why(r, o),
    status,
    agrees: status === 'confirmed' && c?.warns ? 'as the guides warn' : status ? (AGREES[status] ?? '') : '',
  };
}
