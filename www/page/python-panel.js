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

export class PythonPanel {
  /**
   * @param {{tabs: HTMLElement, code: HTMLElement, how: HTMLElement}} els
   */
  constructor(els) {
    this.els = els;
    this.model = 'asyncio';
    /** @type {{query: string, models: string[], lab: string} | null} */
    this.shown = null;
    els.tabs.addEventListener('keydown', (e) => this.onKey(e));
  }

  /**
   * Show the script for `query`: one tab per model, or the lab's.
   * @param {string} query @param {{models: string[], lab: string}} params
   */
  async show(query, params) {
    const models = params.lab !== 'none' ? ['lab'] : params.models;
    if (!models.includes(this.model)) this.model = models[0];
    this.shown = { query, models, lab: params.lab };
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
    const what =
      params.lab === 'race'
        ? 'it prints, for each way of sharing, what was expected, what came out and how many updates were lost'
        : params.lab === 'isolation'
          ? "it prints each process's own counter, the parent's, and the shared one"
          : params.lab === 'blocking'
            ? "it waits three ways (time.sleep in a coroutine, asyncio.to_thread, asyncio.sleep) and prints each one's wall time and the loop's lag"
            : 'it runs the tasks one after another, then the same tasks the model\'s way, and prints both times and the speedup';
    how.replaceChildren(
      'Save it as ',
      Object.assign(document.createElement('code'), { textContent: file }),
      ' and run ',
      Object.assign(document.createElement('code'), { textContent: `python3 ${file}` }),
      ` (Python 3.11 or later, standard library only): ${what}, then a last RESULT line in JSON.`,
    );
  }

  /** @private @param {string[]} models @param {string} lab */
  tabs(models, lab) {
    const { tabs } = this.els;
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
    if (this.shown) void this.show(this.shown.query, { models: this.shown.models, lab: this.shown.lab });
    if (focus) /** @type {HTMLElement | null} */ (this.els.tabs.querySelector(`[data-model="${model}"]`))?.focus();
  }

  /** @private @param {KeyboardEvent} e */
  onKey(e) {
    const models = this.shown?.models ?? [];
    const i = models.indexOf(this.model);
    if (i < 0 || models.length < 2) return;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: models.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    this.select(models[(to + models.length) % models.length], true);
  }
}
