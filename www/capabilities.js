// @ts-check
/**
 * What this browser can run, found by trying what each model needs rather than assumed
 * from one flag: `crossOriginIsolated` does not promise `SharedArrayBuffer` (WebKitGTK
 * reports the first and lacks the second). A model this browser cannot run is left out of
 * a run with one line saying why and what would enable it; the others still run.
 */

/**
 * @typedef {object} Capabilities
 * @property {boolean} threads       whether the threads build can run here (as far as can be told before starting it)
 * @property {string} threadsReason  one line saying why not, and what would help (empty when it can)
 * @property {number} cores          navigator.hardwareConcurrency
 * @property {boolean} sharedMemory  whether memory can be shared with workers (the isolation lab's shared counter)
 * @property {boolean} embedded      whether the page is inside another page's frame
 */

/** Whether the page is framed by another page. */
function isEmbedded() {
  try {
    return window.self !== window.top;
  } catch {
    return true; // a cross-origin parent: reading `top` may throw
  }
}

/**
 * Try what threads need: a shared `WebAssembly.Memory` that can be posted to a worker.
 * @returns {string} '' when it works, else what failed
 */
function sharedMemoryProblem() {
  if (typeof SharedArrayBuffer !== 'function') return 'this browser gives the page no SharedArrayBuffer';
  let memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `this browser cannot make a shared WebAssembly memory (${e instanceof Error ? e.message : e})`;
  }
  if (!(memory.buffer instanceof SharedArrayBuffer)) return 'this browser makes WebAssembly memory that is not shared';
  // Posting it through a MessageChannel serialises it as posting it to a worker does.
  // structuredClone() would not do: WebKit (2.50, with SharedArrayBuffer on) refuses a shared
  // WebAssembly.Memory there ("The object can not be cloned") but posts it to a worker.
  const channel = new MessageChannel();
  try {
    channel.port1.postMessage(memory);
  } catch (e) {
    return `this browser cannot send shared memory to a worker (${e instanceof Error ? e.message : e})`;
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
  if (typeof Worker !== 'function' || typeof Atomics?.wait !== 'function') return 'this browser has no Workers with Atomics.wait';
  return '';
}

/** @returns {Capabilities} */
export function capabilities() {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const embedded = isEmbedded();
  const isolated = globalThis.crossOriginIsolated === true;
  const problem = isolated ? sharedMemoryProblem() : '';
  const sharedMemory = isolated && problem === '';
  if (!isolated) {
    return { threads: false, threadsReason: notIsolated(embedded), cores, sharedMemory, embedded };
  }
  if (problem) {
    return {
      threads: false,
      threadsReason: `Threads are off: ${problem}. Chrome, Edge and Firefox run them; every other model runs here.`,
      cores,
      sharedMemory,
      embedded,
    };
  }
  return { threads: true, threadsReason: '', cores, sharedMemory, embedded };
}

/** Why threads are off on a page that is not cross-origin isolated, for who can act on it. @param {boolean} embedded */
function notIsolated(embedded) {
  if (embedded) {
    return (
      'Threads are off in this embedded view: the course page around it does not let it share memory. ' +
      'Open the playground in its own tab to run threads. (For the instructor: docs/embedding.md says which headers the course site needs.)'
    );
  }
  return (
    'Threads are off: this page is not cross-origin isolated, so the browser withholds the shared memory threads need. ' +
    'The site must send COOP same-origin and COEP require-corp (npm start does; see docs/embedding.md).'
  );
}

/**
 * The threads build could not start after all (a capability no probe sees): the reason
 * to show, instead of the run's error.
 * @param {string} message the host's error
 */
export function threadsFailed(message) {
  return `Threads are off: the threads build could not start in this browser (${message}). Every other model runs here.`;
}

/** A model this browser cannot run after all: the run leaves it out with `message`, not fails. */
export class Unavailable extends Error {}
