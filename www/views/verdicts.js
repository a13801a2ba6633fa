// Verdicts: does a measured result agree with what the guides claim for its cell?
//
// A pure function of one result (and, optionally, its scenario and its peers), so it is
// unit-tested in Node without a DOM. The claims live in one table, CLAIMS, keyed by model,
// workload and GIL; each names the test it implies (EXPECT), and the thresholds are the
// exported constants below, so a reader can check every verdict by hand.

import { speedupNumber, formatMs } from './format.js';

/** @typedef {import('./summary.js').Summary} Result */

/** "About 1x" (no speedup) is a speedup in [ABOUT_ONE_MIN, ABOUT_ONE_MAX]. */
export const ABOUT_ONE_MIN = 0.8;
/** Upper end of "about 1x". */
export const ABOUT_ONE_MAX = 1.25;
/** "Clearly above 1" is a speedup of at least this. Between ABOUT_ONE_MAX and this is a grey zone. */
export const CLEARLY_ABOVE = 1.4;
/** Waits "overlap" when the speedup reaches this share of the ideal, min(tasks, workers). */
export const OVERLAP_SHARE = 0.5;
/** multiprocessing is "less efficient" for I/O when below this share of the best of asyncio and threading. */
export const LESS_EFFICIENT_SHARE = 0.9;
/** A speedup beyond what the machine can physically give, by this factor, is a measurement problem. */
export const IDEAL_SLACK = 1.25;
/**
 * A context that computed below this share of the calibrated speed was slowed by something
 * else. On a quiet 2-core machine every context computes at 0.77-1.0 of it (the page's
 * thread also draws and beats the lag meter; two processes share the cores with the page);
 * with one busy loop beside them, two processes get about 2/3 of a core each, with two
 * about half.
 */
export const SLOW_CONTEXT = 0.72;
/** Below this share of the calibrated speed, a grey-zone verdict names the slowest context's speed. */
export const GREY_SPEED = 0.95;
/** A noise probe below this share of the calibrated speed says the machine was busy. */
export const BUSY_PROBE = 0.8;
/** A combined model is "ahead" of asyncio and threading alone from this ratio of speedups. */
export const CLEARLY_AHEAD = 1.15;

/**
 * The tests a claim can imply.
 * - `baseline`: the sequential run, 1x by definition;
 * - `none`: no speedup, about 1x;
 * - `overlap`: waits overlap, speedup near the ideal min(tasks, workers);
 * - `parallel`: computing runs on several cores, clearly above 1 when there are cores;
 * - `serial-cpu`: waits overlap but computing takes turns: above 1, but not beyond the ideal
 *   of overlapped waits plus serial computing;
 * - `overhead`: works, but slower than asyncio and threading on the same work;
 * - `offload`: asyncio handing its computing to a pool: waits overlap on the loop and the
 *   computing runs in parallel, ahead of asyncio alone and threading alone.
 */
export const EXPECT = /** @type {const} */ ({
  baseline: 'baseline',
  none: 'none',
  overlap: 'overlap',
  parallel: 'parallel',
  serialCpu: 'serial-cpu',
  overhead: 'overhead',
  offload: 'offload',
});

/**
 * @typedef {{model: string, workload: string, gil: boolean|'any', claim: string, expect: string, variant?: string, warns?: boolean}} Claim
 *   `variant`: the claim is for results of that variant only (a lab's way of doing it);
 *   `warns`: the claim is one of the guides' warnings, which a confirmation bears out
 */

/**
 * The guides' claims, one line each, for every (model, workload, GIL) cell. `gil: 'any'`
 * matches both; a row with a `variant` matches only results of that variant; the first
 * matching row wins.
 * @type {readonly Claim[]}
 */
