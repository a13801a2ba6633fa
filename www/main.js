// @ts-check
/**
 * Wiring only: form -> controller -> runners -> views. The page's parts live beside this
 * file: engine.js (the WebAssembly core and its schema), capabilities.js (what this browser
 * runs), params.js (the scenario as text), page/ (runs, the Python panel, sharing, the
 * status line), runners/ (one per model), workers/ (the threads host and the processes),
 * views/ (pure renderings of results), shared/ (what the page and the workers both use).
 */
import { engine, loaded, schema } from './engine.js';
import { capabilities } from './capabilities.js';
import { parse } from './params.js';
import { Controller } from './page/controller.js';
import { PythonPanel, preload as preloadPython } from './page/python-panel.js';
import { wireSharing } from './page/share.js';
import { setState, status, showError, showNotices } from './page/status.js';
import { liveWorkers } from './runners/registry.js';
import { ScenarioForm } from './views/form.js';
import { RunPicture, focusOf, roundOf, pictureHeading } from './views/picture.js';
import { explain } from './views/explain.js';
import { renderResults } from './views/results.js';
import { summarize } from './views/summary.js';
import { WORKLOAD_NAMES, formatMs, formatSpeedup } from './views/format.js';
import { messageLog, postToParent, startEmbed } from './embed.js';

/** @typedef {import('./shared/types.js').Result} Result */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const button = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ ($(id));

/** Parameters that belong to the page, not to the scenario: kept from the URL as given. */
const PAGE_PARAMS = ['embed'];

