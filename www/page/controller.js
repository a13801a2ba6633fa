// @ts-check
/**
 * The page's runs: what Run, Compare all, the sweep and Stop do. One run at a time; each
 * holds its own cancellation from the moment it is asked for, so a Stop at any instant,
 * even before the run has started, ends it. The checks, the plan and the freeze budget are
 * the Rust schema's; this file turns them into runs and tells the views what came back.
 */
import { core, engine } from '../engine.js';
import { parse, toQuery, errorText } from '../params.js';
import { abortable, runPlan, stopEverything } from '../runners/index.js';
import { busyWorkers } from '../runners/registry.js';
import { isStopped, errorMessage, stopped } from '../shared/protocol.js';
import { setState, status, showError, showNotices, progress, showProgress } from './status.js';

/** @typedef {import('../shared/types.js').Result} Result */
/** @typedef {import('../shared/types.js').Trace} Trace */
/** @typedef {import('../shared/types.js').Action} Action */
/** @typedef {import('../shared/types.js').Parsed} Parsed */
/** @typedef {import('../capabilities.js').Capabilities} Capabilities */

/**
 * @typedef {object} Views what the controller tells the views
 * @property {(action: Action, parsed: Parsed, plan: {rounds: number}) => void} reset a run begins
 * @property {(trace: Trace) => void} live a trace in progress
 * @property {(results: Result[], latest: Result) => void} result a row came in
 * @property {(probe: number) => void} noise how busy the machine was: the slowest probe so far
 * @property {(model: string, reason: string) => void} unavailable a model this browser cannot run
 * @property {(workload: string) => Promise<{point: (series: string, i: number, speedup: number) => void, counts: number[]}>} sweep a sweep begins
 * @property {(plan: {steps: import('../shared/types.js').Step[]}, parsed: Parsed) => Promise<{point: (p: import('../shared/types.js').Point) => void}>} crossover the crossover begins
 */

/**
 * @typedef {object} Form the scenario form, as the controller uses it
 * @property {() => Map<string, string>} values
 * @property {(parsed: Parsed) => void} showProblems
 * @property {(busy: boolean) => void} setBusy
 */

export class Controller {
  /**
   * @param {object} o
   * @param {Form} o.form
   * @param {Capabilities} o.caps
   * @param {Map<string, string>} o.pageParams the page's own parameters from the URL (embed), kept as given
   * @param {Views} o.views
   * @param {(busy: boolean) => void} o.setBusy the run buttons
   * @param {(results: Result[], query: string) => void} [o.onDone]
   * @param {Promise<unknown>} [o.viewsLoaded] what every run waits for first (the views,
   *   loaded in idle time after the page is ready); a Stop meanwhile ends the run
   */
  constructor(o) {
    this.o = o;
    /** @type {Result[]} */
    this.results = [];
    /** @type {AbortController | null} the run in progress (or about to start) */
    this.running = null;
    /** The slowest noise probe of the last run, as a share of the calibrated speed. */
    this.probe = 1;
  }

  /** The scenario as the URL should hold it: the form's raw text, plus the page's own parameters. */
  query() {
    const raw = this.o.form.values();
    for (const [k, v] of this.o.pageParams) raw.set(k, v);
    return toQuery(raw);
  }

  /**
   * The scenario and its problems for `action`, shown beside the fields.
   * @param {Action} [action] by default what the scenario's `compare` says
   */
  validate(action) {
    const query = this.query();
    const parsed = parse(query, action);
    this.o.form.showProblems(parsed);
    return { query, parsed };
  }

  /**
   * Get ready for the scenario in idle time, as it is edited: spare workers to make its
   * processes (and the baseline's) from at once, and the pool its threads run on. Nothing
   * when it is not valid.
   * @param {string} query @param {Action} action
   */
  prepare(query, action) {
    /** @type {{processes: number, threads: number, steps: {model: string}[]}} */
    let plan;
    try {
      plan = core().plan(query, action, this.o.caps.cores);
    } catch {
      return;
    }
    import('../runners/processes.js').then(({ keepSpares }) => keepSpares(plan.processes + 1));
    // The pool the scenario's threads run on, started once the page is idle.
    const threads = plan.steps.some((s) => s.model === 'threading' || s.model === 'asyncio-threads');
    if (threads && this.o.caps.threads && !this.running) {
      import('../runners/threading.js').then(({ prestart }) => prestart(plan.threads, query));
    }
  }

