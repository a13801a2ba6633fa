// @ts-check
/**
 * Every worker the page starts, kept referenced until it is terminated: a process is a
 * worker you can kill, and a test can check that none is left behind.
 */

/** @type {Map<Worker, string>} live workers and what they are for */
const live = new Map();

/**
 * Start a module worker and register it.
 * @param {URL} url
 * @param {string} role e.g. "process 3", "threads host"
 */
export function startWorker(url, role) {
  const worker = new Worker(url, { type: 'module', name: role });
  live.set(worker, role);
  return worker;
}

/** @param {Worker} worker */
export function stopWorker(worker) {
  worker.terminate();
  live.delete(worker);
}

/** Terminate every worker whose role starts with `prefix` (all when empty). */
export function stopAll(prefix = '') {
  for (const [worker, role] of live) if (role.startsWith(prefix)) stopWorker(worker);
}

/** @returns {string[]} roles of the live workers */
export function liveWorkers() {
  return [...live.values()];
}
