// @ts-check
/**
 * The Python panel: the runnable script for the scenario, one tab per model (or the lab's
 * one script), from the Python build, which loads once the page is ready: its template
 * engine would double the size of the build the page needs to start.
 */

/** @type {Promise<typeof import('../pkg/python/concurrency_playground.js')> | null} */
let python = null;

/** The Python build, loaded on first use. */
function load() {
  python ??= (async () => {
    const glue = await import('../pkg/python/concurrency_playground.js');
    await glue.default({ module_or_path: new URL('../pkg/python/concurrency_playground_bg.wasm', import.meta.url) });
    return glue;
  })().catch((e) => {
    python = null;
    throw e;
  });
  return python;
}

/** Load the Python build now, in idle time, so the panel fills without waiting. */
export function preload() {
  load().catch(() => {});
}

/**
 * What running the script shows, in a sentence per case, and the Python it needs.
 * @param {string} model the tab's model, or 'lab'
 * @param {{lab: string, gil: boolean}} params
 */
export function howTo(model, params) {
  if (params.lab === 'race') {
    return {
      python: params.gil ? 'CPython 3.10 or later' : 'free-threaded Python, python3.13t -X gil=0 (standard CPython runs it too, with the GIL)',
      what: 'it runs three ways of sharing (counter += 1, the bank account with no lock, the bank account with a threading.Lock) and prints for each what it should end at, what it ended at and how many updates were lost',
    };
  }
  if (params.lab === 'blocking') {
    return {
      python: 'Python 3.9 or later (asyncio.to_thread)',
      what: "it waits three ways (time.sleep in a coroutine, asyncio.to_thread, asyncio.sleep) and prints each one's wall time and how long the loop was stuck",
    };
  }
  if (params.lab === 'isolation') {
    return { python: 'Python 3.8 or later', what: "it prints each process's own counter, then the parent's, which the processes never changed, and the shared one if asked for" };
  }
  if (model === 'sequential') {
    return { python: 'Python 3.8 or later', what: 'it runs the tasks one after another, prints when each one finished, then the wall time: the baseline the other scripts beat or not' };
  }
  if (model === 'asyncio-threads' || model === 'asyncio-processes') {
    const how = model === 'asyncio-threads' ? 'asyncio.to_thread' : 'loop.run_in_executor with a ProcessPoolExecutor';
    return {
      python: `Python ${model === 'asyncio-threads' ? '3.9' : '3.8'} or later`,
      what: `it runs the tasks one after another first, then on the event loop with their work handed to ${how}, and prints both wall times and the speedup`,
    };
  }
  const free = model === 'threading' && !params.gil ? ' (with the GIL off, free-threaded Python: python3.13t -X gil=0)' : '';
  return {
    python: `Python 3.8 or later${free}`,
    what: `it runs the tasks one after another first, then the ${model} way, and prints when each task finished, both wall times and the speedup of one over the other`,
  };
}

export class PythonPanel {
  /**
   * @param {{tabs: HTMLElement, code: HTMLElement, how: HTMLElement, box: HTMLElement, expand: HTMLButtonElement}} els
   */
  constructor(els) {
    this.els = els;
    this.model = 'asyncio';
    /** @type {{query: string, models: string[], lab: string, gil: boolean} | null} */
    this.shown = null;
    els.tabs.addEventListener('keydown', (e) => this.onKey(e));
    // The whole script, or a window on it: a long script is read in the page, not in a box.
    els.expand.addEventListener('click', () => {
      const open = els.expand.getAttribute('aria-expanded') !== 'true';
      els.expand.setAttribute('aria-expanded', String(open));
      els.expand.textContent = open ? 'Show less of the script' : 'Show the whole script';
      els.box.classList.toggle('expanded', open);
    });
  }

  /**
   * Show the script for `query`: one tab per model, or the lab's.
   * @param {string} query @param {{models: string[], lab: string, gil: boolean}} params
   */
  async show(query, params) {
    const models = params.lab !== 'none' ? ['lab'] : params.models;
    if (!models.includes(this.model)) this.model = models[0];
    this.shown = { query, models, lab: params.lab, gil: params.gil };
    this.tabs(models, params.lab);
    const model = this.model === 'lab' ? 'sequential' : this.model;
    const { code, how } = this.els;
    let glue;
    try {
      glue = await load();
    } catch (e) {
      code.textContent = `# The Python scripts could not load: ${e instanceof Error ? e.message : e}`;
      return;
    }
    // A newer scenario may have been shown meanwhile.
    if (this.shown?.query !== query) return;
    let file = 'scenario.py';
    try {
      code.textContent = glue.pythonScript(query, model);
      file = glue.pythonFilename(query, model);
    } catch (e) {
      code.textContent = `# Fix the scenario first: ${e instanceof Error ? e.message : e}`;
    }
    const { python, what } = howTo(this.model, params);
    how.replaceChildren(
      'Save it as ',
      Object.assign(document.createElement('code'), { textContent: file }),
      ' and run ',
      Object.assign(document.createElement('code'), { textContent: `python3 ${file}` }),
      ` (${python}, standard library only): ${what}, then a last RESULT line in JSON.`,
    );
  }

  /** @private @param {string[]} models @param {string} lab */
  tabs(models, lab) {
    const { tabs } = this.els;
    const have = [...tabs.querySelectorAll('[role=tab]')].map((b) => /** @type {HTMLElement} */ (b).dataset.model);
    if (have.join() === models.join()) {
      // The same tabs: mark the selected one in place, so the focused tab keeps the focus.
      for (const b of tabs.querySelectorAll('[role=tab]')) {
        const t = /** @type {HTMLButtonElement} */ (b);
        const selected = t.dataset.model === this.model;
        t.setAttribute('aria-selected', String(selected));
        t.tabIndex = selected ? 0 : -1;
        if (t.dataset.model === 'lab') t.textContent = `${lab} lab`;
      }
      this.els.box.setAttribute('aria-labelledby', `python-tab-${this.model}`);
      return;
    }
    this.els.box.setAttribute('aria-labelledby', `python-tab-${this.model}`);
    tabs.replaceChildren(
      ...models.map((m) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.role = 'tab';
        b.id = `python-tab-${m}`;
        b.dataset.model = m;
        b.textContent = m === 'lab' ? `${lab} lab` : m;
        const selected = m === this.model;
        b.setAttribute('aria-selected', String(selected));
        b.setAttribute('aria-controls', 'python-code-box');
        // One tab stop for the list: the arrow keys move between tabs (WAI-ARIA tabs).
        b.tabIndex = selected ? 0 : -1;
        b.addEventListener('click', () => this.select(m));
        return b;
      }),
    );
  }

  /** @private @param {string} model @param {boolean} [focus] */
  select(model, focus = false) {
    this.model = model;
    if (this.shown) void this.show(this.shown.query, { models: this.shown.models, lab: this.shown.lab, gil: this.shown.gil });
    if (focus) /** @type {HTMLElement | null} */ (this.els.tabs.querySelector(`[data-model="${model}"]`))?.focus();
  }

  /** @private @param {KeyboardEvent} e */
  onKey(e) {
    const models = this.shown?.models ?? [];
    // From the tab that has the focus (it may not be the selected one).
    const focused = /** @type {HTMLElement} */ (e.target).closest?.('[role=tab]');
    const i = models.indexOf(/** @type {HTMLElement | null} */ (focused)?.dataset.model ?? this.model);
    if (i < 0 || models.length < 2) return;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: models.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    this.select(models[(to + models.length) % models.length], true);
  }
}
