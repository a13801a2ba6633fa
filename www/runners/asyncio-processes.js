// @ts-check
/**
 * asyncio with a process pool (`asyncio-processes`): the tasks are futures on the page's
 * own event loop, as for asyncio (`src/models/asyncio.rs`); each awaits its wait there,
 * then hands its computing to the warm process pool of multiprocessing and awaits it, as
 * `await loop.run_in_executor(ProcessPoolExecutor(n), f)` does. The loop stays free while
 * the processes compute in parallel.
 */
import { engine, withPanicMessage } from '../engine.js';
import { processExecutor } from './executors.js';

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('../shared/types.js').Outcome[]>} */
export async function run(ctx) {
  const { wasm } = await engine();
  const n = ctx.processes;
  const executor = await processExecutor(ctx, n);
  try {
    const trace = await withPanicMessage(() => wasm.runAsyncioWith('asyncio-processes', ctx.query, ctx.itersPerMs, ctx.onTrace, executor.submit, n), ctx.signal);
    executor.close();
    const note = `asyncio on the page's loop, computing in a warm ProcessPoolExecutor of ${n} (started before the run, not counted)`;
    return [{ variant: '', label: `asyncio + ProcessPoolExecutor(${n})`, trace, workers: n, note }];
  } catch (e) {
    executor.abort();
    throw e;
  }
}
