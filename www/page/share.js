// @ts-check
/**
 * Sharing and exporting: the link to the scenario, the <iframe> snippet for a course page,
 * the Python script to the clipboard, and the results as JSON, CSV, a Perfetto trace, or
 * the timeline as PNG or SVG.
 */
import { embedSnippet } from '../embed.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * Save `data` as a file called `name`.
 * @param {Blob | string} data @param {string} name @param {string} type
 */
export function download(data, name, type) {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * Show `text` to copy, selected, and copy it to the clipboard where the browser allows.
 * @param {string} text @param {string} label
 */
async function share(text, label) {
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

/**
 * Wire the share and export buttons.
 * @param {object} o
 * @param {() => import('../shared/types.js').Result[]} o.results every round of the last run
 * @param {() => unknown} o.params the last run's scenario
 * @param {() => {toPNG: () => Promise<Blob>, toSVG: () => string} | null} o.timeline the picture, once there is one
 */
export function wireSharing({ results, params, timeline }) {
  const on = (/** @type {string} */ id, /** @type {() => void} */ f) => $(id).addEventListener('click', f);
  on('share', () => share(location.href, 'Link to this scenario'));
  on('embed', () => share(embedSnippet(location.href), 'Paste this into a course page'));
  on('copy-python', async () => {
    const b = $('copy-python');
    try {
      await navigator.clipboard.writeText($('python-code').textContent ?? '');
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy';
    }
    setTimeout(() => (b.textContent = 'Copy'), 1500);
  });
  on('export-json', async () => {
    const { toJSON } = await import('../views/results.js');
    download(toJSON(results(), params()), 'playground-results.json', 'application/json');
  });
  on('export-csv', async () => {
    const { toCSV } = await import('../views/results.js');
    download(toCSV(results()), 'playground-results.csv', 'text/csv');
  });
  on('export-trace', async () => {
    const { chromeTrace } = await import('../views/chrome-trace.js');
    download(JSON.stringify(chromeTrace(results())), 'playground-trace.json', 'application/json');
  });
  on('export-png', async () => {
    const t = timeline();
    if (t) download(await t.toPNG(), 'playground-timeline.png', 'image/png');
  });
  on('export-svg', () => {
    const t = timeline();
    if (t) download(t.toSVG(), 'playground-timeline.svg', 'image/svg+xml');
  });
}
