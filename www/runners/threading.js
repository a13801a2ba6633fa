// @ts-check
/**
 * threading: the tasks on a rayon pool whose threads are Web Workers over one shared
 * memory (`src/models/threading/`), GIL on or off, hosted by `workers/threads-host.js`.
 *
 * The global rayon pool cannot be resized, so a run that asks for another size gets a new
 * host worker; hosts are cached by size so a second run starts at once. A host blocks
 * while its pool runs, so Stop cannot reach it as a message: the host shares its memory
 * with the page, and Stop raises the flag every thread of the pool checks. A host that
 * does not answer soon after is terminated. The run's spans reach the page the same way:
 * every thread writes them to a ring in that memory, which `live-spans.js` reads about every
 * 100 ms while the host is blocked, so a threading run draws as it goes like any other.
 */
import { MSG, waitFor, errorMessage, stopped } from '../shared/protocol.js';
import { whenIdle } from '../shared/idle.js';
import { nowMs } from '../shared/clock.js';
import { Unavailable, threadsFailed, threadsNotLoaded } from '../capabilities.js';
import { startWorker, stopWorker, setBusy, isLive } from './registry.js';
import { WARM_UP_MS } from './processes.js';
import { LiveSpans, ringHead } from './live-spans.js';
import { schema } from '../engine.js';

/** How often the live picture of a threading run is read and drawn, ms. */
const LIVE_EVERY_MS = 100;

/**
 * @typedef {object} Ready what a host says once its pool is up
 * @property {number} t0 @property {number} t1
 * @property {WebAssembly.Memory} memory the pool's shared memory
 * @property {number} cancelAddress where the stop flag is in it
 * @property {number} speed the slowest thread's kernel speed after its warm-up
 * @property {import('./live-spans.js').Layout} live where the ring of live spans is in it
 * @property {number} tries how many hosts it took to start the pool (1 unless the browser
 *   blocked one: see startBudgetMs)
 * @typedef {object} Host
 * @property {Worker} worker
 * @property {Worker[]} poolWorkers the pool's threads, which the page starts for the host
 * @property {number} threads
 * @property {Promise<Ready>} ready
 * @property {BroadcastChannel} panics where its threads report panics
 * @property {Error | null} crash set when a thread of its pool panicked
 * @property {Set<(e: Error) => void>} onCrash the requests in flight, told of a crash
 * @property {boolean} ahead started ahead of its first run, in idle time
 * @property {boolean} used whether a run has used it yet
 */

/** Hosts kept alive, by pool size; at most a few, since each holds `threads` workers. */
const hosts = /** @type {Map<number, Host>} */ (new Map());
const MAX_HOSTS = 2;
/**
 * How long a stopped host has to answer before it is terminated, ms. The run ends at Stop;
 * the host stays, warm, if its pool answers within this, and goes (its threads with it)
 * if not: a pool with more threads than cores answers only once the OS has run each
 * thread long enough to see the flag (64 threads on 2 cores: 20-200 ms), and the next run
 * then starts a new pool and reports what that cost.
 */
const STOP_GRACE_MS = 60;
let nextId = 1;

/**
 * How long a host may take to start its pool before another host is started in its place,
 * ms, and how many hosts are tried. Firefox ESR 153 now and then blocks a worker for good
 * inside `new Worker` while it starts nested workers (docs/engines.md has a reproduction),
 * so the page starts the pool's threads for the host (startHost); should a start still
 * block, that host answers nothing any more, and a new one starts.
 * @param {number} threads
 */
const startBudgetMs = (threads) => 5000 + 100 * threads;
const START_ATTEMPTS = 3;
/** What a start that took too long resolves with. */
const LATE = Symbol('late');

/**
 * The host of `threads` threads for `query`, started if there is none.
 * @param {number} threads @param {string} query
 */