async function main() {
  // coi.js may be about to reload the page under its service worker: start once it is not.
  await /** @type {any} */ (window).coiReady;
  const caps = capabilities();
  try {
    await loaded();
  } catch (e) {
    setState('error');
    status('');
    showError(`The WebAssembly core could not load: ${e instanceof Error ? e.message : e}. Build it with npm start.`);
    return;
  }
  const s = schema();
  const initial = new URLSearchParams(location.search);
  const pageParams = new Map(PAGE_PARAMS.filter((k) => initial.has(k)).map((k) => [k, initial.get(k) ?? '']));
  // embed.html is built with body.embed; any page becomes the embed view with ?embed=1.
  const embedded = document.body.classList.contains('embed') || initial.get('embed') === '1';
  document.body.classList.toggle('embed', embedded);
  $('open-full').hidden = !embedded;

  const fromUrl = parse(location.search);
  const form = new ScenarioForm(/** @type {HTMLFormElement} */ ($('scenario')), s.params, onEdit);
  form.fill(new Map(fromUrl.raw));
  const picture = new RunPicture($('timeline'), { states: s.states, lagLane: s.lagLane, lagState: s.lagState, gilLane: s.gilLane, gilState: s.gilState });
  const resultsTable = /** @type {HTMLTableElement} */ ($('results'));
  renderResults(resultsTable, []);
  const python = new PythonPanel({
    tabs: $('python-tabs'),
    code: $('python-code'),
    how: $('python-how'),
    box: $('python-code-box'),
    expand: button('expand-python'),
  });

  // Capabilities: controls start disabled and are enabled once known, each with a reason.
  if (!caps.threads) {
    form.disableGroup('threading', caps.threadsReason);
    form.disableChoice('models', 'threading', caps.threadsReason);
    showNotices([`${caps.threadsReason} asyncio, multiprocessing and the sequential baseline all run.`]);
  }
  // The kernel is calibrated once the page is idle; runs wait for it.
  let itersPerMs = 0;
  engine().then((core) => {
    itersPerMs = core.itersPerMs;
    $('machine').textContent = `This machine: ${caps.cores} logical cores.`;
    preloadPython();
  });

  /** @type {{action: string, params: import('./shared/types.js').Params, rounds: number, models: Set<string>} | null} the last run: its action, scenario, rounds and the models its plan runs */
  let last = null;
  /** @type {Result | null} the row picked in the results table, if any */
  let picked = null;
  /** @type {{trace: import('./shared/types.js').Trace, step: import('./shared/types.js').Step} | null} the step running now */
  let running = null;

  /** Whether the run in view is a lab: its figures are the lab's table, not timing rows. */
  const isLab = () => !!last && last.params.lab !== 'none' && last.action !== 'compare';
  /** The blocking lab is timed: its rows stay in the results beside its own table. */
  const hidesRows = () => isLab() && last?.params.lab !== 'blocking';

  /** How a result is put in plain words: the scenario's figures and this machine's cores. */
  function explainOptions(/** @type {Result[]} */ peers) {
    const p = last?.params;
    return { cores: caps.cores, tasks: p?.tasks ?? 0, ioMs: p?.ioMs ?? 0, cpuMs: p?.cpuMs ?? 0, gilLane: s.gilLane, peers, probe: controller.probe };
  }

  /** Draw the picture: every model of the picked (or the running, or the latest) round on one scale. */
  function drawPicture() {
    const results = controller.results;
    const focus = !picked && running ? { round: running.step.round, workload: running.step.workload } : focusOf(results, picked);
    if (!focus) return picture.clear();
    const round = roundOf(results, focus);
    const items = round.map((r) => ({
      key: `${r.model}:${r.variant}`,
      model: r.model,
      variant: r.variant,
      title: r.label,
      trace: r.trace,
      wallMs: r.wallMs,
      speedup: r.speedup,
      explanation: r.lab ? null : explain(r, explainOptions(round)),
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
    picture.render(items, { heading: isLab() ? '' : pictureHeading(focus.workload, focus.round, last?.rounds ?? 1) });
    for (const tr of resultsTable.querySelectorAll('tbody tr')) {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      const shownRow = picked ?? results[results.length - 1];
      row.classList.toggle('selected', !!shownRow && row.dataset.model === shownRow.model && row.dataset.workload === shownRow.workload && row.dataset.variant === shownRow.variant);
    }
  }

  /** @param {Result} r the row picked */
  function pick(r) {
    picked = r;
    drawPicture();
  }

  /** @param {Result[]} results */
  function refreshResults(results) {
    const rows = summarize(results);
    const options = explainOptions(results);
    renderResults(resultsTable, rows, {
      explain: (row) => (row.latest.lab ? null : explain({ ...row, trace: row.latest.trace }, { ...options, peers: rows })),
    });
    resultsTable.querySelectorAll('tbody tr[data-model]').forEach((tr, i) => {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      row.tabIndex = 0;
      row.addEventListener('click', () => pick(rows[i].latest));
      row.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          pick(rows[i].latest);
        }
      });
    });
    const has = results.length > 0;
    for (const id of ['export-json', 'export-csv', 'export-trace', 'export-png', 'export-svg']) button(id).disabled = !has;
    // An empty table says nothing the empty picture above does not.
    $('results-section').hidden = !has || hidesRows();
  }

  /**
   * Say what a run found, once it is over, for screen readers (the picture says it to the
   * eye): each row's time and speedup, in the order measured.
   * @param {Result[]} results
   */
  function announce(results) {
    const words = summarize(results)
      .filter((r) => !r.latest.lab)
      .map((r) => `${r.label}: ${formatMs(r.wallMs)}${r.speedup != null ? `, ${formatSpeedup(r.speedup)}` : ''}`);
    $('results-announce').textContent = words.length ? `Results. ${words.join('; ')}.` : '';
  }

  /** On a narrow screen the results are below the form: bring them into view as a run starts. */
  function revealResults() {
    if (!matchMedia('(max-width: 959px)').matches) return;
    const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
    $('results-panel').scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
  }

  // The models' summary is open where there is room for it; on a phone it is one tap away.
  /** @type {HTMLDetailsElement} */ ($('models-details')).open = matchMedia('(min-width: 960px)').matches;

  /** @param {import('./shared/types.js').Params} params */
  function matrixOptions(params) {
    // The rows are the models the plan runs, in the schema's order, shown before they are measured.
    const models = s.models.filter((m) => last?.models.has(m));
    return { cores: caps.cores, tasks: params.tasks, ioMs: params.ioMs, cpuMs: params.cpuMs, gil: params.gil, models, workloadOrder: s.workloads, probe: controller.probe };
  }

  /** Draw the matrix from every round so far (Compare all only). @param {Result[]} results */
  function refreshMatrix(results) {
    if (last?.action !== 'compare') return;
    const params = last.params;
    import('./views/matrix.js').then(({ renderMatrix }) => renderMatrix($('matrix'), summarize(results), matrixOptions(params)));
  }

  /** The button that started the run in progress: it gets the focus back when the run ends. */
  let startedBy = 'run';
  const controller = new Controller({
    form,
    caps,
    pageParams,
    setBusy: (busy) => {
      // Whichever button had the keyboard keeps it: Run (or Compare all, or the sweep)
      // hands it to Stop as it disables, and Stop hands it back to the button that started.
      const starters = ['run', 'compare', 'sweep'];
      const focused = document.activeElement;
      if (busy) {
        button('stop').disabled = false;
        if (focused && starters.includes(focused.id)) {
          startedBy = focused.id;
          button('stop').focus();
        }
        for (const id of starters) button(id).disabled = true;
      } else {
        for (const id of starters) button(id).disabled = false;
        if (focused === button('stop') || focused === document.body) button(startedBy).focus();
        button('stop').disabled = true;
      }
    },
    views: {
      reset: (action, parsed, plan) => {
        const models = new Set((plan?.steps ?? []).map((/** @type {{model: string}} */ st) => st.model));
        last = { action, params: parsed.params, rounds: plan?.rounds ?? 1, models };
        picked = null;
        running = null;
        $('results-announce').textContent = '';
        refreshResults([]);
        drawPicture();
        revealResults();
        const compare = action === 'compare';
        const lab = parsed.params.lab !== 'none' && !compare;
        $('matrix-section').hidden = !compare;
        // A lab's figures are its own table; the timing rows would be empty (refreshResults
        // keeps the results section hidden).
        $('lab-section').hidden = !lab;
        if (compare) import('./views/matrix.js').then(({ renderMatrix }) => renderMatrix($('matrix'), [], matrixOptions(parsed.params)));
      },
      live: (trace, step) => {
        running = step ? { trace, step } : running && { ...running, trace };
        drawPicture();
      },
      noise: () => refreshMatrix(controller.results),
      result: (results, r) => {
        running = null;
        refreshResults(results);
        drawPicture();
        refreshMatrix(results);
        if (r.lab) import('./views/lab.js').then(({ renderLab }) => renderLab($('lab'), r));
        if (last?.action === 'run' && last.params.lab === 'blocking') {
          const params = last.params;
          import('./views/blocking-lab.js').then(({ renderBlockingLab }) => renderBlockingLab($('lab'), summarize(results), params));
        }
      },
      unavailable: (model, reason) => {
        if (model !== 'threading') return;
        form.disableGroup('threading', reason);
        form.disableChoice('models', 'threading', reason);
      },
      sweep: async (workload) => {
        $('sweep-section').hidden = false;
        const [{ sweepChart }, { workerCounts, sweepSeries }] = await Promise.all([import('./views/sweep-chart.js'), import('./runners/sweep.js')]);
        const tasks = parse(controller.query()).params.tasks;
        const counts = workerCounts(tasks, caps.cores);
        const keys = sweepSeries(caps.threads).map((x) => x.key);
        const name = WORKLOAD_NAMES[workload] ?? workload;
        $('sweep-chart-title').textContent = `Scaling sweep on ${name} work: speedup against workers`;
        const chart = sweepChart($('sweep-chart'), /** @type {HTMLTableElement} */ ($('sweep-table')), counts, keys, caps.cores, name);
        $('sweep-section').scrollIntoView({ block: 'nearest', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
        return { point: chart.point, counts };
      },
      crossover: async (plan, parsed) => {
        $('crossover-section').hidden = false;
        const { crossoverChart } = await import('./views/crossover-chart.js');
        const steps = plan.steps;
        const shares = [...new Set(steps.map((st) => st.share ?? 0))];
        const models = [...new Set(steps.map((st) => st.model))];
        const chart = crossoverChart($('crossover'), { shares, models, tasks: parsed.params.tasks, taskMs: parsed.params.taskMs });
        Object.assign(/** @type {any} */ (window).playground, { crossings: chart.crossings });
        return chart;
      },
    },
    onDone: (results, query) => {
      announce(results);
      postToParent('results', { query, results: results.map(({ trace, ...r }) => r) });
    },
  });

  /** Validate, show the freeze note and refresh the script; the URL is left as it is. */
  function refresh() {
    const { query, parsed } = controller.validate();
    const block = parsed.errors.length ? 0 : controller.loopBlockMs(query, parsed.params.compare ? 'compare' : 'run');
    const freeze = $('freeze');
    freeze.hidden = block === 0;
    const seconds = (block / 1000).toFixed(1);
    freeze.textContent =
      parsed.params.lab === 'blocking'
        ? `time.sleep inside each coroutine holds this page's own event loop: no other task of the loop runs for about ${seconds} s while the tasks wait one after another. That is the lesson (Stop still works).`
        : `asyncio runs its CPU work on this page's own event loop: no other task of the loop runs for about ${seconds} s while it computes${parsed.params.yieldMs > 0 ? `, except every ${parsed.params.yieldMs} ms when it yields` : ''}. That is the lesson (Stop still works).`;
    void python.show(query, parsed.params);
    if (!parsed.errors.length) controller.prepare(query, parsed.params.compare ? 'compare' : 'run');
    form.countChanged(form.values());
    return query;
  }

  /** An edit: as refresh, and the URL follows the form, so it is always a permalink. */
  function onEdit() {
    const query = refresh();
    history.replaceState(null, '', `${location.pathname}${query ? '?' + query : ''}`);
    $('share-box').hidden = true;
  }

  button('run').addEventListener('click', () => controller.start('run'));
  // The matrix offers "Run again" where a verdict was inconclusive.
  $('matrix').addEventListener('click', (ev) => {
    if (ev.target instanceof HTMLElement && ev.target.closest('[data-action=compare]')) controller.start('compare');
  });
  button('compare').addEventListener('click', () => controller.start('compare'));
  button('stop').addEventListener('click', () => controller.stop());
  button('sweep').addEventListener('click', () => {
    const select = /** @type {HTMLSelectElement | null} */ (document.getElementById('sweep-workload'));
    // One more kind of sweep: the share of computing, from all waiting to all computing.
    if (select?.value === 'crossover') controller.crossover();
    else controller.sweep(select?.value ?? 'cpu');
  });
  wireSharing({ results: () => controller.results, params: () => last?.params ?? null, timeline: picture });

  // Tests and course pages drive the page through this, and through data-state.
  Object.assign(window, {
    playground: {
      liveWorkers,
      stop: () => controller.stop(),
      run: () => controller.start('run'),
      compare: () => controller.start('compare'),
      crossover: () => controller.crossover(),
      results: () => controller.results.map(({ trace, ...r }) => r),
      traces: () => controller.results.map((r) => r.trace),
      shown: () => picked ?? controller.results[controller.results.length - 1] ?? null,
      /** How busy the machine was in the last run: its slowest noise probe, as a share of the calibrated speed. */
      probe: () => controller.probe,
      /** The kernel's calibrated speed (0 until the calibration after load is done). */
      get itersPerMs() {
        return itersPerMs;
      },
      caps,
      /** Malformed or unknown messages the embed view ignored (embed.js). */
      get ignoredMessages() {
        return messageLog.ignored;
      },
    },
  });

  refresh();
  // The URL stays as the user gave it until they edit the form: its problems are shown,
  // including those the form cannot hold (unknown or repeated parameters).
  form.showProblems(fromUrl);
  for (const id of ['run', 'compare', 'sweep', 'share', 'embed']) button(id).disabled = false;
  setState('ready');
  status('Ready. Choose a scenario and press Run.');
  if (embedded) {
    startEmbed({
      form,
      currentQuery: () => controller.query(),
      caps,
      commands: { run: () => button('run').click(), stop: () => button('stop').click() },
    });
  }
  if (initial.get('run') === '1') {
    if (fromUrl.errors.length) {
      setState('error');
      status('');
      showError(`Nothing ran. Fix the scenario first: ${fromUrl.errors.map((e) => e.message).join(' ')}${fromUrl.more ? ` And ${fromUrl.more} more.` : ''}`);
    } else if (initial.get('crossover') === '1' && initial.get('compare') !== '1') {
      controller.crossover();
    } else {
      controller.start(initial.get('compare') === '1' ? 'compare' : 'run');
    }
  }
}

main();
