// @ts-check
/**
 * Wiring only: form -> runner -> views. The page's parts live beside this file:
 * params.js (schema and URL), engine.js (the WebAssembly core), runners/ (one per model),
 * workers/ (the threads host and the processes), views/ (pure renderings of results).
 */
import { engine, loaded, capabilities } from './engine.js';
import { rawValues, toQuery } from './params.js';
import { planSteps, runPlan } from './runners/index.js';
import { liveWorkers, stopAll } from './workers/registry.js';
import { ScenarioForm } from './views/form.js';
import { Timeline } from './views/timeline.js';
import { renderResults, toCSV, toJSON } from './views/results.js';
import { embedSnippet, messageLog, postToParent, startEmbed } from './embed.js';

/** @typedef {import('./runners/index.js').Result} Result */
/** @typedef {import('./params.js').Params} Params */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const button = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ ($(id));

const MODELS = ['sequential', 'asyncio', 'threading', 'multiprocessing'];
/** Parameters that belong to the page, not to the scenario: kept from the URL as given. */
const PAGE_PARAMS = ['embed'];

const state = {
  /** @type {Result[]} */
  results: [],
  /** @type {AbortController | null} */
  running: null,
  /** @type {Result | null} */
  shown: null,
  pythonModel: 'asyncio',
};

/** @param {'loading'|'ready'|'running'|'done'|'error'|'cancelled'} s */
function setState(s) {
  document.documentElement.dataset.state = s;
  // For load-time measurements: performance.getEntriesByName('playground:ready').
  performance.mark(`playground:${s}`);
}

/** @param {string} text */
function status(text) {
  $('status').textContent = text;
}

/** @param {string} message */
function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = message === '';
}

/**
 * @param {Blob | string} data
 * @param {string} name
 * @param {string} type
 */