  /**
   * How long the scenario would hold the page's loop, ms (0 when it is not valid).
   * @param {string} query @param {Action} action
   */
  loopBlockMs(query, action) {
    try {
      return core().plan(query, action, this.o.caps.cores).loopBlockMs;
    } catch {
      return 0;
    }
  }

  /**
   * One run at a time: `body` runs with its own cancellation, made before anything else
   * happens (a Stop at once ends it); whichever way it ends, the page says so and is free.
   * @param {string} what how a failure names it ("The run", "The sweep")
   * @param {(signal: AbortSignal) => Promise<void>} body
   */
  async exclusive(what, body) {
    if (this.running) return;
    const controller = new AbortController();
    this.running = controller;
    try {
      if (this.o.viewsLoaded) await abortable(this.o.viewsLoaded, controller.signal);
      await body(controller.signal);
    } catch (e) {
      if (isStopped(e)) {
        await this.settleAfterStop();
      } else {
        // A fault may leave a pool blocked: start clean next time.
        stopEverything();
        setState('error');
        status('');
        showError(`${what} failed: ${errorMessage(e)}`);
      }
    } finally {
      if (this.running === controller) this.running = null;
      showProgress(false);
      this.o.setBusy(false);
      this.o.form.setBusy(false);
    }
  }

  /**
   * The scenario for `action`, or null after saying what is wrong with it: nothing runs,
   * and what the user typed stays in the form and the URL.
   * @param {Action} action
   */
  accepted(action) {
    const { query, parsed } = this.validate(action);
    if (parsed.errors.length) {
      setState('error');
      status('');
      showError(`Nothing ran. Fix the scenario first: ${errorText(parsed)}`);
      return null;
    }
    showError('');
    return { query, parsed };
  }

  /** The page is busy with a run of `total` steps. @param {number} total */
  begin(total) {
    progress(0, total);
    showProgress(true);
    this.o.setBusy(true);
    this.o.form.setBusy(true);
    setState('running');
    // Said until the run says what runs: the kernel's calibration and the count of the cores
    // may still be under way (a run started at load waits for them).
    status('Running: measuring this machine first…');
  }

  /**
   * Wait until the page has counted the cores it computes on (capabilities.js), or Stop.
   * @private @param {AbortSignal} signal
   */
  async measuredCores(signal) {
    const measured = this.o.caps.coresMeasured;
    if (measured) await abortable(measured, signal);
  }

  /**
   * Run or Compare all.
   * @param {'run' | 'compare'} action
   */
  start(action) {
    return this.exclusive('The run', async (signal) => {
      const { caps, views } = this.o;
      const ok = this.accepted(action);
      if (!ok) return;
      const { query, parsed } = ok;
      let plan = core().plan(query, action, caps.cores);
      const notices = parsed.notices.map((n) => n.message);
      const skipsThreads = !caps.threads && plan.steps.some((/** @type {{model: string}} */ s) => s.model === 'threading');
      if (skipsThreads) notices.push(`Threading is left out of this run. ${caps.threadsReason}`);
      showNotices(notices);
      this.results = [];
      this.probe = 1;
      views.reset(action, parsed, plan);
      this.begin(plan.steps.length);
      const { itersPerMs } = await engine();
      // The plan counts the cores the page measured (capabilities.js), once it has: made
      // again if the measured figure differs from the browser's.
      const cores = caps.cores;
      await this.measuredCores(signal);
      if (caps.cores !== cores) {
        plan = core().plan(query, action, caps.cores);
        views.reset(action, parsed, plan);
        progress(0, plan.steps.length);
      }
      if (signal.aborted) throw stopped();
      await runPlan(
        plan,
        { itersPerMs, caps, signal, onTrace: views.live },
        {
          skip: (model) => (model === 'threading' && !caps.threads ? caps.threadsReason : ''),
          onUnavailable: (model, reason, lasting) => {
            // Turned off for good only when the browser cannot run it; a build that could
            // not be loaded is tried again by the next run.
            if (lasting && model === 'threading') {
              caps.threads = false;
              caps.threadsReason = reason;
            }
            if (lasting) views.unavailable(model, reason);
            showNotices([...notices, `${model} is left out of this run. ${reason}`]);
          },
          onStart: (i, step) => {
            progress(i, plan.steps.length);
            const round = plan.rounds > 1 ? `Round ${step.round + 1} of ${plan.rounds}: ` : '';
            status(`${round}running ${step.model}, ${step.workload === 'io' ? 'I/O' : step.workload.toUpperCase()} (${i + 1} of ${plan.steps.length})…`);
          },
          onProbe: (_round, share) => {
            this.probe = Math.min(this.probe, share);
            views.noise(this.probe);
          },
          onResult: (r) => {
            this.results.push(r);
            views.result(this.results, r);
          },
        },
      );
      progress(plan.steps.length, plan.steps.length);
      setState('done');
      const n = this.results.length;
      status(`Done: ${n} result${n === 1 ? '' : 's'}.`);
      this.o.onDone?.(this.results, query);
    });
  }

