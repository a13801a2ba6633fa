// @ts-check
/** The baseline: the tasks one after another on the page's event loop (`sequential.rs`). */
import { engine, withPanicMessage } from '../engine.js';

/** @param {import('./index.js').RunContext} ctx @returns {Promise<import('./index.js').Outcome[]>} */
export async function run(ctx) {
  const { wasm } = await engine();
  const trace = await withPanicMessage(() => wasm.runSequential(ctx.query, ctx.itersPerMs));
  return [{ variant: '', label: 'sequential', trace, wallMs: trace.wall_ms, workers: 1, note: '' }];
}
