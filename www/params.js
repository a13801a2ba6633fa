// @ts-check
/**
 * The scenario as the page holds it: the form's raw text, valid or not, and the query string
 * that is its permalink. The Rust schema parses both ways (`src/params.rs`): the page, the
 * workers and the URL go through one parser, so they can never disagree.
 */
import { core } from './engine.js';

/** @typedef {import('./shared/types.js').Parsed} Parsed */
/** @typedef {import('./shared/types.js').Action} Action */

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
