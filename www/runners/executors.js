// @ts-check
/**
 * The executors that asyncio on the page hands work to, built from the other models'
 * workers: the warm process pool of multiprocessing (`loop.run_in_executor` with a
 * `ProcessPoolExecutor`) and the threads host of threading (`asyncio.to_thread`). The Rust
 * model (`src/models/asyncio.rs` with `src/executor.rs`) awaits each job as a `Promise`:
 * `submit(job)` posts it to a worker and resolves with what the worker did
 * (`{worker, spans, iters}`), which lands on the worker's own lane of the run's timeline.
 *
 * Which process takes which job is the Rust pool's (`PoolRun.submitted`, the scheduling of
 * `src/models/multiprocessing.rs`); a job for a thread runs on the next free thread of the
 * host's pool, under one GIL per run, and answers on a channel of the run's own.
 */
import { core } from '../engine.js';
import { nowMs } from '../shared/clock.js';
import { MSG, errorMessage, stopped } from '../shared/protocol.js';
import { compiledModule } from './processes.js';
import { warmWorkers } from './multiprocessing.js';
import { request, raiseStop, budgetMs } from './threading.js';
import { stopWorker, setBusy, watchLife } from './registry.js';

/** @typedef {import('./index.js').RunContext} RunContext */
/** @typedef {{task: number, work: string, ms: number, query: string}} Job what Rust hands over */
/** @typedef {{worker: string, spans: object[], iters: number}} Done what a worker did */

/**
 * @typedef {object} Executor
 * @property {(job: Job) => Promise<Done>} submit
 * @property {() => void} close end the run: every job not answered is rejected
 * @property {() => void} abort a failed or stopped run: workers still busy with it go too
 */

/**
 * Promises of jobs by task, and one way to fail them all.
 */
class Pending {
  constructor() {
    /** @type {Map<number, {resolve: (d: Done) => void, reject: (e: unknown) => void}>} */
    this.jobs = new Map();
    /** @type {unknown} */
    this.failed = null;
  }

  /** The promise of task `task`'s job. @param {number} task @returns {Promise<Done>} */
  add(task) {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.jobs.set(task, { resolve, reject }));
  }

  /** @param {number} task @param {Done} done */
  resolve(task, done) {
    this.jobs.get(task)?.resolve(done);
    this.jobs.delete(task);
  }

  /** @param {unknown} error */
  fail(error) {
    this.failed ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }
}

/**
 * A `ProcessPoolExecutor` of `n` processes for one run of `tasks` tasks: the warm pool's
 * workers (multiprocessing's, or started untimed if there is none), each job a task
 * message, as `Pool` sends one.
 * @param {RunContext} ctx @param {number} n
 * @returns {Promise<Executor>}
 */
export async function processExecutor(ctx, n) {
  const workers = await warmWorkers(n, await compiledModule(), ctx.signal);
  const pool = core().PoolRun.submitted(nowMs(), n, ctx.params.tasks);
  const pending = new Pending();
  /** @type {Map<number, string>} each waiting job's scenario, until it is posted */
  const queries = new Map();
  /** @type {(() => void)[]} */
  const detach = [];
  let ended = false;

  /** @type {(number | null)[]} the job each lane's process has now, for its watch (registry.js) */
  const inFlight = new Array(n).fill(null);
  /** Post task `task` to the process on `lane`. @param {number} lane @param {number} task */
  const post = (lane, task) => {
    const query = queries.get(task);
    queries.delete(task);
    inFlight[lane] = task;
    workers[lane].postMessage({ type: MSG.processTask, id: task, query, index: task, itersPerMs: ctx.itersPerMs });
  };
  /** @param {number} lane @param {{do: string, task?: number} | null} next */
  const apply = (lane, next) => {
    if (next?.do === 'send' && next.task !== undefined) post(lane, next.task);
  };
  /** Every job fails, and the workers go (one may be computing for a run nobody awaits). @param {unknown} error */
  const fail = (error) => {
    pending.fail(error);
    end(false);
  };
  /** @param {boolean} keep whether the workers stay warm for the next run */
  const end = (keep) => {
    if (ended) return;
    ended = true;
    for (const d of detach) d();
    pool.free();
    if (!keep) for (const w of workers) stopWorker(w);
  };

  workers.forEach((worker, lane) => {
    setBusy(worker, true);
    /** @param {MessageEvent} ev */
    const onMessage = ({ data }) => {
      if (ended || !data || typeof data.type !== 'string') return;
      try {
        if (data.type === MSG.processResult) {
          inFlight[lane] = null;
          const next = pool.reply(lane, data, nowMs());
          pending.resolve(data.index, pool.jobDone(lane, data.index));
          apply(lane, next);
        } else if (data.type === MSG.error) {
          fail(new Error(`process ${lane}: ${String(data.message).replace(/^process: /, '')}`));
        }
      } catch (e) {
        fail(e);
      }
    };
    /** @param {ErrorEvent} ev */
    const onError = (ev) => {
      ev.preventDefault();
      fail(new Error(`process ${lane}: ${ev.message || 'the worker failed'}`));
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    const unwatch = watchLife(worker, `pool process ${lane}`, () => (inFlight[lane] === null ? null : `job ${inFlight[lane]}`), fail);
    detach.push(() => {
      unwatch();
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      setBusy(worker, false);
    });
  });
  const at = nowMs();
  workers.forEach((_, lane) => apply(lane, pool.ready(lane, at)));

  return {
    submit(job) {
      const done = pending.add(job.task);
      if (!ended) {
        queries.set(job.task, job.query);
        const first = pool.submit(job.task, nowMs());
        if (first) apply(first.lane, first);
      }
      return done;
    },
    close() {
      pending.fail(stopped());
      end(true);
    },
    abort() {
      fail(stopped());
    },
  };
}

/** Each run's jobs share one GIL in the host: a session per run. */
let nextSession = 1;

/**
 * The threads host's pool as `asyncio.to_thread`'s executor: `threads` threads (the host
 * threading uses for that size, started untimed if there is none), one GIL for the run.
 * @param {RunContext} ctx @param {number} threads
 * @returns {Promise<Executor>}
 */
export async function threadExecutor(ctx, threads) {
  // A sum of one number: the host and its pool are up and warm before the timed run.
  const { ready } = await request(threads, ctx.query, { type: MSG.threadsSum, n: 1 }, ctx.signal);
  const session = nextSession++;
  const channel = new BroadcastChannel(`playground:threads:jobs:${crypto.randomUUID()}`);
  const pending = new Pending();
  channel.onmessage = ({ data }) => {
    if (data?.session === session) pending.resolve(data.task, data.done);
  };
  // A thread that dies without a panic message would leave its job unanswered for ever.
  const watchdog = setTimeout(() => {
    pending.fail(new Error(`asyncio-threads: the threads gave no answer in ${(budgetMs(ctx.params) / 1000).toFixed(0)} s`));
  }, budgetMs(ctx.params));
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(watchdog);
    channel.close();
  };
  return {
    async submit(job) {
      const done = pending.add(job.task);
      done.catch(() => {});
      const message = { type: MSG.threadsSubmit, query: job.query, task: job.task, itersPerMs: ctx.itersPerMs, session, channel: channel.name };
      try {
        await request(threads, ctx.query, message, ctx.signal);
      } catch (e) {
        pending.fail(e);
        throw new Error(`threads: ${errorMessage(e)}`);
      }
      return done;
    },
    close() {
      pending.fail(stopped());
      end();
    },
    abort() {
      // Jobs still running stop at their next check of the flag.
      raiseStop(ready);
      pending.fail(stopped());
      end();
    },
  };
}