  /**
   * A stopped run ends only once no worker of it still runs: say so when it is true.
   */
  async settleAfterStop() {
    // The spares the run used are not made again until the page asks: the machine stays quiet.
    void import('../runners/processes.js').then(({ holdSpares }) => holdSpares());
    const deadline = performance.now() + 1000;
    while (busyWorkers().length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const left = busyWorkers();
    if (left.length) stopEverything();
    setState('cancelled');
    const n = this.results.length;
    status(`Stopped${n ? `, keeping the ${n} result${n === 1 ? '' : 's'} measured` : ''}. No worker of the run is computing any more.`);
  }

  /**
   * The scaling sweep over workers, on `workload`.
   * @param {string} workload
   */
  sweep(workload) {
    return this.exclusive('The sweep', async (signal) => {
      const { caps, views } = this.o;
      const ok = this.accepted('sweep');
      if (!ok) return;
      const { query, parsed } = ok;
      showNotices(parsed.notices.map((n) => n.message));
      this.begin(1);
      const { itersPerMs } = await engine();
      await this.measuredCores(signal);
      const chart = await views.sweep(workload);
      const { runSweep } = await import('../runners/sweep.js');
      await runSweep({
        query,
        workload,
        caps,
        itersPerMs,
        signal,
        onProgress: (done, total, text) => {
          progress(done, total);
          status(text);
        },
        onPoint: chart.point,
      });
      setState('done');
      status('Sweep done.');
    });
  }

  /**
   * The crossover: every model from all waiting to all computing, in the steps the Rust
   * plan lists; each measurement goes to the chart as it comes.
   */
  crossover() {
    return this.exclusive('The crossover', async (signal) => {
      const { caps, views } = this.o;
      const ok = this.accepted('crossover');
      if (!ok) return;
      const { query, parsed } = ok;
      showNotices(parsed.notices.map((n) => n.message));
      this.begin(1);
      await this.measuredCores(signal);
      const plan = core().plan(query, 'crossover', caps.cores);
      progress(0, plan.steps.length);
      const { itersPerMs } = await engine();
      const chart = await views.crossover(plan, parsed);
      const { runCrossover } = await import('../runners/crossover.js');
      await runCrossover({
        plan,
        itersPerMs,
        caps,
        signal,
        onStart: (i, step) => {
          progress(i, plan.steps.length);
          const round = plan.rounds > 1 ? `Round ${step.round + 1} of ${plan.rounds}: ` : '';
          status(`${round}crossover, ${step.model} at ${step.share}% computing (${i + 1} of ${plan.steps.length})…`);
        },
        onPoint: chart.point,
        onUnavailable: (model, reason, lasting) => lasting && views.unavailable(model, reason),
      });
      setState('done');
      status('Crossover done.');
    });
  }

  /** Stop the run in progress, whatever stage it is at. */
  stop() {
    this.running?.abort();
  }
}

