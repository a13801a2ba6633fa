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
 * @property {number} cores          how many contexts compute at once here: measured (`measureCores`), the browser's figure until then
 * @property {number} reportedCores  navigator.hardwareConcurrency, the browser's own figure
 * @property {Promise<number>} [coresMeasured] the measured figure, once known (main.js sets it; runs wait for it)
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
  const reportedCores = cores;
  if (!isolated) {
    return { threads: false, threadsReason: notIsolated(embedded), cores, reportedCores, sharedMemory, embedded };
  }
  if (problem) {
    return {
      threads: false,
      threadsReason: `Threads are off: ${problem}. Chrome, Edge and Firefox run them; every other model runs here.`,
      cores,
      reportedCores,
      sharedMemory,
      embedded,
    };
  }
  return { threads: true, threadsReason: '', cores, reportedCores, sharedMemory, embedded };
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

/** Where the measured core count is kept between visits. */
const CORES_KEY = 'playground:cores';
/** The most processes the core probe starts. */
const MAX_PROBED = 16;

/**
 * Measure how many contexts compute at once here, set `caps.cores` to it and return it.
 * `measure(n)` runs `n` processes together and returns the work they did over the
 * calibrated speed (runners/processes.js). The figure is kept in `localStorage` for this
 * browser and its reported count: a machine busy at one visit measures low, so the highest
 * figure seen is kept, and a later visit does not probe again once it has two that agree.
 * The browser's figure stands when there is nothing to measure (1 core) or the probe fails.
 * @param {Capabilities} caps @param {(n: number) => Promise<number>} measure
 * @returns {Promise<number>}
 */
export async function measureCores(caps, measure) {
  const reported = caps.reportedCores;
  if (reported <= 1) return caps.cores;
  const key = `${CORES_KEY}:${reported}:${navigator.userAgent}`;
  /** @type {{best: number, seen: number} | null} */
  let kept = null;
  try {
    kept = JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    kept = null; // storage refused (a third-party frame) or unreadable: measure
  }
  let best = kept && Number.isInteger(kept.best) && kept.best >= 1 && kept.best <= reported ? kept.best : 0;
  let seen = best ? Number(kept?.seen) || 1 : 0;
  if (seen < 2) {
    try {
      const capacity = await measure(Math.min(reported, MAX_PROBED));
      const measured = coresFrom(capacity, reported);
      seen = measured === best ? seen + 1 : measured > best ? 1 : seen;
      best = Math.max(best, measured);
      try {
        localStorage.setItem(key, JSON.stringify({ best, seen }));
      } catch {
        // not kept: the next visit measures again
      }
    } catch {
      if (!best) return caps.cores;
    }
  }
  caps.cores = best;
  return best;
}

/**
 * The cores that a measured parallel capacity shows: every core of which the processes got
 * at least 0.2 counts (1.9 on two free cores is 2; 1.25 is 2 as well, where the page's own
 * start-up held 0.75 of a core meanwhile, as WebKitGTK's drawing in software did for 4 s
 * after load; 0.95 of two processes on one core is 1), never more than the browser
 * reports. The probe's own error is about 1 ms of its 120 ms window per process.
 * @param {number} capacity @param {number} reported
 */
export function coresFrom(capacity, reported) {
  return Math.min(reported, Math.max(1, Math.ceil(capacity - 0.2)));
}

/**
 * One line when the browser's figure is not what the page measured, else ''.
 * @param {Capabilities} caps
 */
export function coresNote(caps) {
  if (caps.cores === caps.reportedCores) return '';
  return `This browser reports ${caps.reportedCores} cores, but ${caps.cores} computed at once when the page measured it: the page counts ${caps.cores}.`;
}

/**
 * The threads build could not be loaded (the host does not serve it, or the network
 * dropped before the page kept it): the reason to show, instead of the run's error.
 * @param {string} message the host's error
 */
export function threadsNotLoaded(message) {
  return `Threads are off: the threads build could not be loaded (${message}). Every other model runs here.`;
}

/**
 * A model this browser cannot run after all: the run leaves it out with `message`, not
 * fails. `lasting`: the browser cannot run it at all (the page turns it off); otherwise only
 * now (its build could not be loaded), and the next run tries again.
 */
export class Unavailable extends Error {
  /** @param {string} message @param {{lasting?: boolean}} [options] */
  constructor(message, { lasting = true } = {}) {
    super(message);
    this.lasting = lasting;
  }
}