export const CLAIMS = Object.freeze([
  // The blocking lab's ways: the guides' warning about a blocking call in a coroutine, and
  // its fix, asyncio.to_thread.
  { model: 'asyncio', workload: 'io', variant: 'blocking', gil: 'any', claim: 'a blocking call such as time.sleep inside a coroutine holds the event loop: the waits go one after another, no speedup', expect: EXPECT.none, warns: true },
  { model: 'asyncio-threads', workload: 'io', variant: 'to-thread', gil: 'any', claim: 'a blocking call handed to a thread with asyncio.to_thread: the waits overlap and the loop stays free', expect: EXPECT.overlap },

  { model: 'sequential', workload: 'any', gil: 'any', claim: 'the baseline: one task after another', expect: EXPECT.baseline },

  { model: 'asyncio', workload: 'io', gil: 'any', claim: 'tasks overlap their waits: concurrency without parallelism', expect: EXPECT.overlap },
  { model: 'asyncio', workload: 'cpu', gil: 'any', claim: 'no speedup; a CPU-heavy task blocks the loop', expect: EXPECT.none },
  { model: 'asyncio', workload: 'mixed', gil: 'any', claim: 'the waits overlap, the computing does not', expect: EXPECT.serialCpu },

  { model: 'threading', workload: 'io', gil: 'any', claim: 'waits overlap: other threads run meanwhile', expect: EXPECT.overlap },
  { model: 'threading', workload: 'cpu', gil: true, claim: 'no speedup, the GIL lets one thread run at a time', expect: EXPECT.none },
  { model: 'threading', workload: 'cpu', gil: false, claim: 'free-threaded Python: threads run in parallel on several cores', expect: EXPECT.parallel },
  { model: 'threading', workload: 'mixed', gil: true, claim: 'the waits overlap, the computing takes turns under the GIL', expect: EXPECT.serialCpu },
  { model: 'threading', workload: 'mixed', gil: false, claim: 'free-threaded Python: waits overlap and computing runs in parallel', expect: EXPECT.parallel },

  { model: 'multiprocessing', workload: 'io', gil: 'any', claim: 'works, but start-up and messaging make it less efficient', expect: EXPECT.overhead },
  { model: 'multiprocessing', workload: 'cpu', gil: 'any', claim: 'true parallelism on several cores', expect: EXPECT.parallel },
  { model: 'multiprocessing', workload: 'mixed', gil: 'any', claim: 'waits overlap and computing runs in parallel on several cores', expect: EXPECT.parallel },

  // The guides' advice to combine the models: asyncio for the waits, a pool for the work.
  { model: 'asyncio-processes', workload: 'io', gil: 'any', claim: 'the waits overlap on the loop; nothing to hand to the pool', expect: EXPECT.overlap },
  { model: 'asyncio-processes', workload: 'cpu', gil: 'any', claim: 'the pool computes in parallel while the loop stays free', expect: EXPECT.parallel },
  { model: 'asyncio-processes', workload: 'mixed', gil: 'any', claim: 'combined, as advised: waits overlap on the loop, processes compute in parallel; ahead of asyncio and threading alone', expect: EXPECT.offload },
  { model: 'asyncio-threads', workload: 'io', gil: 'any', claim: 'the waits overlap on the loop; nothing to hand to a thread', expect: EXPECT.overlap },
  { model: 'asyncio-threads', workload: 'cpu', gil: true, claim: 'the loop stays free, but under the GIL the threads compute in turns: no speedup', expect: EXPECT.none },
  { model: 'asyncio-threads', workload: 'cpu', gil: false, claim: 'free-threaded: the threads compute in parallel while the loop stays free', expect: EXPECT.parallel },
  { model: 'asyncio-threads', workload: 'mixed', gil: true, claim: 'the waits overlap, the computing takes turns under the GIL, off the loop', expect: EXPECT.serialCpu },
  { model: 'asyncio-threads', workload: 'mixed', gil: false, claim: 'free-threaded: waits overlap on the loop, threads compute in parallel', expect: EXPECT.offload },
]);

