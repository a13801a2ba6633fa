// @ts-check
/**
 * Keep the page for offline use: a classroom's network drops, and a page loaded before
 * still runs every model, lab, sweep and script, and opens again offline.
 *
 * Once the page is ready, the service worker (coi-sw.js, which coi.js has registered on
 * pages it isolates) is registered here too, and asked to keep every file `offline.json`
 * lists (the build writes it). `<html data-offline>` says how it went: `kept`, `partial`
 * (some files could not be fetched: the line says which), or `unavailable` (no service
 * worker here: plain http on another host, a private mode, a sandboxed frame).
 */

/** How long the service worker may take to start, ms. */
const START_MS = 10 * 1000;

/**
 * @typedef {object} Kept
 * @property {'kept' | 'partial' | 'unavailable'} state
 * @property {string} line what to tell the reader ('' when all is kept)
 */

/** @returns {Promise<Kept>} */
export async function keepForOffline() {
  const kept = await keep();
  document.documentElement.dataset.offline = kept.state;
  return kept;
}

/** @returns {Promise<Kept>} */
async function keep() {
  const unavailable = (/** @type {string} */ why) => ({ state: /** @type {const} */ ('unavailable'), line: `This page is not kept for offline use: ${why}.` });
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return unavailable('this browser gives it no service worker here');
  let registration;
  try {
    await navigator.serviceWorker.register(new URL('../coi-sw.js', import.meta.url));
    registration = await within(navigator.serviceWorker.ready, START_MS);
  } catch (e) {
    return unavailable(`its service worker could not start (${e instanceof Error ? e.message : e})`);
  }
  const worker = registration?.active;
  if (!worker) return unavailable('its service worker could not start');
  let manifest;
  try {
    const response = await fetch(new URL('../offline.json', import.meta.url), { cache: 'no-cache' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    manifest = await response.json();
  } catch (e) {
    return unavailable(`its list of files could not be read (${e instanceof Error ? e.message : e})`);
  }
  const channel = new MessageChannel();
  /** @type {Promise<{kept: number, failed: string[], error?: string}>} */
  const answer = new Promise((resolve) => (channel.port1.onmessage = ({ data }) => resolve(data)));
  worker.postMessage({ type: 'playground:keep', manifest }, [channel.port2]);
  const { failed, error } = await answer;
  if (error) return unavailable(`its cache refused the files (${error})`);
  if (failed.length) return { state: 'partial', line: `Some files could not be kept for offline use (${failed.join(', ')}): if the network drops, what needs them will fail.` };
  return { state: 'kept', line: '' };
}

/**
 * `promise`, or a rejection after `ms`.
 * @template T @param {Promise<T>} promise @param {number} ms @returns {Promise<T>}
 */
function within(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms))]);
}
