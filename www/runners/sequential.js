// @ts-check
/** The baseline: the tasks one after another on the page's event loop (`sequential.rs`). */
import { engine, withPanicMessage, panicOnPageForTest } from '../engine.js';

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('./index.js').Outcome[]>} */
export async function run(ctx) {
  const { wasm } = await engine();
  const trace = await withPanicMessage(() => wasm.runSequential(ctx.query, ctx.itersPerMs, ctx.onTrace), ctx.signal);
  return [{ variant: '', label: 'sequential', trace, wallMs: trace.wall_ms, workers: 1, note: '' }];
}

/**
 * Test hook: a panic inside a future on the page's event loop, where the baseline runs.
 * @param {import('./index.js').RunContext} _ctx @param {string} message
 * @returns {Promise<import('./index.js').Outcome[]>}
 */
export async function panicForTest(_ctx, message) {
  await panicOnPageForTest(message);
  return [];
}