/**
 * @typedef {object} VerdictOptions
 * @property {number} cores the cores that compute at once here, as the page measured them (capabilities.js)
 * @property {number} [tasks] tasks in the scenario; sharpens the ideal speedup
 * @property {number} [ioMs] I/O wait per task, ms (mixed workload ideal)
 * @property {number} [cpuMs] CPU work per task, ms (mixed workload ideal)
 * @property {Result[]} [peers] other results of the same run, to compare multiprocessing with
 * @property {number|null} [probe] the slowest noise probe of the run, as a share of the calibrated
 *   kernel speed: how much of a core the page got before and after each round
 */

/**
 * @typedef {'baseline'|'confirmed'|'contradicted'|'inconclusive'|'untestable'|'pending'} VerdictStatus
 * @typedef {{agrees: boolean|null, claim: string, text: string, status: VerdictStatus}} Verdict
 */

/**
 * Whether the result ran without a GIL: threading with `gil === false` or the 'gil-off' variant.
 * @param {Result} r
 */
function gilOff(r) {
  return r.gil === false || r.variant === 'gil-off';
}

/**
 * The claim row for a result's cell, or null for an unknown model or workload.
 * @param {Pick<Result, 'model'|'workload'|'gil'|'variant'>} r
 * @returns {Claim|null}
 */
export function claimFor(r) {
  const gil = !gilOff(/** @type {Result} */ (r));
  return (
    CLAIMS.find(
      (c) =>
        c.model === r.model &&
        (c.variant === undefined || c.variant === r.variant) &&
        (c.workload === 'any' || c.workload === r.workload) &&
        (c.gil === 'any' || c.gil === gil),
    ) ?? null
  );
}

/** @param {number} s */
const x = (s) => `${speedupNumber(s)}x`;

