// @ts-check
/**
 * threading: the tasks on a rayon pool whose threads are Web Workers over one shared
 * memory (`threading.rs`), GIL on or off, hosted by workers/threads-host.js.
 *
 * The global rayon pool cannot be resized, so a run that asks for another size gets a new
 * host worker; hosts are cached by size so a second run starts at once.
 */
import { MSG, waitFor } from '../workers/protocol.js';
import { startWorker, stopWorker } from '../workers/registry.js';
import { nowMs } from '../clock.js';

/** @typedef {{worker: Worker, threads: number, ready: Promise<{t0: number, t1: number}>}} Host */

/** Hosts kept alive, by pool size; at most a few, since each holds `threads` workers. */
const hosts = /** @type {Map<number, Host>} */ (new Map());
const MAX_HOSTS = 2;
let nextId = 1;

/** @param {number} threads */
function host(threads) {
  let h = hosts.get(threads);
  if (h) {
    // Most recently used last.
    hosts.delete(threads);
    hosts.set(threads, h);
    return { host: h, fresh: false };
  }
  while (hosts.size >= MAX_HOSTS) {
    const [size, oldest] = hosts.entries().next().value;
    stopWorker(oldest.worker);
    hosts.delete(size);
  }
  const worker = startWorker(new URL('../workers/threads-host.js', import.meta.url), `threads host (${threads})`);
  const id = nextId++;
  const ready = waitFor(worker, MSG.threadsReady, { id });
  worker.postMessage({ type: MSG.threadsInit, id, threads });
  h = { worker, threads, ready };
  hosts.set(threads, h);
  ready.catch(() => drop(threads));
  return { host: h, fresh: true };
}

/** @param {number} threads */
function drop(threads) {
  const h = hosts.get(threads);
  if (h) stopWorker(h.worker);
  hosts.delete(threads);
}

/** Terminate every host (Stop, or a fault: a host blocked in a hung pool is useless). */
export function stopHosts() {
  for (const size of [...hosts.keys()]) drop(size);
}

/**
 * Send one request to the host of `threads` threads and wait for its answer.
 * @param {number} threads
 * @param {object} message
 * @param {AbortSignal} [signal]
 */
export async function request(threads, message, signal) {
  const { host: h, fresh } = host(threads);
  const spawn = await h.ready;
  const id = nextId++;
  const answer = waitFor(h.worker, MSG.threadsResult, { id, signal });
  const sentAt = nowMs();
  h.worker.postMessage({ ...message, id, originMs: sentAt });
  try {
    return { answer: await answer, spawn: fresh ? spawn : null, sentAt };
  } catch (e) {
    // Stopped or failed: the host may be blocked in the pool forever. Replace it.
    drop(threads);
    throw e;
  }
}

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('./index.js').Outcome[]>} */
export async function run(ctx) {
  const p = ctx.params;
  const threads = p.threads ?? Math.min(p.tasks, 64);
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
