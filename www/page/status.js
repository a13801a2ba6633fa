// @ts-check
/**
 * The page's state as the world sees it: `<html data-state>` (loading, ready, running, done,
 * error, cancelled), the status line, the error box, the notice line and the progress bar.
 * Tests and course pages read `data-state`; people read the rest.
 */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** The longest error text shown, in characters; the rest is counted, never rendered. */
const MAX_ERROR_CHARS = 2000;

/** @param {'loading'|'ready'|'running'|'done'|'error'|'cancelled'} s */
export function setState(s) {
  document.documentElement.dataset.state = s;
  // For load-time measurements: performance.getEntriesByName('playground:ready').
  performance.mark(`playground:${s}`);
}

/** @param {string} text */
export function status(text) {
  $('status').textContent = text;
}

/** @param {string} message empty to hide */
export function showError(message) {
  const box = $('error');
  box.textContent = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}… (${message.length - MAX_ERROR_CHARS} more characters)` : message;
  box.hidden = message === '';
}

/** @param {string[]} lines empty to hide */
export function showNotices(lines) {
  const box = $('notice');
  box.replaceChildren(...lines.map((l) => Object.assign(document.createElement('p'), { textContent: l })));
  box.hidden = lines.length === 0;
}

/** @param {number} done @param {number} total */
export function progress(done, total) {
  const bar = /** @type {HTMLProgressElement} */ ($('progress'));
  bar.max = Math.max(1, total);
  bar.value = done;
}

/** @param {boolean} shown */
export function showProgress(shown) {
  $('progress').hidden = !shown;
}
