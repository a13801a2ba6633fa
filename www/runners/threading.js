// @ts-check
/**
 * threading: the tasks on a rayon pool whose threads are Web Workers over one shared
 * memory (`threading.rs`), GIL on or off, hosted by workers/threads-host.js.
 *
 * The global rayon pool cannot be resized, so a run that asks for another size gets a new
 * host worker; hosts are cached by size so a second run starts at once.
 */
import { MSG, waitFor, errorMessage } from '../workers/protocol.js';
import { startWorker, stopWorker, setBusy } from '../workers/registry.js';
import { nowMs } from '../clock.js';

/**
 * @typedef {object} Host
 * @property {Worker} worker
 * @property {number} threads
 * @property {Promise<{t0: number, t1: number}>} ready
 * @property {BroadcastChannel} panics where its threads report panics
 * @property {Error | null} crash set when a thread of its pool panicked
 * @property {Set<(e: Error) => void>} onCrash the requests in flight, told of a crash
 */

/** Hosts kept alive, by pool size; at most a few, since each holds `threads` workers. */
const hosts = /** @type {Map<number, Host>} */ (new Map());
const MAX_HOSTS = 2;
let nextId = 1;

/** @param {number} threads */
function host(threads) {
  const cached = hosts.get(threads);
  if (cached) {
    // Most recently used last.
    hosts.delete(threads);
    hosts.set(threads, cached);
    return { host: cached, fresh: false };
  }
  while (hosts.size >= MAX_HOSTS) {
    const [size, oldest] = /** @type {[number, Host]} */ (hosts.entries().next().value);
    drop(size, oldest);
  }
  const worker = startWorker(new URL('../workers/threads-host.js', import.meta.url), `threads host (${threads})`);
  const id = nextId++;
  // A thread that panics traps its own worker, which only the host could see, and the
  // host is blocked in the pool waiting for it. So every thread reports its panic here,
  // on a channel of this host's own (boundary.rs, `report_panics_to`).
  const panics = new BroadcastChannel(`playground:threads:panics:${crypto.randomUUID()}`);
  const ready = waitFor(worker, MSG.threadsReady, { id }).catch((e) => {
    throw new Error(`the threads host could not start: ${errorMessage(e)}`);
  });
  /** @type {Host} */
  const made = { worker, threads, ready, panics, crash: null, onCrash: new Set() };
  panics.onmessage = ({ data }) => {
    if (data?.type !== MSG.threadsPanic || made.crash) return;
    made.crash = new Error(`Rust panicked in a thread of the pool: ${String(data.message)}`);
    for (const tell of made.onCrash) tell(made.crash);
    drop(threads, made);
  };
  worker.postMessage({ type: MSG.threadsInit, id, threads, panics: panics.name });
  hosts.set(threads, made);
  ready.catch(() => drop(threads, made));
  return { host: made, fresh: true };
}

/**
 * Terminate a host (its pool's workers go with it).
 * @param {number} threads @param {Host} [h] only this host, not a newer one of the same size
 */
function drop(threads, h = hosts.get(threads)) {
  if (!h) return;
  if (hosts.get(threads) === h) hosts.delete(threads);
  stopWorker(h.worker);
  h.panics.close();
}

/** Terminate every host (Stop, or a fault: a host blocked in a hung pool is useless). */
export function stopHosts() {
  for (const size of [...hosts.keys()]) drop(size);
}

/**
 * Send one request to the host of `threads` threads and wait for its answer. It fails,
 * and the host is terminated, when Stop is pressed, when a thread of the pool panics, or
 * after `timeoutMs` (0: never) with no answer; the next request starts a new host.
 * @param {number} threads
 * @param {object} message
 * @param {AbortSignal} [signal]
 * @param {number} [timeoutMs]
 */
