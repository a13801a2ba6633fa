// @ts-check
/**
 * Run `f` once the page (or the worker) is idle, or after `timeoutMs` at the latest; where
 * there is no requestIdleCallback (WebKit), after 50 ms.
 * @param {() => void} f @param {number} [timeoutMs]
 */
export function whenIdle(f, timeoutMs) {
  const ric = /** @type {any} */ (globalThis).requestIdleCallback;
  if (ric) ric(f, timeoutMs === undefined ? undefined : { timeout: timeoutMs });
  else setTimeout(f, 50);
}
