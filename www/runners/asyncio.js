// @ts-check
/**
 * asyncio: the tasks as Rust futures on the page's own event loop (`asyncio.rs`), driven
 * by wasm-bindgen-futures. A CPU task blocks this very page while it runs: that is the lesson.
 */
import { engine, withPanicMessage, panicOnPageForTest } from '../engine.js';

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('./index.js').Outcome[]>} */
export async function run(ctx) {
  const { wasm } = await engine();
  const trace = await withPanicMessage(() => wasm.runAsyncio(ctx.query, ctx.itersPerMs, ctx.onTrace), ctx.signal);
  const p = ctx.params;
  const note = p.workload !== 'io' && p.yieldMs > 0 ? `yields every ${p.yieldMs} ms of work` : '';
  return [{ variant: '', label: 'asyncio', trace, wallMs: trace.wall_ms, workers: 1, note }];
}

/**
 * Test hook: a panic inside a future on the page's event loop, where asyncio runs.
 * @param {import('./index.js').RunContext} _ctx @param {string} message
 * @returns {Promise<import('./index.js').Outcome[]>}
 */
export async function panicForTest(_ctx, message) {
  await panicOnPageForTest(message);
  return [];
}