function download(data, name, type) {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function main() {
  // coi.js may be about to reload the page under its service worker: start once it is not.
  await /** @type {any} */ (window).coiReady;
  const caps = capabilities();
  let wasm;
  try {
    wasm = await loaded();
  } catch (e) {
    setState('error');
    status('');
    showError(`The WebAssembly core could not load: ${e instanceof Error ? e.message : e}. Build it with npm start.`);
    return;
  }
  const schema = wasm.paramSchema();
  const initial = new URLSearchParams(location.search);
  const pageParams = new Map(PAGE_PARAMS.filter((k) => initial.has(k)).map((k) => [k, initial.get(k) ?? '']));
  // embed.html is built with body.embed; any page becomes the embed view with ?embed=1.
  const embedded = document.body.classList.contains('embed') || initial.get('embed') === '1';
  document.body.classList.toggle('embed', embedded);
  $('open-full').hidden = !embedded;

  const form = new ScenarioForm(/** @type {HTMLFormElement} */ ($('scenario')), schema, onEdit);
  const timeline = new Timeline($('timeline'));
  const resultsTable = /** @type {HTMLTableElement} */ ($('results'));
  renderResults(resultsTable, []);
  form.fill(rawValues(location.search, schema));

  // Capabilities: controls start disabled and are enabled once known, each with a reason.
  if (!caps.threads) {
    form.disableGroup('threading', caps.threadsReason);
    form.disableChoice('models', 'threading', caps.threadsReason);
    const notice = $('notice');
    notice.textContent = caps.threadsReason + ' asyncio, multiprocessing and the sequential baseline all work.';
    notice.hidden = false;
  }
  // The kernel is calibrated once the page is idle; runs wait for it.
  let itersPerMs = 0;
  engine().then((core) => {
    itersPerMs = core.itersPerMs;
    $('machine').textContent = `This machine: ${caps.cores} logical cores; kernel speed ${(itersPerMs / 1000).toFixed(0)}k iterations/ms.`;
  });

  /** The scenario as the URL should hold it: the form's raw text, plus page parameters. */
  function currentQuery() {
    const raw = form.values();
    for (const [k, v] of pageParams) raw.set(k, v);
    return toQuery(raw, schema);
  }

  /** @returns {{query: string, params: Params, errors: import('./params.js').ParamError[]}} */
  function validate() {
    const query = currentQuery();
    const { params, errors } = wasm.parseQuery(query);
    const known = new Set(schema.map((/** @type {{name: string}} */ s) => s.name));
    form.showErrors(errors);
    const loose = errors.filter((/** @type {{name: string}} */ e) => !form.fields.has(e.name) || !known.has(e.name));
    const box = $('form-errors');
    box.replaceChildren(...loose.map((e) => Object.assign(document.createElement('p'), { textContent: e.message })));
    box.hidden = loose.length === 0;
    const freeze = $('freeze');
    const cpuMs = params.workload === 'io' ? 0 : params.cpuMs;
    freeze.hidden = !(params.models.includes('asyncio') && cpuMs > 0 && errors.length === 0);
    freeze.textContent = `asyncio runs its CPU work on this page's own thread: the page will freeze for about ${((params.tasks * cpuMs) / 1000).toFixed(1)} s while it runs${params.yieldMs > 0 ? ', in slices of ' + params.yieldMs + ' ms' : ''}. That is the lesson.`;
    return { query, params, errors };
  }

  function onEdit() {
    const { query, params } = validate();
    history.replaceState(null, '', `${location.pathname}${query ? '?' + query : ''}`);
    showPython(query, params);
    $('share-box').hidden = true;
  }

  /** @param {string} query @param {Params} params */
  function showPython(query, params) {
    const tabs = $('python-tabs');
    const models = params.lab !== 'none' ? ['lab'] : params.models;
    if (!models.includes(state.pythonModel)) state.pythonModel = models[0];
    tabs.replaceChildren(
      ...models.map((m) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.role = 'tab';
        b.textContent = m === 'lab' ? `${params.lab} lab` : m;
        b.setAttribute('aria-selected', String(m === state.pythonModel));
        b.addEventListener('click', () => {
          state.pythonModel = m;
          showPython(query, params);
        });
        return b;
      }),
    );
    let code = '';
    try {
      code = wasm.pythonScript(query, state.pythonModel === 'lab' ? 'sequential' : state.pythonModel);
    } catch (e) {
      code = `# Fix the scenario first: ${e instanceof Error ? e.message : e}`;
    }
    $('python-code').textContent = code;
    const model = state.pythonModel === 'lab' ? 'sequential' : state.pythonModel;
    let file = 'scenario.py';
    try {
      file = wasm.pythonFilename(query, model);
    } catch {
      // The scenario has errors: the code panel already says so.
    }
    const how = $('python-how');
    how.replaceChildren(
      'Save it as ',
      Object.assign(document.createElement('code'), { textContent: file }),
      ' and run ',
      Object.assign(document.createElement('code'), { textContent: `python3 ${file}` }),
      ' (Python 3.8 or later, standard library only): it prints each task as it finishes, then the wall time and a speedup, and a last RESULT line in JSON.',
    );
  }

  /** @param {Params} params */
  function matrixOptions(params) {
    return { cores: caps.cores, tasks: params.tasks, ioMs: params.ioMs, cpuMs: params.cpuMs, gil: params.gil };
  }

  /** @param {Result | null} r */
  function show(r) {
    state.shown = r;
    if (!r) {
      timeline.clear();
      return;
    }
    timeline.render(r.trace, { title: `${r.label}, ${r.workload}: ${r.wallMs.toFixed(1)} ms` });
    for (const tr of resultsTable.querySelectorAll('tbody tr')) {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      row.classList.toggle('selected', Number(row.dataset.index) === state.results.indexOf(r));
    }
  }

  function refreshResults() {
    renderResults(resultsTable, state.results);
    resultsTable.querySelectorAll('tbody tr').forEach((tr, i) => {
      const row = /** @type {HTMLTableRowElement} */ (tr);
      row.dataset.index = String(i);
      row.tabIndex = 0;
      row.addEventListener('click', () => show(state.results[i]));
      row.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          show(state.results[i]);
        }
      });
    });
    const has = state.results.length > 0;
    for (const id of ['export-json', 'export-csv', 'export-trace', 'export-png', 'export-svg']) button(id).disabled = !has;
  }

  /** @param {boolean} busy */
  function setBusy(busy) {
    for (const id of ['run', 'compare', 'sweep']) button(id).disabled = busy;
    button('stop').disabled = !busy;
    $('progress').hidden = !busy;
    form.setBusy(busy);
  }

  /**
   * Run a plan of steps, filling the results as they come.
   * @param {{compare?: boolean}} opts
   */
  async function start(opts = {}) {
    if (state.running) return;
    const { query, params, errors } = validate();
    if (errors.length) {
      setState('error');
      showError(`Nothing ran. Fix the scenario first: ${errors.map((/** @type {{message: string}} */ e) => e.message).join(' ')}`);
      status('');
      return;
    }
    showError('');
    const compare = opts.compare ?? params.compare;
    const steps = planSteps(params, { compare });
    const controller = new AbortController();
    state.running = controller;
    state.results = [];
    refreshResults();
    show(null);
    $('matrix-section').hidden = !compare;
    // A lab's figures are its own table; the timeline and the timing rows would be empty.
    const lab = params.lab !== 'none' && !compare;
    $('lab-section').hidden = !lab;
    $('timeline-section').hidden = lab;
    $('results-section').hidden = lab;
    const progress = /** @type {HTMLProgressElement} */ ($('progress'));
    progress.max = steps.length;
    progress.value = 0;
    setBusy(true);
    setState('running');
    /** @param {string} model */
    const skip = (model) => (model === 'threading' && !caps.threads ? caps.threadsReason : '');
    try {
      // Views a plain run never needs load when a run needs them.
      const { renderMatrix } = compare ? await import('./views/matrix.js') : { renderMatrix: () => {} };
      const { renderLab } = lab ? await import('./views/lab.js') : { renderLab: () => {} };
      renderMatrix($('matrix'), [], matrixOptions(params));
      const { itersPerMs } = await engine();
      await runPlan(
        steps,
        {
          query,
          parse: (q) => wasm.parseQuery(q).params,
          itersPerMs,
          caps,
          signal: controller.signal,
          onTrace: (trace) => timeline.render(trace, { title: 'running…' }),
        },
        {
          skip,
          onStart: (i, step) => {
            progress.value = i;
            status(`Running ${step.model}, ${step.workload === 'io' ? 'I/O' : step.workload.toUpperCase()} (${i + 1}/${steps.length})…`);
          },
          onResult: (r) => {
            state.results.push(r);
            refreshResults();
            show(r);
            if (compare) renderMatrix($('matrix'), state.results, matrixOptions(params));
            if (r.lab) renderLab($('lab'), r);
          },
        },
      );
      progress.value = steps.length;
      setState('done');
      const skipped = steps.filter((s) => skip(s.model)).length;
      status(`Done: ${state.results.length} result${state.results.length === 1 ? '' : 's'}.${skipped ? ' Threads were left out: ' + caps.threadsReason : ''}`);
      postToParent('results', { query, results: state.results.map(({ trace, ...r }) => r) });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') {
        setState('cancelled');
        status('Stopped. Every worker of the run was terminated.');
      } else {
        // A fault may leave a pool blocked: start clean next time.
        stopAll();
        import('./runners/threading.js').then((m) => m.stopHosts());
        setState('error');
        status('');
        showError(`The run failed: ${e instanceof Error ? e.message : e}`);
      }
    } finally {
      state.running = null;
      setBusy(false);
    }
  }

  function stop() {
    state.running?.abort();
  }

  button('run').addEventListener('click', () => start({ compare: false }));
  button('compare').addEventListener('click', () => start({ compare: true }));
  button('stop').addEventListener('click', stop);
  button('sweep').addEventListener('click', async () => {
    if (state.running) return;
    const { query, params, errors } = validate();
    if (errors.length) return start();
    const controller = new AbortController();
    state.running = controller;
    setBusy(true);
    setState('running');
    $('sweep-section').hidden = false;
    try {
      const { itersPerMs } = await engine();
      // The chart library loads only for a sweep: most visits never need it.
      const { runSweep } = await import('./views/sweep.js');
      await runSweep({
        root: $('sweep-chart'),
        table: /** @type {HTMLTableElement} */ ($('sweep-table')),
        query,
        params,
        caps,
        itersPerMs,
        signal: controller.signal,
        onProgress: (done, total, text) => {
          const progress = /** @type {HTMLProgressElement} */ ($('progress'));
          progress.max = total;
          progress.value = done;
          status(text);
        },
      });
      setState('done');
      status('Sweep done.');
    } catch (e) {
      const stopped = e instanceof DOMException && e.name === 'AbortError';
      setState(stopped ? 'cancelled' : 'error');
      if (!stopped) showError(`The sweep failed: ${e instanceof Error ? e.message : e}`);
      status(stopped ? 'Stopped.' : '');
    } finally {
      state.running = null;
      setBusy(false);
    }
  });

  async function share(/** @type {string} */ text, /** @type {string} */ label) {
    const box = $('share-box');
    const area = /** @type {HTMLTextAreaElement} */ ($('share-text'));
    $('share-label').textContent = label;
    area.value = text;
    box.hidden = false;
    area.select();
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // Clipboard needs focus and permission; the text stays selected to copy by hand.
    }
    $('share-status').textContent = copied ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C (⌘C) to copy.';
  }
  button('share').addEventListener('click', () => share(location.href, 'Link to this scenario'));
  button('embed').addEventListener('click', () => share(embedSnippet(location.href), 'Paste this into a course page'));
  button('copy-python').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('python-code').textContent ?? '');
      button('copy-python').textContent = 'Copied';
    } catch {
      button('copy-python').textContent = 'Select and copy';
    }
    setTimeout(() => (button('copy-python').textContent = 'Copy'), 1500);
  });
  button('export-json').addEventListener('click', () =>
    download(toJSON(state.results, wasm.parseQuery(currentQuery()).params), 'playground-results.json', 'application/json'),
  );
  button('export-csv').addEventListener('click', () => download(toCSV(state.results), 'playground-results.csv', 'text/csv'));
  button('export-trace').addEventListener('click', () =>
    import('./views/chrome-trace.js').then(({ chromeTrace }) =>
      download(JSON.stringify(chromeTrace(state.results)), 'playground-trace.json', 'application/json'),
    ),
  );
  button('export-png').addEventListener('click', async () => download(await timeline.toPNG(), 'playground-timeline.png', 'image/png'));
  button('export-svg').addEventListener('click', () => download(timeline.toSVG(), 'playground-timeline.svg', 'image/svg+xml'));

  // Tests and course pages drive the page through this, and through data-state.
  Object.assign(window, {
    playground: {
      liveWorkers,
      stop,
      run: () => start({ compare: false }),
      compare: () => start({ compare: true }),
      results: () => state.results.map(({ trace, ...r }) => r),
      traces: () => state.results.map((r) => r.trace),
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

  const first = validate();
  showPython(first.query, first.params);
  // The URL stays as the user gave it until they edit the form: its problems are shown,
  // including those the form cannot hold (unknown or repeated parameters).
  const fromUrl = wasm.parseQuery(location.search).errors;
  const loose = fromUrl.filter((/** @type {{name: string}} */ e) => !form.fields.has(e.name));
  if (loose.length) {
    const box = $('form-errors');
    box.replaceChildren(...loose.map((/** @type {{message: string}} */ e) => Object.assign(document.createElement('p'), { textContent: e.message })));
    box.hidden = false;
  }
  for (const id of ['run', 'compare', 'sweep', 'share', 'embed']) button(id).disabled = false;
  setState('ready');
  status('Ready. Choose a scenario and press Run.');
  if (embedded) {
    startEmbed({
      form,
      currentQuery,
      caps,
      commands: { run: () => button('run').click(), stop: () => button('stop').click() },
    });
  }
  if (initial.get('run') === '1') {
    if (fromUrl.length) {
      setState('error');
      status('');
      showError(`Nothing ran. Fix the scenario first: ${fromUrl.map((/** @type {{message: string}} */ e) => e.message).join(' ')}`);
    } else {
      start({ compare: initial.get('compare') === '1' });
    }
  }
}

main();