function host(threads, query) {
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
  const url = new URL('../workers/threads-host.js', import.meta.url);
  const role = `threads host (${threads})`;
  // A thread that panics traps its own worker, which only the host could see, and the
  // host is blocked in the pool waiting for it. So every thread reports its panic here,
  // on a channel of this host's own (`src/boundary/threads.rs`, `report_panics_to`).
  const panics = new BroadcastChannel(`playground:threads:panics:${crypto.randomUUID()}`);
  // `ready` follows at once.
  const made = /** @type {Host} */ (/** @type {unknown} */ ({ threads, panics, crash: null, onCrash: new Set(), ahead: false, used: false }));
  startHost(made, url, role);
  made.ready = (async () => {
    for (let attempt = 1; ; attempt++) {
      const id = nextId++;
      const answer = waitFor(made.worker, MSG.threadsReady, { id });
      answer.catch(() => {});
      made.worker.postMessage({ type: MSG.threadsInit, id, query, panics: panics.name, warmUpMs: WARM_UP_MS });
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      const late = new Promise((resolve) => (timer = setTimeout(resolve, startBudgetMs(threads), LATE)));
      try {
        const got = await Promise.race([answer, late]);
        if (got !== LATE) return { ...got, tries: attempt };
      } finally {
        clearTimeout(timer);
      }
      // Stopped meanwhile: no new host.
      if (!isLive(made.worker)) throw new Error('stopped while the pool started');
      if (attempt >= START_ATTEMPTS) {
        throw new Error(`no pool of ${threads} threads started in ${START_ATTEMPTS} tries of ${(startBudgetMs(threads) / 1000).toFixed(1)} s`);
      }
      stopHost(made);
      startHost(made, url, role);
    }
  })().catch((e) => {
    const message = errorMessage(e);
    // A browser that cannot share memory with workers after all, or a build that could
    // not be loaded (not served, or offline): threads are left out, the run goes on
    // without them. Anything else (a pool that did not start in time) is the run's error.
    if (/clone|SharedArrayBuffer|shared memory|Atomics/i.test(message)) throw new Unavailable(threadsFailed(message));
    if (/could not load|failed to start/i.test(message)) throw new Unavailable(threadsNotLoaded(message), { lasting: false });
    throw new Error(`the threads host could not start: ${message}`);
  });
  panics.onmessage = ({ data }) => {
    if (data?.type !== MSG.threadsPanic || made.crash) return;
    made.crash = new Error(`Rust panicked in a thread of the pool: ${String(data.message)}`);
    for (const tell of made.onCrash) tell(made.crash);
    drop(threads, made);
  };
  hosts.set(threads, made);
  made.ready.catch(() => drop(threads, made));
  return { host: made, fresh: true };
}

/**
 * Start a host's worker, and the pool's threads when it asks for them: the page starts each
 * thread's worker and passes the messages between it and the host (threads-host.js says
 * why). A thread is started only from the rayon helper the threads build carries.
 * @param {Host} h @param {URL} url @param {string} role
 */
function startHost(h, url, role) {
  h.worker = startWorker(url, role);
  h.poolWorkers = relayPoolThreads(h.worker, role);
}

/**
 * Start the pool's threads a threads host asks for, and pass the messages between them.
 * @param {Worker} worker the host @param {string} role its role, which its threads' extend
 * @returns {Worker[]} the threads started so far, in order; the caller terminates them
 */
export function relayPoolThreads(worker, role) {
  /** @type {Worker[]} */
  const pool = [];
  const helper = new URL('../pkg/threads/snippets/', import.meta.url).href;
  worker.addEventListener('message', ({ data }) => {
    if (data?.type === MSG.threadsSpawn && data.thread === pool.length) {
      const from = new URL(String(data.url), helper);
      if (!from.href.startsWith(helper) || !from.pathname.endsWith('/workerHelpers.no-bundler.js')) return;
      const thread = startWorker(from, `${role} thread ${pool.length + 1}`);
      const index = pool.push(thread) - 1;
      thread.onmessage = (ev) => worker.postMessage({ type: MSG.threadsFromThread, thread: index, data: ev.data });
    } else if (data?.type === MSG.threadsToThread) {
      pool[Number(data.thread)]?.postMessage(data.data);
    }
  });
  return pool;
}

/** Terminate a host's worker and its pool's threads. @param {Host} h */
function stopHost(h) {
  stopWorker(h.worker);
  for (const thread of h.poolWorkers) stopWorker(thread);
  h.poolWorkers.length = 0;
}

/** How long an edit must rest before its pool is started ahead, ms: typing 64 is not 6, then 64. */
const PRESTART_AFTER_MS = 400;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let prestarting;
/** Which start ahead is still wanted: a newer one, or a stop, makes the one pending stale. */
let prestartWanted = 0;