export async function request(threads, message, signal, timeoutMs = 0) {
  const { host: h, fresh } = host(threads);
  const id = nextId++;
  // One promise per request for every way it can fail, so nothing long-lived (the host,
  // the run's signal) keeps a reaction to it once the request is over.
  /** @type {(e: unknown) => void} */
  let fail = () => {};
  const failed = /** @type {Promise<never>} */ (new Promise((_, reject) => (fail = reject)));
  failed.catch(() => {});
  const onAbort = () => fail(new DOMException('Stopped', 'AbortError'));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (h.crash) fail(h.crash);
  h.onCrash.add(fail);
  const watchdog =
    timeoutMs > 0
      ? setTimeout(() => {
          const s = (timeoutMs / 1000).toFixed(0);
          fail(new Error(`the threads host gave no answer in ${s} s: a thread may have died without a panic message (out of memory, a stack overflow); it was stopped`));
        }, timeoutMs)
      : undefined;
  setBusy(h.worker, true);
  try {
    const spawn = await Promise.race([h.ready, failed]);
    const answer = waitFor(h.worker, MSG.threadsResult, { id });
    answer.catch(() => {});
    const sentAt = nowMs();
    h.worker.postMessage({ ...message, id, originMs: sentAt });
    return { answer: await Promise.race([answer, failed]), spawn: fresh ? spawn : null, sentAt };
  } catch (e) {
    // Stopped or failed: the host may be blocked in the pool forever. Replace it.
    drop(threads, h);
    throw e;
  } finally {
    clearTimeout(watchdog);
    signal?.removeEventListener('abort', onAbort);
    h.onCrash.delete(fail);
    setBusy(h.worker, false);
  }
}

/**
 * How long a threading run may take before the page gives up on its host: far more than
 * the slowest it could be (every task one after another), plus time to start the pool.
 * @param {import('../params.js').Params} p
 */
function budgetMs(p) {
  const io = p.workload === 'cpu' ? 0 : p.ioMs;
  const cpu = p.workload === 'io' ? 0 : p.cpuMs;
  return 30_000 + 3 * p.tasks * (io + cpu);
}

/** @param {import('./index.js').RunContext} ctx */
function threadCount(ctx) {
  return ctx.params.threads ?? Math.min(ctx.params.tasks, 64);
}

/**
 * Test hook: a panic inside a thread of the pool, as a bug in a task would.
 * @param {import('./index.js').RunContext} ctx @param {string} message
 * @returns {Promise<import('./index.js').Outcome[]>}
 */
export async function panicForTest(ctx, message) {
  await request(threadCount(ctx), { type: MSG.threadsPanicForTest, message }, ctx.signal, budgetMs(ctx.params));
  return [];
}

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('./index.js').Outcome[]>} */
export async function run(ctx) {
  const p = ctx.params;
  const threads = threadCount(ctx);
  if (p.lab === 'race') {
    const { answer } = await request(threads, { type: MSG.threadsRace, query: ctx.query }, ctx.signal);
    const race = answer.race;
    const trace = { origin_ms: nowMs(), wall_ms: 0, lanes: [], spans: [] };
    return [{ variant: 'race', label: 'race lab', trace, wallMs: 0, workers: threads, note: '', lab: race }];
  }
  const requested = nowMs();
  const { answer, spawn } = await request(
    threads,
    { type: MSG.threadsRun, query: ctx.query, itersPerMs: ctx.itersPerMs },
    ctx.signal,
    budgetMs(p),
  );
  /** @type {import('./index.js').Trace} */
  const trace = answer.trace;
  const wallMs = trace.wall_ms;
  let note = p.gil ? `GIL on, switch every ${p.switchMs} ms` : 'GIL off: free-threaded';
  if (spawn) {
    // Pool start-up is the browser's cost of making Web Workers, not the model's: a
    // Python thread starts in well under a millisecond. Draw it, do not count it.
    const shift = trace.origin_ms - requested;
    for (const s of trace.spans) {
      s.start_ms += shift;
      s.end_ms += shift;
    }
    trace.origin_ms = requested;
    trace.wall_ms += shift;
    for (let lane = 0; lane < threads; lane++) {
      trace.spans.push({ lane, task: null, state: 'spawn', start_ms: 0, end_ms: Math.max(0, spawn.t1 - requested) });
    }
    note += `; pool start-up ${(spawn.t1 - spawn.t0).toFixed(0)} ms (drawn as spawn, not counted)`;
  }
  return [{ variant: p.gil ? '' : 'gil-off', label: `threading (${threads} threads)`, trace, wallMs, workers: threads, note }];
}
