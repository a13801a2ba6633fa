// @ts-check
/**
 * The baseline: every task one after another (`src/models/sequential.rs`), in a process of
 * its own (`workers/process.js`), as `python3 sequential.py` is a process of its own. On
 * the page's thread it would share the CPU with drawing and input while the threads and
 * processes it is compared with run in workers. The process is kept between runs, warm.
 */
import { MSG, waitFor, isStopped } from '../shared/protocol.js';
import { compiledModule, startProcess, WARM_UP_MS } from './processes.js';
import { stopWorker, setBusy, watchLife } from './registry.js';

/** @type {import('./processes.js').Started | null} */
let baseline = null;
let nextId = 1;

/** Terminate the baseline's process; the next run starts a new one. */
export function stop() {
  if (baseline) stopWorker(baseline.worker);
  baseline = null;
}

/** The baseline's process, started (and warmed up) if there is none. @param {AbortSignal} signal */
async function process(signal) {
  if (!baseline) baseline = startProcess('baseline', await compiledModule(), WARM_UP_MS, signal);
  try {
    await baseline.ready;
  } catch (e) {
    stop();
    throw e;
  }
  return baseline.worker;
}

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('../shared/types.js').Outcome[]>} */
export async function run(ctx) {
  const worker = await process(ctx.signal);
  const id = nextId++;
  /** @param {MessageEvent} ev */
  const onProgress = ({ data }) => {
    if (data?.type === MSG.processProgress && data.id === id) ctx.onTrace(data.trace);
  };
  worker.addEventListener('message', onProgress);
  setBusy(worker, true);
  const done = waitFor(worker, MSG.processResult, { id, signal: ctx.signal });
  /** @type {() => void} */
  let unwatch = () => {};
  const silent = new Promise((_, reject) => (unwatch = watchLife(worker, 'the baseline process', () => 'the sequential run', reject)));
  worker.postMessage({ type: MSG.processSequential, id, query: ctx.query, itersPerMs: ctx.itersPerMs });
  try {
    const { trace } = await Promise.race([done, silent]);
    return [{ variant: '', label: 'sequential', trace, workers: 1, note: '' }];
  } catch (e) {
    // Stopped or failed mid-run: a run cannot be stopped inside the process, so the process
    // goes, as a Python process is killed.
    stop();
    throw isStopped(e) ? e : new Error(`sequential: ${e instanceof Error ? e.message.replace(/^process: /, '') : e}`);
  } finally {
    unwatch();
    done.catch(() => {});
    worker.removeEventListener('message', onProgress);
    setBusy(worker, false);
  }
}
