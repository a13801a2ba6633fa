// @ts-check
/**
 * The message protocol between the page and its workers. Every message has a namespaced
 * `type`, so a worker ignores anything that is not addressed to it (the rayon helper
 * workers and the browser itself may post on the same channels), and every worker starts
 * with an init -> ready handshake. Both sides import this file; it imports nothing.
 */

export const MSG = Object.freeze({
  // The threads host: owns the rayon pool, runs threading tasks and the race lab.
  threadsInit: 'playground:threads:init',
  threadsReady: 'playground:threads:ready',
  threadsRun: 'playground:threads:run',
  threadsRace: 'playground:threads:race',
  threadsSum: 'playground:threads:sum',
  // Sent just before a run blocks the host: {id, lanes}. Its spans then arrive through
  // the shared memory (runners/live-spans.js), not as messages.
  threadsStarted: 'playground:threads:started',
  // A job for an event loop's executor (asyncio.to_thread): accepted at once with a
  // threadsResult; the job's answer comes later on the BroadcastChannel the message names.
  threadsSubmit: 'playground:threads:submit',
  threadsResult: 'playground:threads:result',
  // From whichever thread panicked, on the host's BroadcastChannel: {message}.
  threadsPanic: 'playground:threads:panic',
  // The pool's threads, started by the page for the host (threads-host.js says why):
  // host -> page {thread, url}: start thread `thread` from the rayon helper at `url`;
  // host -> page {thread, data}: pass `data` to that thread; page -> host {thread, data}:
  // what that thread posted.
  threadsSpawn: 'playground:threads:spawn',
  threadsToThread: 'playground:threads:to-thread',
  threadsFromThread: 'playground:threads:from-thread',
  // A process: its own instance of the plain build, one task at a time.
  processLoaded: 'playground:process:loaded',
  processInit: 'playground:process:init',
  processReady: 'playground:process:ready',
  processTask: 'playground:process:task',
  processResult: 'playground:process:result',
  processCount: 'playground:process:count',
  // The baseline, in a process of its own: every task one after another.
  processSequential: 'playground:process:sequential',
  processProgress: 'playground:process:progress',
  // How many contexts really compute at once: every process computes from `from` for `ms`.
  processSpin: 'playground:process:spin',
  // A process that computes or waits for a task says so every SIGN_OF_LIFE_MS.
  processAlive: 'playground:process:alive',
  // Any worker: something went wrong; `message` says what.
  error: 'playground:error',
});

/**
 * How often a process with a task tells the page it is alive, ms: at every chunk of
 * computing and while a task sleeps (its loop's timer fires at least this often:
 * `SIGN_OF_LIFE_MS` in boundary/js_loop.rs), throttled to this.
 */
export const SIGN_OF_LIFE_MS = 250;

/**
 * Wait for the first message of `type` from `target`. Rejects on a `playground:error`
 * message, on the worker's own `error` event (a failed load, a thrown init), or when
 * `signal` aborts.
 * @param {Worker | MessagePort | DedicatedWorkerGlobalScope} target
 * @param {string} type
 * @param {{signal?: AbortSignal, id?: number}} [opts] `id`: only the reply to that request
 * @returns {Promise<any>}
 */
export function waitFor(target, type, { signal, id } = {}) {
  return new Promise((resolve, reject) => {
    const done = () => {
      target.removeEventListener('message', onMessage);
      target.removeEventListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    /** @param {Event} ev */
    const onMessage = (ev) => {
      const data = /** @type {MessageEvent} */ (ev).data;
      if (!data || typeof data.type !== 'string') return;
      // A reply to another request is not ours; an error that names no request (a crash)
      // is everyone's.
      if (id !== undefined && data.id !== id && !(data.type === MSG.error && data.id === undefined)) return;
      if (data.type === type) {
        done();
        resolve(data);
      } else if (data.type === MSG.error) {
        done();
        reject(new Error(data.message));
      }
    };
    /** @param {Event} ev */
    const onError = (ev) => {
      done();
      const e = /** @type {ErrorEvent} */ (ev);
      ev.preventDefault?.();
      reject(new Error(e.message || 'the worker failed to start (its script or module could not be loaded)'));
    };
    const onAbort = () => {
      done();
      reject(stopped());
    };
    if (signal?.aborted) return onAbort();
    target.addEventListener('message', onMessage);
    target.addEventListener('error', onError);
    signal?.addEventListener('abort', onAbort);
  });
}

/** The error every stopped run rejects with. */
export function stopped() {
  return new DOMException('Stopped', 'AbortError');
}

/** @param {unknown} e */
export function isStopped(e) {
  return e instanceof DOMException && e.name === 'AbortError';
}

/** @param {unknown} e */
export function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A short description of any value, for error messages about a message's fields.
 * @param {unknown} v
 */
export function describe(v) {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return v.constructor?.name ?? 'an object';
  return String(v);
}

/** A whole number that fits a u32. @param {unknown} v */
export const isCount = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
/** A finite number. @param {unknown} v */
export const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/**
 * What is wrong with a message's fields, or '' when nothing is.
 * @param {Record<string, unknown>} data
 * @param {[string, (v: unknown) => boolean, string][]} fields name, check, what it must be
 */
export function fieldProblems(data, fields) {
  return fields
    .filter(([name, ok]) => !ok(data[name]))
    .map(([name, , what]) =>
      name in data ? `'${name}' must be ${what} (got ${describe(data[name])})` : `'${name}' is missing (${what})`,
    )
    .join('; ');
}

/**
 * Post an error message from a worker to the page.
 * @param {DedicatedWorkerGlobalScope} scope
 * @param {string} message
 * @param {unknown} [id] the request's id, when it had a usable one
 */
export function postError(scope, message, id) {
  scope.postMessage({ type: MSG.error, ...(typeof id === 'number' ? { id } : {}), message });
}

/**
 * The error a WebAssembly trap stands for: the Rust panic's message (the panic hook leaves
 * it in `__playgroundPanic` on the instance's global) when there is one.
 * @param {unknown} e
 * @param {any} [scope] the global the instance ran in
 */
export function panicError(e, scope = globalThis) {
  const panic = scope.__playgroundPanic;
  if (panic) {
    scope.__playgroundPanic = undefined;
    return new Error(`Rust panicked: ${panic}`);
  }
  return e instanceof Error ? e : new Error(String(e));
}