/**
 * Start the pool of `threads` threads for `query` ahead of its first run, once the page is
 * idle, so the run does not wait for it (as `threading.Thread` never waits for a pool).
 * @param {number} threads @param {string} query
 */
export function prestart(threads, query) {
  clearTimeout(prestarting);
  const wanted = ++prestartWanted;
  if (hosts.has(threads)) return;
  prestarting = setTimeout(
    () =>
      whenIdle(() => {
        if (wanted !== prestartWanted || hosts.has(threads)) return;
        const { host: h } = host(threads, query);
        h.ahead = true;
        // A browser that cannot run threads says so when a run asks; nothing to do now.
        h.ready.catch(() => {});
      }),
    PRESTART_AFTER_MS,
  );
}

/**
 * Terminate a host (its pool's workers go with it).
 * @param {number} threads @param {Host} [h] only this host, not a newer one of the same size
 */
function drop(threads, h = hosts.get(threads)) {
  if (!h) return;
  if (hosts.get(threads) === h) hosts.delete(threads);
  stopHost(h);
  h.panics.close();
}

/** Terminate every host (a fault: a host blocked in a hung pool is useless). */
export function stop() {
  // A pool about to be started ahead is not wanted either: after a fault, nothing starts
  // until the next run or edit asks.
  clearTimeout(prestarting);
  prestartWanted += 1;
  for (const size of [...hosts.keys()]) drop(size);
}

/**
 * Raise the stop flag in a host's shared memory: every thread of its pool sees it within a
 * chunk of work or a slice of sleep. @param {Ready} r
 */
export function raiseStop(r) {
  Atomics.store(new Int32Array(r.memory.buffer), r.cancelAddress >> 2, 1);
}

/**
 * Send one request to the host of `threads` threads and wait for its answer. It fails at
 * once when Stop is pressed (the pool is told to stop, and the host is terminated if it
 * does not answer within STOP_GRACE_MS), when a thread of the pool panics, or after
 * `timeoutMs` (0: never) with no answer; the next request starts a new host if this one went.
 * @param {number} threads @param {string} query
 * @param {object} message
 * @param {AbortSignal} [signal]
 * @param {number} [timeoutMs]
 * @param {(started: {lanes: string[], from: number}, ready: Ready, originMs: number) => void} [onStarted]
 *   told when the host begins the run (just before it blocks), with where the run's trace
 *   will start: when the pool was asked for if this request started it, else when sent
 */
export async function request(threads, query, message, signal, timeoutMs = 0, onStarted) {
  const asked = nowMs();
  const { host: h, fresh } = host(threads, query);
  const id = nextId++;
  // One promise per request for every way it can fail, so nothing long-lived (the host,
  // the run's signal) keeps a reaction to it once the request is over.
  /** @type {(e: unknown) => void} */
  let fail = () => {};
  const failed = /** @type {Promise<never>} */ (new Promise((_, reject) => (fail = reject)));
  failed.catch(() => {});
  /** @type {Ready | null} */
  let ready = null;
  /** @type {Promise<unknown> | null} the host's answer, once asked */
  let answer = null;
  const onAbort = () => {
    if (ready && answer) {
      raiseStop(ready);
      keepIfItStops(threads, h, answer);
    }
    fail(stopped());
  };
  if (h.crash) fail(h.crash);
  h.onCrash.add(fail);
  const watchdog =
    timeoutMs > 0
      ? setTimeout(() => {
          const s = (timeoutMs / 1000).toFixed(0);
          fail(new Error(`the threads host gave no answer in ${s} s, three times as long as every task one after another would take, and 30 s to start its pool; it was stopped, and the next run starts a new one`));
        }, timeoutMs)
      : undefined;
  setBusy(h.worker, true);
  try {
    if (signal?.aborted) throw stopped();
    signal?.addEventListener('abort', onAbort, { once: true });
    ready = await Promise.race([h.ready, failed]);
    if (signal?.aborted) throw stopped();
    answer = waitFor(h.worker, MSG.threadsResult, { id });
    answer.catch(() => {});
    const sentAt = nowMs();
    if (onStarted) {
      const r = ready;
      // Where this run's live spans begin: the host may write the first before the page
      // hears that it started.
      const from = r.live ? ringHead(r.memory, r.live) : 0;
      waitFor(h.worker, MSG.threadsStarted, { id }).then(
        (started) => onStarted({ ...started, from }, r, fresh ? Math.min(asked, sentAt) : sentAt),
        () => {},
      );
    }
    h.worker.postMessage({ ...message, id, originMs: sentAt, ...(fresh ? { poolAskedMs: asked, poolReadyMs: ready.t1 } : {}) });
    const got = await Promise.race([answer, failed]);
    const aheadFirst = h.ahead && !h.used;
    h.used = true;
    return { answer: got, ready, fresh, aheadFirst, sentAt };
  } catch (e) {
    // Stopped while the pool ran: keepIfItStops decides the host's fate.
    if (signal?.aborted && answer) throw stopped();
    // Stopped before it ran, or failed: the host may be blocked in the pool forever.
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
 * After Stop: keep the host, warm, if its pool answers within STOP_GRACE_MS (it answers
 * "threading: stopped", or its result if it was about to end); terminate it if not.
 * @param {number} threads @param {Host} h @param {Promise<unknown>} answer
 */
function keepIfItStops(threads, h, answer) {
  // Meanwhile a new run starts a host of its own.
  if (hosts.get(threads) === h) hosts.delete(threads);
  const late = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS, LATE));
  Promise.race([answer.then(() => true, (e) => /threading: stopped/.test(errorMessage(e))), late]).then((answered) => {
    if (answered === true && !h.crash && !hosts.has(threads)) hosts.set(threads, h);
    else drop(threads, h);
  });
}

