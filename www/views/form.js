// @ts-check
/**
 * The scenario form, built from the schema: one field per parameter, grouped in fieldsets,
 * each with its help text and a place for its error message. Values are raw text, so what
 * the user typed is never lost, valid or not. The schema's basic parameters come first; the
 * rest are one click away under "Advanced settings", which opens by itself when one of them
 * has a problem.
 */

/** @typedef {import('../shared/types.js').Spec} Spec */
/** @typedef {import('../shared/types.js').ParamError} ParamError */
/** @typedef {import('../shared/types.js').Parsed} Parsed */

/** Groups of the advanced settings, as fieldsets in this order, with their legends. */
const GROUPS = [
  ['threading', 'threading'],
  ['multiprocessing', 'multiprocessing'],
  ['asyncio', 'asyncio'],
  ['lab', 'Labs: shared data'],
  ['scenario', 'Measuring'],
];

export class ScenarioForm {
  /**
   * @param {HTMLFormElement} root
   * @param {Spec[]} schema
   * @param {() => void} onChange called after every edit
   */
  constructor(root, schema, onChange) {
    this.root = root;
    this.schema = schema.filter((s) => s.group !== 'page');
    /** @type {Map<string, HTMLFieldSetElement>} */
    this.fieldsets = new Map();
    /** @type {Map<string, HTMLElement>} field wrappers by parameter name */
    this.fields = new Map();
    root.replaceChildren();
    /** @param {string} key @param {string} legend @param {Spec[]} specs */
    const fieldset = (key, legend, specs) => {
      const fs = document.createElement('fieldset');
      fs.className = `group group-${key}`;
      fs.dataset.group = key;
      const lg = document.createElement('legend');
      lg.textContent = legend;
      const reason = document.createElement('p');
      reason.className = 'reason';
      reason.hidden = true;
      fs.append(lg, reason);
      for (const spec of specs) fs.append(this.field(spec));
      this.fieldsets.set(key, fs);
      return fs;
    };
    root.append(fieldset('basic', 'Scenario', this.schema.filter((s) => s.basic)));
    this.advanced = /** @type {HTMLDetailsElement} */ (document.createElement('details'));
    this.advanced.className = 'advanced';
    this.advancedSummary = document.createElement('summary');
    this.advancedSummary.textContent = 'Advanced settings';
    this.advanced.append(this.advancedSummary);
    for (const [group, legend] of GROUPS) {
      const specs = this.schema.filter((s) => s.group === group && !s.basic);
      if (specs.length) this.advanced.append(fieldset(group, legend, specs));
    }
    root.append(this.advanced);
    root.addEventListener('input', onChange);
    root.addEventListener('change', onChange);
  }

  /** @param {Spec} spec */
  field(spec) {
    const wrap = document.createElement('div');
    wrap.className = `field field-${spec.kind.type}`;
    wrap.dataset.param = spec.name;
    const id = `p-${spec.name}`;
    const helpId = `${id}-help`;
    const errId = `${id}-error`;
    const label = document.createElement(spec.kind.type === 'list' ? 'span' : 'label');
    label.className = 'field-label';
    label.textContent = spec.label;
    if (label instanceof HTMLLabelElement) label.htmlFor = id;
    /** @type {HTMLElement} */
    let control;
    if (spec.kind.type === 'choice') {
      const select = document.createElement('select');
      for (const c of spec.kind.choices) select.append(new Option(c, c));
      control = select;
    } else if (spec.kind.type === 'list') {
      const group = document.createElement('div');
      group.className = 'checks';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', spec.label);
      for (const c of spec.kind.choices) {
        const l = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.value = c;
        box.name = spec.name;
        l.append(box, document.createTextNode(` ${c}`));
        group.append(l);
      }
      control = group;
    } else {
      const input = document.createElement('input');
      input.type = 'text';
      input.inputMode = 'numeric';
      input.autocomplete = 'off';
      input.spellcheck = false;
      if (spec.kind.optional) input.placeholder = 'auto';
      control = input;
    }
    control.id = id;
    if (!(control instanceof HTMLDivElement)) /** @type {any} */ (control).name = spec.name;
    control.setAttribute('aria-describedby', `${helpId} ${errId}`);
    const row = document.createElement('div');
    row.className = 'control';
    row.append(control);
    if (spec.unit) {
      const unit = document.createElement('span');
      unit.className = 'unit';
      unit.textContent = spec.unit;
      row.append(unit);
    }
    const help = document.createElement('small');
    help.className = 'help';
    help.id = helpId;
    help.textContent = spec.help;
    const error = document.createElement('p');
    error.className = 'field-error';
    error.id = errId;
    error.setAttribute('aria-live', 'polite');
    wrap.append(label, row, help, error);
    this.fields.set(spec.name, wrap);
    return wrap;
  }

  /** @returns {Map<string, string>} raw text of every field */
  values() {
    const raw = new Map();
    for (const spec of this.schema) {
      const wrap = this.fields.get(spec.name);
      if (!wrap) continue;
      if (spec.kind.type === 'list') {
        const boxes = /** @type {NodeListOf<HTMLInputElement>} */ (wrap.querySelectorAll('input[type=checkbox]'));
        raw.set(spec.name, [...boxes].filter((b) => b.checked).map((b) => b.value).join(','));
      } else {
        const control = /** @type {HTMLInputElement | HTMLSelectElement} */ (wrap.querySelector('input, select'));
        raw.set(spec.name, control.value);
      }
    }
    return raw;
  }

