// @ts-check
/**
 * Wiring only: form -> controller -> runners -> report -> views. The page's parts live
 * beside this file: engine.js (the WebAssembly core and its schema), capabilities.js (what
 * this browser runs), params.js (the scenario as text), page/ (runs, what a run shows, the
 * Python panel, sharing, the status line), runners/ (one per model), workers/ (the threads
 * host and the processes), views/ (pure renderings of results), shared/ (what the page and
 * the workers both use).
 *
 * The page is ready (`data-state="ready"`) once the core is loaded and the form filled; the
 * kernel's calibration follows at once, and what a run shows loads in idle time after.
 */
import { engine, loaded, schema } from './engine.js';
import { capabilities, measureCores, coresNote } from './capabilities.js';
import { parse } from './params.js';
import { Controller } from './page/controller.js';
import { setState, status, showError, showNotices } from './page/status.js';
import { liveWorkers } from './runners/registry.js';
import { ScenarioForm } from './views/form.js';
import { messageLog, postToParent, startEmbed } from './embed.js';
import { wireSharing } from './page/share.js';
import { whenIdle } from './shared/idle.js';

/** @typedef {import('./shared/types.js').Result} Result */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const button = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ ($(id));

/** Parameters that belong to the page, not to the scenario: kept from the URL as given. */
const PAGE_PARAMS = ['embed'];

/**
 * The parts a first paint does not need: what a run shows (page/report.js and its views),
 * and the Python panel. Loaded in idle time once the page is ready; a run that
 * starts before they are there waits for them.
 */
function loadLater() {
  return Promise.all([import('./page/report.js'), import('./page/python-panel.js')]).then(([report, python]) => ({ ...report, ...python }));
}


async function main() {
  performance.mark('playground:main');
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

  // Capabilities: controls start disabled and are enabled once known, each with a reason.
  if (!caps.threads) {
    form.disableGroup('threading', caps.threadsReason);
    form.disableChoice('models', 'threading', caps.threadsReason);
    showNotices([`${caps.threadsReason} asyncio, multiprocessing and the sequential baseline all run.`]);
  }
  // The models' summary is open where there is room for it; on a phone it is one tap away.
  /** @type {HTMLDetailsElement} */ ($('models-details')).open = matchMedia('(min-width: 960px)').matches;

  /** @type {() => void} */
  let markReady = () => {};
  /** The parts loaded later, in idle time after ready. */
  const later = new Promise((resolve) => (markReady = () => resolve(undefined)))
    .then(() => new Promise((resolve) => whenIdle(() => resolve(undefined), 200)))
    .then(loadLater)
    .then((m) => {
      report = new m.Report({ caps, schema: s, runs: controller });
      python = new m.PythonPanel({ tabs: $('python-tabs'), code: $('python-code'), how: $('python-how'), box: $('python-code-box'), expand: button('expand-python') });
      const query = controller.query();
      void python.show(query, parse(query).params);
      m.preload();
    });
  later.catch((e) => {
    setState('error');
    showError(`The page could not load its views: ${e instanceof Error ? e.message : e}. Reload the page.`);
  });
  /** Whether the kernel is calibrated: only then does the page prepare for a scenario. */
  let isReady = false;
  /** The kernel's calibrated speed, 0 until calibrated. */
  let itersPerMs = 0;
  /** @type {import('./page/report.js').Report | null} what a run shows, once loaded */
  let report = null;
  /** @type {import('./page/python-panel.js').PythonPanel | null} */
  let python = null;

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
    // Every run waits for the report first (`viewsLoaded`).
    viewsLoaded: later,
    views: {
      reset: (action, parsed, plan) => report?.reset(action, parsed, plan),
      live: (trace, step) => report?.live(trace, step),
      noise: () => report?.noise(),
      result: (results, r) => report?.result(results, r),
      unavailable: (model, reason) => {
        if (model !== 'threading') return;
        form.disableGroup('threading', reason);
        form.disableChoice('models', 'threading', reason);
      },
      sweep: (workload) => /** @type {import('./page/report.js').Report} */ (report).sweep(workload),
      crossover: async (plan, parsed) => {
        const chart = await /** @type {import('./page/report.js').Report} */ (report).crossover(plan, parsed);
        Object.assign(/** @type {any} */ (window).playground, { crossings: chart.crossings });
        return chart;
      },
    },
    onDone: (results, query) => {
      report?.announce(results);
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
    if (python) void python.show(query, parsed.params);
    if (isReady) prepare(query, parsed);
    form.countChanged(form.values());
    return query;
  }

  /**
   * Get ready for the scenario in idle time (spare workers, a thread pool); only once the
   * page is ready, so they do not compete with the calibration for the cores.
   * @param {string} query @param {import('./shared/types.js').Parsed} parsed
   */
  function prepare(query, parsed) {
    if (!parsed.errors.length) controller.prepare(query, parsed.params.compare ? 'compare' : 'run');
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

  // The exports are enabled once there are results, so the report is there by then.
  wireSharing({ results: () => controller.results, params: () => report?.last?.params ?? null, timeline: () => report?.picture ?? null });

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
      shown: () => report?.shown() ?? controller.results[controller.results.length - 1] ?? null,
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
  markReady();
  // The kernel is calibrated once the page has painted (engine.js); runs wait for it. Then
  // the scenario's spare workers and thread pool start: before, they would compete with the
  // calibration for the cores.
  // Then how many processes really compute at once (the browser's core count is a hint),
  // before the spares: runs wait for both.
  caps.coresMeasured = engine().then(async (core) => {
    itersPerMs = core.itersPerMs;
    const { measureParallelism } = await import('./runners/processes.js');
    return measureCores(caps, (n) => measureParallelism(n, core.itersPerMs));
  });
  caps.coresMeasured.then(() => {
    // Embedders and tests read it: the probe's processes compute no more.
    document.documentElement.dataset.cores = String(caps.cores);
    const note = coresNote(caps);
    $('machine').textContent = note || `This machine: ${caps.cores} ${caps.cores === 1 ? 'core computes' : 'cores compute'} at once here.`;
    isReady = true;
    prepare(controller.query(), parse(controller.query()));
  });
  // Last, in idle time: keep every file a later run, lab or script needs, so the page works
  // if the network drops (page/offline.js).
  Promise.all([caps.coresMeasured, later])
    .then(() => new Promise((resolve) => whenIdle(() => resolve(undefined), 2000)))
    .then(() => import('./page/offline.js'))
    .then(({ keepForOffline }) => keepForOffline())
    .then(({ line }) => ($('offline').textContent = line))
    .catch(() => {
      // The page works online as before; data-offline stays unset.
    });
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
