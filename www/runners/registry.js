// @ts-check
/**
 * Every worker the page starts, kept referenced until it is terminated: a process is a
 * worker you can kill, and a test can check that none is left behind.
 */

import { SIGN_OF_LIFE_MS } from '../shared/protocol.js';

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

/** How long a worker with a task may stay silent before the run gives up on it, ms. */
export const SILENT_MS = 3000;
/** How often the page looks, ms. */
const LOOK_EVERY_MS = 500;

/**
 * Watch a worker while `hasTask()` says it has a task: every message it posts is a sign of
 * life, and one silent for SILENT_MS, a dozen signs missed, has stopped working on it (its
 * code was interrupted, or the browser ended it without an error event). `onSilent` then
 * gets an error that names it and says what was seen, once. A look that comes late (the page's own
 * thread was held, and the worker's messages may be queued behind it) judges nothing.
 * @param {Worker} worker @param {string} role e.g. "process 1"
 * @param {() => string | null} hasTask what it is doing ("task 5"), or null when idle
 * @param {(e: Error) => void} onSilent
 * @returns {() => void} stop watching
 */
export function watchLife(worker, role, hasTask, onSilent) {
  let heard = performance.now();
  let looked = heard;
  const hear = () => (heard = performance.now());
  worker.addEventListener('message', hear);
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - looked > 2 * LOOK_EVERY_MS;
    looked = now;
    const task = hasTask();
    if (task === null || late) {
      heard = Math.max(heard, now - LOOK_EVERY_MS);
      return;
    }
    if (now - heard < SILENT_MS) return;
    stop();
    onSilent(
      new Error(
        `${role} went silent: no sign of life for ${((now - heard) / 1000).toFixed(1)} s while it had ${task}, where a working process sends one every ${SIGN_OF_LIFE_MS} ms. The run ended there; Run starts new processes.`,
      ),
    );
  }, LOOK_EVERY_MS);
  const stop = () => {
    clearInterval(timer);
    worker.removeEventListener('message', hear);
  };
  return stop;
}
