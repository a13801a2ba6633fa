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
import { Timeline } from './views/timeline/index.js';
import { renderResults } from './views/results.js';
import { summarize } from './views/summary.js';
import { WORKLOAD_NAMES } from './views/format.js';
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
  const timeline = new Timeline($('timeline'), { states: s.states, lagLane: s.lagLane, lagState: s.lagState });
  const resultsTable = /** @type {HTMLTableElement} */ ($('results'));
  renderResults(resultsTable, []);
  const python = new PythonPanel({ tabs: $('python-tabs'), code: $('python-code'), how: $('python-how') });

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

  /** @type {{action: string, params: import('./shared/types.js').Params} | null} */
  let last = null;
  /** @type {Result | null} the row whose timeline is shown */
  let shown = null;

  /** @param {Result | null} r */
  function show(r) {
    shown = r;
    if (!r) return timeline.clear();
    timeline.render(r.trace, { title: `${r.label}, ${r.workload}: ${r.wallMs.toFixed(1)} ms` });
    for (const tr of resultsTable.querySelectorAll('tbody tr')) {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      row.classList.toggle('selected', row.dataset.model === r.model && row.dataset.workload === r.workload && row.dataset.variant === r.variant);
    }
  }

  /** @param {Result[]} results */
  function refreshResults(results) {
    const rows = summarize(results);
    renderResults(resultsTable, rows);
    resultsTable.querySelectorAll('tbody tr[data-model]').forEach((tr, i) => {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      row.tabIndex = 0;
      row.addEventListener('click', () => show(rows[i].latest));
      row.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          show(rows[i].latest);
        }
      });
    });
    const has = results.length > 0;
    for (const id of ['export-json', 'export-csv', 'export-trace', 'export-png', 'export-svg']) button(id).disabled = !has;
  }

  /** @param {import('./shared/types.js').Params} params */
  function matrixOptions(params) {
    return { cores: caps.cores, tasks: params.tasks, ioMs: params.ioMs, cpuMs: params.cpuMs, gil: params.gil, models: s.models, workloadOrder: s.workloads };
  }

  const controller = new Controller({
    form,
    caps,
    pageParams,
    setBusy: (busy) => {
      for (const id of ['run', 'compare', 'sweep']) button(id).disabled = busy;
      button('stop').disabled = !busy;
    },
    views: {
      reset: (action, parsed) => {
        last = { action, params: parsed.params };
        refreshResults([]);
        show(null);
        const compare = action === 'compare';
        const lab = parsed.params.lab !== 'none' && !compare;
        $('matrix-section').hidden = !compare;
        // A lab's figures are its own table; the timing rows would be empty, but for the
        // blocking lab, which is timed: its rows stay, its figures side by side beside them.
        $('lab-section').hidden = !lab;
        $('results-section').hidden = lab && parsed.params.lab !== 'blocking';
        if (compare) import('./views/matrix.js').then(({ renderMatrix }) => renderMatrix($('matrix'), [], matrixOptions(parsed.params)));
      },
      live: (trace) => timeline.render(trace, { title: 'running…' }),
      result: (results, r) => {
        refreshResults(results);
        show(r);
        if (last?.action === 'compare') {
          const params = last.params;
          import('./views/matrix.js').then(({ renderMatrix }) => renderMatrix($('matrix'), summarize(results), matrixOptions(params)));
        }
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
        const chart = sweepChart($('sweep-chart'), /** @type {HTMLTableElement} */ ($('sweep-table')), counts, keys, caps.cores, WORKLOAD_NAMES[workload] ?? workload);
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
    onDone: (results, query) => postToParent('results', { query, results: results.map(({ trace, ...r }) => r) }),
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
    return query;
  }

  /** An edit: as refresh, and the URL follows the form, so it is always a permalink. */
  function onEdit() {
    const query = refresh();
    history.replaceState(null, '', `${location.pathname}${query ? '?' + query : ''}`);
    $('share-box').hidden = true;
  }

  button('run').addEventListener('click', () => controller.start('run'));
  button('compare').addEventListener('click', () => controller.start('compare'));
  button('stop').addEventListener('click', () => controller.stop());
  button('sweep').addEventListener('click', () => {
    const select = /** @type {HTMLSelectElement | null} */ (document.getElementById('sweep-workload'));
    // One more kind of sweep: the share of computing, from all waiting to all computing.
    if (select?.value === 'crossover') controller.crossover();
    else controller.sweep(select?.value ?? 'cpu');
  });
  wireSharing({ results: () => controller.results, params: () => last?.params ?? null, timeline });

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
      shown: () => shown,
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
