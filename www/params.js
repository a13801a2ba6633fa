// @ts-check
/**
 * The scenario as the page holds it: the form's raw text, valid or not, and the query string
 * that is its permalink. The Rust schema parses both ways (`src/params.rs`): the page, the
 * workers and the URL go through one parser, so they can never disagree.
 */
import { core } from './engine.js';

/**
 * @typedef {{type: 'int', min: number, max: number, optional: boolean}
 *   | {type: 'choice', choices: string[]} | {type: 'list', choices: string[]}} Kind
 * @typedef {{name: string, label: string, unit: string, help: string, kind: Kind,
 *   group: string, basic: boolean, range: string, default: string}} Spec
 * @typedef {{name: string, value: string, range: string, message: string}} ParamError
 * @typedef {{name: string, message: string}} Notice
 * @typedef {{workload: string, tasks: number, ioMs: number, cpuMs: number,
 *   threads: number|null, processes: number|null, gil: boolean, switchMs: number,
 *   yieldMs: number, pool: boolean, payloadKb: number, models: string[], repeat: number|null,
 *   compare: boolean, lab: string, increments: number, shared: boolean, run: boolean,
 *   embed: boolean}} Params
 * @typedef {{params: Params, errors: ParamError[], more: number, raw: [string, string][],
 *   notices: Notice[]}} Parsed
 * @typedef {'run' | 'compare' | 'sweep'} Action
 */

/**
 * Parse a query for `action` (by default what its `compare` says).
 * @param {string} query @param {Action} [action]
 * @returns {Parsed}
 */
export function parse(query, action) {
  return core().parseQuery(query, action);
}

/**
 * The query string for raw values, as typed: short and stable (defaults left out).
 * @param {Map<string, string>} raw
 */
export function toQuery(raw) {
  return core().queryFromRaw([...raw]);
}

/**
 * Every problem's message in one text: the first few, then how many more.
 * @param {Parsed} parsed
 */
export function errorText(parsed) {
  const text = parsed.errors.map((e) => e.message).join(' ');
  return parsed.more > 0 ? `${text} And ${parsed.more} more.` : text;
}
