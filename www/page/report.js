// @ts-check
/**
 * What a run shows: the picture (one timeline per model on one time scale), the results
 * table, the matrix of Compare all, a lab's own table, the sweep's and the crossover's
 * charts, and the words for screen readers. The controller tells it what happened
 * (`reset`, `live`, `result`, `noise`, `sweep`, `crossover`); it only draws.
 *
 * The page loads this part, and the views it draws with, in idle time once it is ready:
 * a first paint needs none of it (main.js).
 */
import { parse } from '../params.js';
import { RunPicture, focusOf, roundOf, pictureHeading } from '../views/picture.js';
import { explain } from '../views/explain.js';
import { fairShare } from '../views/verdicts.js';
import { renderResults } from '../views/results.js';
import { summarize } from '../views/summary.js';
import { WORKLOAD_NAMES, formatMs, formatSpeedup } from '../views/format.js';

/** @typedef {import('../shared/types.js').Result} Result */
/** @typedef {import('../shared/types.js').Trace} Trace */
/** @typedef {import('../shared/types.js').Step} Step */
/** @typedef {import('../shared/types.js').Params} Params */
/** @typedef {import('../shared/types.js').Parsed} Parsed */
/** @typedef {import('../shared/types.js').Action} Action */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const button = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ ($(id));
/** The least time between two redraws of a run in progress, ms. */
const LIVE_MS = 200;
/**
 * The same while the step's workers compute on every core: the page's thread then takes its
 * time from them. A redraw costs it 5-10 ms of CPU in Chromium and Firefox, and more where
 * the page is drawn in software: in WebKitGTK with its compositing off, a Pool(2) on 2 cores
 * redrawn every 200 ms held the page's thread at 0.77 of a core through the run (0.68 at
 * 600 ms). With more workers than cores, a redraw that takes 5-10 ms of CPU keeps the page
 * from answering for 20-40 ms (a Pool(8) on 2 cores).
 */
const LIVE_CROWDED_MS = 600;
const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

