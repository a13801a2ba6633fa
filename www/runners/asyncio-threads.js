// @ts-check
/**
 * asyncio with threads (`asyncio-threads`): the tasks are futures on the page's own event
 * loop, as for asyncio (`src/models/asyncio.rs`); what would block the loop (a task's
 * computing, or in the blocking lab its `time.sleep`) goes to a thread of the threads
 * host, as `await asyncio.to_thread(f)` does. The loop stays free; with the GIL on, the
 * threads still compute one at a time.
 */
import { engine, withPanicMessage } from '../engine.js';
import { Unavailable } from '../capabilities.js';
import { threadExecutor } from './executors.js';

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('../shared/types.js').Outcome[]>} */
export async function run(ctx) {
  if (!ctx.caps.threads) throw new Unavailable(ctx.caps.threadsReason);
  const { wasm } = await engine();
  const p = ctx.params;
  const n = ctx.threads;
  const executor = await threadExecutor(ctx, n);
  try {
    const trace = await withPanicMessage(() => wasm.runAsyncioWith('asyncio-threads', ctx.query, ctx.itersPerMs, ctx.onTrace, executor.submit, n), ctx.signal);
    executor.close();
    const blocking = p.lab === 'blocking';
    const variant = blocking ? 'to-thread' : p.gil ? '' : 'gil-off';
    const label = blocking ? 'await asyncio.to_thread(time.sleep, …)' : `asyncio + to_thread (${n} threads)`;
    const note = `asyncio on the page's loop, ${blocking ? 'each blocking wait' : 'computing'} on ${n} threads (pool started before the run, not counted); GIL ${p.gil ? 'on' : 'off'}`;
    return [{ variant, label, trace, workers: n, note, gil: p.gil }];
  } catch (e) {
    executor.abort();
    throw e;
  }
}