/**
 * How long a threading run may take before the page gives up on its host: far more than
 * the slowest it could be (every task one after another), plus time to start the pool.
 * @param {import('../shared/types.js').Params} p
 */
export function budgetMs(p) {
  const io = p.workload === 'cpu' ? 0 : p.ioMs;
  const cpu = p.workload === 'io' ? 0 : p.cpuMs;
  return 30_000 + 3 * p.tasks * (io + cpu);
}

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('../shared/types.js').Outcome[]>} */
export async function run(ctx) {
  const p = ctx.params;
  const threads = ctx.threads;
  if (p.lab === 'race') {
    const { answer } = await request(threads, ctx.query, { type: MSG.threadsRace, query: ctx.query }, ctx.signal);
    const { trace, ...race } = answer.race;
    return [{ variant: 'race', label: 'race lab', trace, workers: threads, note: '', lab: race }];
  }
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let drawing;
  let over = false;
  /** @type {(started: {lanes: string[], from: number}, ready: Ready, origin: number) => void} */
  const live = ({ lanes, from }, ready, origin) => {
    if (!ready.live || over || ctx.signal.aborted) return;
    const reader = new LiveSpans(ready.memory, ready.live, schema().states, from);
    drawing = setInterval(() => {
      reader.read(origin);
      ctx.onTrace(reader.trace(origin, nowMs(), lanes));
    }, LIVE_EVERY_MS);
  };
  let result;
  try {
    result = await request(
      threads,
      ctx.query,
      { type: MSG.threadsRun, query: ctx.query, itersPerMs: ctx.itersPerMs },
      ctx.signal,
      budgetMs(p),
      live,
    );
  } finally {
    over = true;
    clearInterval(drawing);
  }
  const { answer, fresh, aheadFirst, ready, sentAt } = result;
  /** @type {import('../shared/types.js').Trace} */
  const trace = answer.trace;
  let note = p.gil ? `GIL on, switch every ${p.switchMs} ms` : 'GIL off: free-threaded';
  // Pool start-up is the browser's cost of making Web Workers, not the model's: a Python
  // thread starts in well under a millisecond. It is drawn, not counted.
  const startupMs = fresh ? sentAt - trace.origin_ms : 0;
  const took = (ready.t1 - ready.t0).toFixed(0);
  const again = ready.tries > 1 ? `, started again after ${ready.tries - 1} blocked ${ready.tries > 2 ? 'tries' : 'try'}` : '';
  if (fresh) note += `; the pool took ${took} ms to start${again} (drawn as start-up, not counted)`;
  else if (aheadFirst) note += `; the pool was started ahead, while the page was idle: it took ${took} ms (not counted)`;
  return [{ variant: p.gil ? '' : 'gil-off', label: `threading (${threads} threads)`, trace, workers: threads, note, startupMs }];
}
