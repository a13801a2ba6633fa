// @ts-check
/**
 * The one parameter schema, as the Rust core defines it, turned into a form, and the
 * form turned into a query string: the permalink, which every run and worker parses with
 * the same Rust parser. The URL keeps exactly what the user typed, valid or not.
 */

/**
 * @typedef {{type: 'int', min: number, max: number, optional: boolean}
 *   | {type: 'choice', choices: string[]} | {type: 'list', choices: string[]}} Kind
 * @typedef {{name: string, label: string, unit: string, help: string, kind: Kind,
 *   group: string, range: string, default: string}} Spec
 * @typedef {{name: string, value: string, range: string, message: string}} ParamError
 * @typedef {{workload: 'io'|'cpu'|'mixed', tasks: number, ioMs: number, cpuMs: number,
 *   threads: number|null, processes: number|null, gil: boolean, switchMs: number,
 *   yieldMs: number, pool: boolean, payloadKb: number, models: string[], compare: boolean,
 *   lab: 'none'|'race'|'isolation', increments: number, shared: boolean, run: boolean,
 *   embed: boolean}} Params
 */

/** Groups shown as fieldsets, in order, with their legends. */
export const GROUPS = [
  ['scenario', 'Scenario'],
  ['asyncio', 'asyncio'],
  ['threading', 'threading'],
  ['multiprocessing', 'multiprocessing'],
  ['lab', 'Lab'],
];

/**
 * Raw values from a query string, for the known parameters only (first occurrence).
 * @param {string} search
 * @param {Spec[]} schema
 * @returns {Map<string, string>}
 */
export function rawValues(search, schema) {
  const url = new URLSearchParams(search);
  const raw = new Map();
  for (const spec of schema) {
    const v = url.get(spec.name);
    if (v !== null) raw.set(spec.name, v);
  }
  return raw;
}

/**
 * The query string for raw values: every parameter whose text differs from its default,
 * in schema order, so permalinks are short and stable.
 * @param {Map<string, string>} raw
 * @param {Spec[]} schema
 */
export function toQuery(raw, schema) {
  const url = new URLSearchParams();
  for (const spec of schema) {
    const v = raw.get(spec.name);
    if (v !== undefined && v !== spec.default) url.set(spec.name, v);
  }
  // Commas are legal in a query; keep model lists readable.
  return url.toString().replaceAll('%2C', ',');
}

/**
 * The same query with some parameters replaced (for compare-all and sweeps).
 * @param {string} query
 * @param {Record<string, string>} changes
 */
export function withChanges(query, changes) {
  const url = new URLSearchParams(query);
  for (const [k, v] of Object.entries(changes)) url.set(k, v);
  for (const k of ['run', 'compare', 'embed']) url.delete(k);
  return url.toString().replaceAll('%2C', ',');
}
