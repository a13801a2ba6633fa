// @ts-check
/**
 * asyncio: the tasks as Rust futures on the page's own event loop (`src/models/asyncio.rs`),
 * driven by wasm-bindgen-futures. A CPU task holds the loop while it runs: that is the
 * lesson. The page still breathes every 50 ms, so Stop reaches it. In the blocking lab
 * each task waits with a blocking call instead (`time.sleep` inside the coroutine), which
 * holds the loop the same way.
 */
import { engine, withPanicMessage } from '../engine.js';

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('../shared/types.js').Outcome[]>} */
export async function run(ctx) {
  const { wasm } = await engine();
  const trace = await withPanicMessage(() => wasm.runAsyncio(ctx.query, ctx.itersPerMs, ctx.onTrace), ctx.signal);
  const p = ctx.params;
  if (p.lab === 'blocking') {
    return [{ variant: 'blocking', label: 'time.sleep() in a coroutine', trace, workers: 1, note: 'each wait a blocking call: it holds the loop' }];
  }
  const note = p.workload !== 'io' && p.yieldMs > 0 ? `yields every ${p.yieldMs} ms of work` : '';
  return [{ variant: '', label: 'asyncio', trace, workers: 1, note }];
}