  /**
   * Fill the form: raw values where given, defaults elsewhere.
   * @param {Map<string, string>} raw
   */
  fill(raw) {
    for (const spec of this.schema) {
      const wrap = this.fields.get(spec.name);
      if (!wrap) continue;
      const value = raw.get(spec.name) ?? spec.default;
      if (spec.kind.type === 'list') {
        const chosen = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
        const group = /** @type {HTMLElement} */ (wrap.querySelector('.checks'));
        for (const stray of group.querySelectorAll('[data-stray]')) stray.remove();
        for (const box of /** @type {NodeListOf<HTMLInputElement>} */ (wrap.querySelectorAll('input[type=checkbox]'))) {
          box.checked = chosen.includes(box.value);
        }
        // A value that is not a choice stays, checked and marked, so Run does not quietly
        // run without it: the error beside the field names it until it is unchecked.
        for (const c of chosen.filter((c) => !spec.kind.choices.includes(c))) {
          const l = document.createElement('label');
          l.dataset.stray = '';
          const box = document.createElement('input');
          box.type = 'checkbox';
          box.value = c;
          box.name = spec.name;
          box.checked = true;
          l.append(box, document.createTextNode(` ${c} (not a model)`));
          group.append(l);
        }
      } else if (spec.kind.type === 'choice') {
        const select = /** @type {HTMLSelectElement} */ (wrap.querySelector('select'));
        const v = value.trim().toLowerCase();
        // A value that is not a choice stays visible, so the user sees what the URL said.
        if (![...select.options].some((o) => o.value === v)) {
          const stray = new Option(value, value);
          stray.dataset.stray = '';
          select.append(stray);
          select.value = value;
        } else {
          select.value = v;
        }
      } else {
        /** @type {HTMLInputElement} */ (wrap.querySelector('input')).value = value;
      }
    }
  }

  /**
   * Show a parse's problems: each error beside its field, and those no field holds
   * (unknown or repeated parameters, and how many more there were) above the form.
   * @param {Parsed} parsed
   */
  showProblems(parsed) {
    this.showErrors(parsed.errors);
    const loose = parsed.errors.filter((e) => !this.fields.has(e.name)).map((e) => e.message);
    if (parsed.more > 0) loose.push(`And ${parsed.more} more problems.`);
    const box = /** @type {HTMLElement | null} */ (document.getElementById('form-errors'));
    if (!box) return;
    box.replaceChildren(...loose.map((m) => Object.assign(document.createElement('p'), { textContent: m })));
    box.hidden = loose.length === 0;
  }

  /**
   * Show each error beside its field; clear the others.
   * @param {ParamError[]} errors
   */
  showErrors(errors) {
    // A problem in a hidden field would be a problem nobody sees.
    if (errors.some((e) => this.advanced.contains(this.fields.get(e.name) ?? null))) this.advanced.open = true;
    for (const [name, wrap] of this.fields) {
      const mine = errors.filter((e) => e.name === name);
      const text = mine.map((e) => e.message).join(' ');
      /** @type {HTMLElement} */ (wrap.querySelector('.field-error')).textContent = text;
      wrap.classList.toggle('invalid', mine.length > 0);
      for (const c of wrap.querySelectorAll('input, select')) {
        if (mine.length) c.setAttribute('aria-invalid', 'true');
        else c.removeAttribute('aria-invalid');
      }
    }
  }

  /**
   * Say on the "Advanced settings" line how many of them differ from their defaults, so a
   * scenario's threads, GIL or lab are never set out of sight. @param {Map<string, string>} raw
   */
  countChanged(raw) {
    const changed = this.schema.filter((s) => !s.basic && raw.has(s.name) && raw.get(s.name) !== s.default).map((s) => s.label);
    this.advancedSummary.textContent = changed.length ? `Advanced settings: ${changed.join(', ')}` : 'Advanced settings';
  }

  /** Open the advanced settings (for a view that must show them). */
  openAdvanced() {
    this.advanced.open = true;
  }

  /**
   * Turn a group or one choice off with a one-line reason (a capability that is missing).
   * @param {string} group
   * @param {string} reason empty to enable
   */
  disableGroup(group, reason) {
    const fs = this.fieldsets.get(group);
    if (!fs) return;
    fs.disabled = reason !== '';
    const p = /** @type {HTMLElement} */ (fs.querySelector('.reason'));
    p.textContent = reason;
    p.hidden = reason === '';
  }

  /**
   * @param {string} param
   * @param {string} value
   * @param {string} reason empty to enable
   */
  disableChoice(param, value, reason) {
    const wrap = this.fields.get(param);
    const box = /** @type {HTMLInputElement | null} */ (wrap?.querySelector(`input[value="${value}"]`) ?? null);
    if (!box) return;
    box.disabled = reason !== '';
    if (reason) box.parentElement?.setAttribute('title', reason);
    else box.parentElement?.removeAttribute('title');
  }

  /**
   * Mark the form busy while a run goes on. It stays editable: a run keeps the scenario it
   * started with, and the next run takes the edits.
   * @param {boolean} busy
   */
  setBusy(busy) {
    this.root.classList.toggle('busy', busy);
  }
}