/** @param {number} v */
const round = (v) => (v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

/**
 * The best speed-up a model could reach on this cell, from the scenario; null if unknown.
 * @param {Claim} claim
 * @param {Result} r
 * @param {VerdictOptions} o
 * @returns {number|null}
 */
export function idealSpeedup(claim, r, o) {
  const n = o.tasks ?? null;
  // asyncio runs every task at once; the others run at most `workers` at a time. asyncio
  // with an executor (asyncio-processes, asyncio-threads) waits on its loop, every task at
  // once, and computes on `workers`.
  const onLoop = r.model === 'asyncio' || r.model.startsWith('asyncio-');
  const w = onLoop && claim.expect !== EXPECT.parallel ? n : (r.workers ?? n);
  const lanes = n != null && w != null ? Math.min(n, w) : (w ?? n);
  const cores = Math.max(1, o.cores || 1);
  switch (claim.expect) {
    case EXPECT.overlap:
      return lanes;
    case EXPECT.offload: {
      if (n == null || o.ioMs == null || o.cpuMs == null) return null;
      const computing = Math.max(1, Math.min(n, r.workers ?? n, cores));
      const t = o.ioMs + Math.ceil(n / computing) * o.cpuMs;
      return t > 0 ? (n * (o.ioMs + o.cpuMs)) / t : null;
    }
    case EXPECT.parallel: {
      if (lanes == null) return cores;
      if (r.workload === 'mixed' && n != null && o.ioMs != null && o.cpuMs != null) {
        const io = o.ioMs;
        const cpu = o.cpuMs;
        const t = Math.ceil(n / lanes) * io + Math.ceil(n / Math.min(lanes, cores)) * cpu;
        return t > 0 ? (n * (io + cpu)) / t : null;
      }
      return Math.min(lanes, cores);
    }
    case EXPECT.serialCpu: {
      if (n == null || lanes == null || o.ioMs == null || o.cpuMs == null) return null;
      const t = Math.ceil(n / lanes) * o.ioMs + n * o.cpuMs;
      return t > 0 ? (n * (o.ioMs + o.cpuMs)) / t : null;
    }
    default:
      return null;
  }
}

/**
 * The verdict on one result: does its measured speedup agree with the guides' claim?
 *
 * `agrees` is true (confirmed), false (contradicted) or null (baseline, not yet measured,
 * in the grey zone between the thresholds, or not testable on this device).
 *
 * @param {Result} result
 * @param {VerdictOptions} options
 * @returns {Verdict}
 */
export function verdict(result, options) {
  const o = options ?? { cores: 1 };
  const c = claimFor(result);
  if (!c) {
    return { agrees: null, claim: '', text: `no claim for ${result.model} on ${result.workload}`, status: 'untestable' };
  }
  const claim = c.claim;
  /** @param {VerdictStatus} status @param {string} text */
  const out = (status, text) => ({
    agrees: status === 'confirmed' ? true : status === 'contradicted' ? false : null,
    claim,
    text,
    status,
  });

  if (c.expect === EXPECT.baseline) return out('baseline', 'baseline: 1x by definition');
  const s = result.speedup;
  if (s == null || !Number.isFinite(s)) return out('pending', 'no speedup yet: needs the sequential baseline');

  const ideal = idealSpeedup(c, result, o);
  const idealNote = ideal != null ? ` (ideal ${round(ideal)}x)` : '';
  const above = `expected clearly above 1${idealNote}`;

  // What the machine cannot physically give is a measurement problem, never a speedup.
  const limit = physicalLimit(c, result, o);
  if (limit && s > limit.max * IDEAL_SLACK) {
    return out('inconclusive', `measurement problem: ${x(s)} is more than ${limit.why} allows (the baseline was slowed); run again`);
  }
  // A busy machine, or rounds that disagree about which side of 1x they are on, settle nothing.
  const busy = busyReason(result, o);
  if (busy) return out('inconclusive', `inconclusive: ${x(s)}, ${busy}; run again`);
  const comparesToOne = c.expect === EXPECT.none || c.expect === EXPECT.parallel || c.expect === EXPECT.serialCpu;
  if (comparesToOne && result.rounds > 1 && result.speedupMin != null && result.speedupMax != null && result.speedupMin < CLEARLY_ABOVE && result.speedupMax > ABOUT_ONE_MAX) {
    return out('inconclusive', `inconclusive: the rounds gave ${x(result.speedupMin)} to ${x(result.speedupMax)}, both about 1x and above it; run again`);
  }

  switch (c.expect) {
    case EXPECT.none: {
      if (s >= ABOUT_ONE_MIN && s <= ABOUT_ONE_MAX) {
        const lag =
          result.model === 'asyncio' && result.lagMaxMs != null && result.lagMaxMs > 0
            ? `; loop blocked up to ${formatMs(result.lagMaxMs)}`
            : '';
        return out('confirmed', `confirmed: ${x(s)}${lag}`);
      }
      return out('contradicted', `contradicted: measured ${x(s)}, expected about 1x`);
    }

    case EXPECT.overlap: {
      if (ideal != null && ideal < CLEARLY_ABOVE) {
        return out('untestable', `not testable: ${x(s)}, nothing to overlap (ideal ${round(ideal)}x)`);
      }
      if (s < CLEARLY_ABOVE) return out('contradicted', `contradicted: measured ${x(s)}, ${above}`);
      if (ideal != null && s < OVERLAP_SHARE * ideal) {
        return out('inconclusive', `partly: ${x(s)}, well short of the ideal ${round(ideal)}x`);
      }
      return out('confirmed', `confirmed: ${x(s)}${idealNote}`);
    }

    case EXPECT.parallel: {
      if (ideal != null && ideal < CLEARLY_ABOVE) {
        const why = Math.max(1, o.cores || 1) < 2 ? 'one core computes at once on this device' : `ideal ${round(ideal)}x`;
        return out('untestable', `not testable: ${x(s)}, ${why}`);
      }
      if (s >= CLEARLY_ABOVE) return out('confirmed', `confirmed: ${x(s)}${idealNote}`);
      if (s <= ABOUT_ONE_MAX) return out('contradicted', `contradicted: measured ${x(s)}, ${above}`);
      return out('inconclusive', greyZone(s, result, o));
    }

    case EXPECT.serialCpu: {
      if (ideal != null && ideal < CLEARLY_ABOVE) {
        return out('untestable', `not testable: ${x(s)}, too little waiting to overlap (ideal ${round(ideal)}x)`);
      }
      if (s >= CLEARLY_ABOVE) return out('confirmed', `confirmed: ${x(s)}${idealNote}`);
      if (ideal == null) return out('inconclusive', `inconclusive: ${x(s)}; the gain depends on the share of waiting`);
      if (s <= ABOUT_ONE_MAX) return out('contradicted', `contradicted: measured ${x(s)}, ${above}`);
      return out('inconclusive', greyZone(s, result, o));
    }

    case EXPECT.offload: {
      const peers = (o.peers ?? []).filter(
        (p) => p.workload === result.workload && (p.model === 'asyncio' || p.model === 'threading') && p.speedup != null && Number.isFinite(p.speedup),
      );
      let best = null;
      let bestName = '';
      for (const p of peers) {
        if (best == null || /** @type {number} */ (p.speedup) > best) {
          best = /** @type {number} */ (p.speedup);
          bestName = `${p.model}'s ${x(best)}`;
        }
      }
      if (s <= ABOUT_ONE_MAX) return out('contradicted', `contradicted: measured ${x(s)}, ${above}`);
      if (best != null && s <= best) return out('contradicted', `contradicted: ${x(s)}, not ahead of ${bestName}`);
      if (s < CLEARLY_ABOVE) return out('inconclusive', greyZone(s, result, o));
      if (best == null) return out('inconclusive', `measured ${x(s)}${idealNote}; run asyncio and threading to compare`);
      if (s < best * CLEARLY_AHEAD) return out('inconclusive', `inconclusive: ${x(s)}, only just ahead of ${bestName}`);
      return out('confirmed', `confirmed: ${x(s)}, ahead of ${bestName}${idealNote}`);
    }

    case EXPECT.overhead: {
      const peers = (o.peers ?? []).filter(
        (p) =>
          p.workload === result.workload &&
          (p.model === 'asyncio' || p.model === 'threading') &&
          p.speedup != null &&
          Number.isFinite(p.speedup),
      );
      let ref = null;
      let refName = '';
      for (const p of peers) {
        if (ref == null || /** @type {number} */ (p.speedup) > ref) {
          ref = /** @type {number} */ (p.speedup);
          refName = `${p.model}'s ${x(ref)}`;
        }
      }
      if (ref == null && o.tasks != null && o.tasks >= CLEARLY_ABOVE) {
        ref = o.tasks;
        refName = `the ${round(ref)}x of overlapping every wait`;
      }
      if (ref == null) return out('inconclusive', `measured ${x(s)}; run asyncio or threading to compare`);
      if (s < LESS_EFFICIENT_SHARE * ref) return out('confirmed', `confirmed: ${x(s)}, below ${refName}`);
      return out('contradicted', `contradicted: measured ${x(s)}, expected below ${refName}`);
    }

    default:
      return out('untestable', `measured ${x(s)}`);
  }
}

/**
 * The share of the calibrated speed each worker of `r` gets on a quiet machine: all of it, or
 * cores / workers when more of them compute at once than there are cores (a Pool(8) on 2
 * cores: a quarter each, as the OS shares the cores among them). The baseline, asyncio and
 * threads under the GIL compute one at a time.
 * @param {Result} r @param {VerdictOptions} o
 */
export function fairShare(r, o) {
  const threads = r.model === 'threading' || r.model === 'asyncio-threads';
  if (r.model === 'sequential' || r.model === 'asyncio' || (threads && r.gil !== false)) return 1;
  const cores = Math.max(1, o.cores || 1);
  const computing = Math.max(1, Math.min(r.workers ?? 1, o.tasks ?? Infinity));
  return Math.min(1, cores / computing);
}

/**
 * How fast the run's slowest context computed, as a share of what it gets on a quiet
 * machine (`fairShare`), or null when nothing computed.
 * @param {Result} r @param {VerdictOptions} o
 */
function quietShare(r, o) {
  return r.speedRatio == null ? null : r.speedRatio / fairShare(r, o);
}

/**
 * What the slowest context got, in words: of the calibrated speed (`whose`: "the", "its"),
 * or of its share of the cores.
 * @param {Result} r @param {VerdictOptions} o @param {number} ratio @param {string} [whose]
 */
function speedWords(r, o, ratio, whose = 'the') {
  const pct = `${Math.round(ratio * 100)}%`;
  const share = fairShare(r, o);
  return share < 1 ? `${pct} of its share of the cores (${Math.round(share * 100)}% of the calibrated speed)` : `${pct} of ${whose} calibrated speed`;
}

/**
 * The words for a speedup in the grey zone between about 1x and clearly above 1: what the
 * run's slowest context got of the calibrated speed, when it got less than all of it (it
 * still counted as quiet, above SLOW_CONTEXT, yet a slowed context pulls a parallel speedup
 * down into this zone), and what to do.
 * @param {number} s @param {Result} r @param {VerdictOptions} o
 */
export function greyZone(s, r, o) {
  const ratio = quietShare(r, o);
  const slowed =
    ratio != null && ratio < GREY_SPEED
      ? ` (${r.model === 'asyncio' ? "the page's thread" : 'its slowest worker'} computed at ${speedWords(r, o, ratio)})`
      : '';
  return `inconclusive: ${x(s)}, between about 1x and clearly above 1${slowed}; run again`;
}

/**
 * The most speedup this machine can physically give a cell, and why, or null when any is
 * possible: computing that takes turns (asyncio, threads under the GIL) cannot beat one
 * thread; no computing beats min(tasks, workers, cores).
 * @param {Claim} claim @param {Result} r @param {VerdictOptions} o
 * @returns {{max: number, why: string} | null}
 */
export function physicalLimit(claim, r, o) {
  if (r.workload === 'io') return null;
  if (claim.expect === EXPECT.none) return { max: 1, why: 'one thread computing' };
  if (claim.expect === EXPECT.serialCpu) {
    const ideal = idealSpeedup(claim, r, o);
    return ideal == null ? null : { max: ideal, why: `overlapped waits with computing that takes turns (${round(ideal)}x)` };
  }
  if (r.workload !== 'cpu') return null;
  const cores = Math.max(1, o.cores || 1);
  const workers = r.model === 'asyncio' ? 1 : (r.workers ?? cores);
  const max = Math.min(o.tasks ?? workers, workers, cores);
  return { max, why: `${max} core${max === 1 ? '' : 's'} computing at once` };
}

/**
 * Why a cell's measurement cannot be trusted because the machine was busy, or '' when it
 * can: a noise probe found the page's core short of its calibrated speed, or a context of
 * the run computed slower than the calibration. Only for work that computes: waiting does
 * not need a free core.
 * @param {Result} r @param {VerdictOptions} o
 */
export function busyReason(r, o) {
  if (r.workload === 'io') return '';
  const pct = (/** @type {number} */ v) => `${Math.round(v * 100)}%`;
  if (o.probe != null && o.probe < BUSY_PROBE) return `your machine was busy (the kernel ran at ${pct(o.probe)} of its calibrated speed between rounds)`;
  const context = r.model === 'asyncio' ? "asyncio's thread (the page's)" : `a ${r.model} worker`;
  const ratio = quietShare(r, o);
  if (ratio != null && ratio < SLOW_CONTEXT) return `your machine was busy (${context} computed at ${speedWords(r, o, ratio, 'its')})`;
  return '';
}