export class Report {
  /**
   * @param {object} o
   * @param {{cores: number, threads: boolean}} o.caps
   * @param {{states: string[], models: string[], pageLoopModels: string[], workloads: string[], lagLane: string, lagState: string, gilLane: string, gilState: string}} o.schema
   * @param {{results: Result[], probe: number, query: () => string}} o.runs the controller: its rows, its noise probe, its scenario
   */
  constructor(o) {
    this.o = o;
    const s = o.schema;
    this.picture = new RunPicture($('timeline'), { states: s.states, lagLane: s.lagLane, lagState: s.lagState, gilLane: s.gilLane, gilState: s.gilState });
    this.table = /** @type {HTMLTableElement} */ ($('results'));
    renderResults(this.table, []);
    /** @type {{action: string, params: Params, rounds: number, models: Set<string>} | null} the last run: its action, scenario, rounds and the models its plan runs */
    this.last = null;
    /** @type {Result | null} the row picked in the results table, if any */
    this.picked = null;
    /** @type {{trace: Trace, step: Step} | null} the step running now */
    this.running = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} a live redraw to come */
    this.liveDraw = undefined;
    this.lastLiveDraw = -Infinity;
  }

  /** The row the picture shows. */
  shown() {
    const results = this.o.runs.results;
    return this.picked ?? results[results.length - 1] ?? null;
  }

  /** Whether the run in view is a lab: its figures are the lab's table, not timing rows. */
  isLab() {
    return !!this.last && this.last.params.lab !== 'none' && this.last.action !== 'compare';
  }

  /** The blocking lab is timed: its rows stay in the results beside its own table. */
  hidesRows() {
    return this.isLab() && this.last?.params.lab !== 'blocking';
  }

  /** How a result is put in plain words: the scenario's figures and this machine's cores. @param {any[]} peers */
  explainOptions(peers) {
    const p = this.last?.params;
    return { cores: this.o.caps.cores, tasks: p?.tasks ?? 0, ioMs: p?.ioMs ?? 0, cpuMs: p?.cpuMs ?? 0, gilLane: this.o.schema.gilLane, peers, probe: this.o.runs.probe };
  }

  /** Draw the picture: every model of the picked (or the running, or the latest) round on one scale. */
  drawPicture() {
    const results = this.o.runs.results;
    const { picked, running } = this;
    const focus = !picked && running ? { round: running.step.round, workload: running.step.workload } : focusOf(results, picked);
    if (!focus) return this.picture.clear();
    const round = roundOf(results, focus);
    const items = round.map((r) => ({
      key: `${r.model}:${r.variant}`,
      model: r.model,
      variant: r.variant,
      title: r.label,
      trace: r.trace,
      wallMs: r.wallMs,
      speedup: r.speedup,
      explanation: r.lab ? null : explain(r, this.explainOptions(round)),
      selected: r === picked,
      running: false,
      // Start-up the row does not count (a thread pool started for the run) is left out of
      // the picture, so it does not stretch every model's time axis.
      skipMs: Math.max(0, r.trace.wall_ms - r.wallMs),
    }));
    if (running && !picked && running.step.round === focus.round && running.step.workload === focus.workload) {
      items.push({
        key: `${running.step.model}:running`,
        model: running.step.model,
        variant: '',
        title: `${running.step.model}, running`,
        trace: running.trace,
        wallMs: null,
        speedup: null,
        explanation: null,
        selected: false,
        running: true,
      });
    }
    this.picture.render(items, { heading: this.isLab() ? '' : pictureHeading(focus.workload, focus.round, this.last?.rounds ?? 1) });
    const shownRow = this.shown();
    for (const tr of this.table.querySelectorAll('tbody tr')) {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      row.classList.toggle('selected', !!shownRow && row.dataset.model === shownRow.model && row.dataset.workload === shownRow.workload && row.dataset.variant === shownRow.variant);
    }
  }

  /** @param {Result} r the row picked */
  pick(r) {
    this.picked = r;
    this.drawPicture();
  }

  /** @param {Result[]} results */
  refreshResults(results) {
    const rows = summarize(results);
    const options = this.explainOptions(results);
    renderResults(this.table, rows, {
      explain: (row) => (row.latest.lab ? null : explain({ ...row, trace: row.latest.trace }, { ...options, peers: rows })),
      share: (row) => fairShare(row, options),
    });
    this.table.querySelectorAll('tbody tr[data-model]').forEach((tr, i) => {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      row.tabIndex = 0;
      row.addEventListener('click', () => this.pick(rows[i].latest));
      row.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          this.pick(rows[i].latest);
        }
      });
    });
    const has = results.length > 0;
    for (const id of ['export-json', 'export-csv', 'export-trace', 'export-png', 'export-svg']) button(id).disabled = !has;
    // An empty table says nothing the empty picture above does not.
    $('results-section').hidden = !has || this.hidesRows();
  }

  /**
   * Say what a run found, once it is over, for screen readers (the picture says it to the
   * eye): each row's time and speedup, in the order measured.
   * @param {Result[]} results
   */
  announce(results) {
    const words = summarize(results)
      .filter((r) => !r.latest.lab)
      .map((r) => `${r.label}: ${formatMs(r.wallMs)}${r.speedup != null ? `, ${formatSpeedup(r.speedup)}` : ''}`);
    $('results-announce').textContent = words.length ? `Results. ${words.join('; ')}.` : '';
  }

  /** @param {Params} params */
  matrixOptions(params) {
    // The rows are the models the plan runs, in the schema's order, shown before they are measured.
    const models = this.o.schema.models.filter((m) => this.last?.models.has(m));
    return { cores: this.o.caps.cores, tasks: params.tasks, ioMs: params.ioMs, cpuMs: params.cpuMs, gil: params.gil, models, workloadOrder: this.o.schema.workloads, probe: this.o.runs.probe };
  }

  /** Draw the matrix from every round so far (Compare all only). @param {Result[]} results */
  refreshMatrix(results) {
    if (this.last?.action !== 'compare') return;
    const options = this.matrixOptions(this.last.params);
    import('../views/matrix.js').then(({ renderMatrix }) => renderMatrix($('matrix'), summarize(results), options));
  }

  /** A run begins. @param {Action} action @param {Parsed} parsed @param {{rounds?: number, steps?: {model: string}[]}} [plan] */
  reset(action, parsed, plan) {
    const models = new Set((plan?.steps ?? []).map((st) => st.model));
    this.last = { action, params: parsed.params, rounds: plan?.rounds ?? 1, models };
    this.picked = null;
    clearTimeout(this.liveDraw);
    this.running = null;
    $('results-announce').textContent = '';
    this.refreshResults([]);
    this.drawPicture();
    // On a narrow screen the results are below the form: bring them into view.
    if (matchMedia('(max-width: 959px)').matches) $('results-panel').scrollIntoView({ block: 'start', behavior: reducedMotion() ? 'auto' : 'smooth' });
    const compare = action === 'compare';
    const lab = parsed.params.lab !== 'none' && !compare;
    $('matrix-section').hidden = !compare;
    // A lab's figures are its own table; the timing rows would be empty (refreshResults
    // keeps the results section hidden).
    $('lab-section').hidden = !lab;
    if (compare) {
      const options = this.matrixOptions(parsed.params);
      import('../views/matrix.js').then(({ renderMatrix }) => renderMatrix($('matrix'), [], options));
    }
  }

  /**
   * A trace in progress; `step` when a new step began. A new step is drawn at once (its
   * figure is made before its lag meter starts); its updates at most every `LIVE_MS` (or
   * `LIVE_CROWDED_MS`), the last of a burst (two tasks ending together) drawn once: on a
   * small machine each redraw of a figure costs the page's thread 10-35 ms, which the run's
   * lag meter counts.
   * @param {Trace} trace @param {Step} [step]
   */
  live(trace, step) {
    const fresh = !!step && step !== this.running?.step;
    this.running = step ? { trace, step } : this.running && { ...this.running, trace };
    clearTimeout(this.liveDraw);
    // A model on the page's own loop is drawn when it ends: a redraw meanwhile would hold
    // the very loop whose lag the run measures.
    if (!fresh && this.running && this.o.schema.pageLoopModels.includes(this.running.step.model)) return;
    const wait = fresh || !this.running ? 0 : this.lastLiveDraw + this.liveMs(this.running.step) - performance.now();
    if (wait <= 0) return this.drawLive();
    this.liveDraw = setTimeout(() => this.drawLive(), wait);
  }

  /**
   * The least time between two live redraws of `step`: longer while its workers compute on
   * every core the page measured (the plan counts them, `src/params.rs`).
   * @private @param {Step} step
   */
  liveMs(step) {
    return step.computing >= this.o.caps.cores ? LIVE_CROWDED_MS : LIVE_MS;
  }

  /** @private */
  drawLive() {
    this.liveDraw = undefined;
    this.lastLiveDraw = performance.now();
    if (this.running) this.drawPicture();
  }

  /** How busy the machine was changed the verdicts. */
  noise() {
    this.refreshMatrix(this.o.runs.results);
  }

  /** A row came in. @param {Result[]} results @param {Result} r */
  result(results, r) {
    clearTimeout(this.liveDraw);
    this.running = null;
    this.refreshResults(results);
    this.drawPicture();
    this.refreshMatrix(results);
    if (r.lab) import('../views/lab.js').then(({ renderLab }) => renderLab($('lab'), r));
    if (this.last?.action === 'run' && this.last.params.lab === 'blocking') {
      const params = this.last.params;
      import('../views/blocking-lab.js').then(({ renderBlockingLab }) => renderBlockingLab($('lab'), summarize(results), params));
    }
  }

  /** A sweep begins: its chart, and the worker counts it measures. @param {string} workload */
  async sweep(workload) {
    $('sweep-section').hidden = false;
    const [{ sweepChart }, { workerCounts, sweepSeries }] = await Promise.all([import('../views/sweep-chart.js'), import('../runners/sweep.js')]);
    const tasks = parse(this.o.runs.query()).params.tasks;
    const { cores, threads } = this.o.caps;
    const counts = workerCounts(tasks, cores);
    const keys = sweepSeries(threads).map((x) => x.key);
    const name = WORKLOAD_NAMES[workload] ?? workload;
    $('sweep-chart-title').textContent = `Scaling sweep on ${name} work: speedup against workers`;
    const chart = sweepChart($('sweep-chart'), /** @type {HTMLTableElement} */ ($('sweep-table')), counts, keys, cores, name);
    $('sweep-section').scrollIntoView({ block: 'nearest', behavior: reducedMotion() ? 'auto' : 'smooth' });
    return { point: chart.point, counts };
  }

  /** The crossover begins: its chart. @param {{steps: Step[]}} plan @param {Parsed} parsed */
  async crossover(plan, parsed) {
    $('crossover-section').hidden = false;
    const { crossoverChart } = await import('../views/crossover-chart.js');
    const shares = [...new Set(plan.steps.map((st) => st.share ?? 0))];
    const models = [...new Set(plan.steps.map((st) => st.model))];
    return crossoverChart($('crossover'), { shares, models, tasks: parsed.params.tasks, taskMs: parsed.params.taskMs });
  }
}
