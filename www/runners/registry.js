// @ts-check
/**
 * Every worker the page starts, kept referenced until it is terminated: a process is a
 * worker you can kill, and a test can check that none is left behind.
 */

/** @type {Map<Worker, string>} live workers and what they are for */
const live = new Map();
/** @type {Set<Worker>} live workers that are running a task or a request now */
const busy = new Set();

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

/**
 * Give a live worker a new role (a spare made into a process).
 * @param {Worker} worker @param {string} role
 */
export function renameWorker(worker, role) {
  if (live.has(worker)) live.set(worker, role);
}

/** @type {WeakMap<Worker, Int32Array>} the stop flag of each worker that has one */
const stopFlags = new WeakMap();

/**
 * A stop flag for `worker` in shared memory, raised before it is terminated, or null where
 * the page cannot share memory: a computing process watches it instead of giving its event
 * loop a turn every 250 ms (`boundary/js_loop.rs` says why).
 * @param {Worker} worker
 * @returns {Int32Array | null}
 */
export function stopFlagFor(worker) {
  if (!globalThis.crossOriginIsolated || typeof SharedArrayBuffer !== 'function') return null;
  let flag = stopFlags.get(worker);
  if (!flag) {
    try {
      flag = new Int32Array(new SharedArrayBuffer(4));
    } catch {
      return null;
    }
    stopFlags.set(worker, flag);
  }
  return flag;
}

/** @param {Worker} worker */
export function stopWorker(worker) {
  // Raised first: Chromium's terminate() does not stop a worker that never returns to its
  // event loop (docs/engines.md).
  const flag = stopFlags.get(worker);
  if (flag) Atomics.store(flag, 0, 1);
  worker.terminate();
  live.delete(worker);
  busy.delete(worker);
}

/**
 * Note whether a live worker is running something for a run now (an idle warm pool or
 * threads host is live but not busy).
 * @param {Worker} worker @param {boolean} isBusy
 */
export function setBusy(worker, isBusy) {
  if (isBusy && live.has(worker)) busy.add(worker);
  else busy.delete(worker);
}

/** Terminate every worker whose role starts with `prefix` (all when empty). */
export function stopAll(prefix = '') {
  for (const [worker, role] of live) if (role.startsWith(prefix)) stopWorker(worker);
}

/** Whether `worker` is live (started and not terminated). @param {Worker} worker */
export function isLive(worker) {
  return live.has(worker);
}

/** @returns {string[]} roles of the live workers */
export function liveWorkers() {
  return [...live.values()];
}

/** @returns {string[]} roles of the live workers that are running something now */
export function busyWorkers() {
  return [...busy].map((w) => live.get(w) ?? '?');
}
