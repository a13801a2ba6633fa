// @ts-check
/**
 * The embed view's link to its parent page: a ready <iframe> snippet, and messages that
 * tell the parent the embed's height and its results.
 *
 * Message shape (documented in docs/embedding.md), posted to the parent with target "*"
 * because a course page's origin is not known in advance and nothing private is sent:
 *   {source: 'concurrency-playground', type: 'height', height: number}
 *   {source: 'concurrency-playground', type: 'results', query: string, results: Result[]}
 */

export const SOURCE = 'concurrency-playground';

/**
 * @param {string} type
 * @param {object} body
 */
export function postToParent(type, body) {
  if (window.parent === window) return;
  window.parent.postMessage({ source: SOURCE, type, ...body }, '*');
}

/** Tell the parent our height whenever it changes, so it can size the iframe. */
export function watchHeight() {
  let last = 0;
  const send = () => {
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height !== last) {
      last = height;
      postToParent('height', { height });
    }
  };
  new ResizeObserver(send).observe(document.body);
  send();
}

/**
 * An <iframe> snippet for the scenario at `href`, in the embed view.
 * @param {string} href
 */
export function embedSnippet(href) {
  const url = new URL(href);
  url.searchParams.set('embed', '1');
  url.searchParams.delete('run');
  const src = url.toString().replaceAll('%2C', ',').replaceAll('&', '&amp;');
  return `<iframe src="${src}" title="Concurrency Playground" width="100%" height="720" loading="lazy" allow="cross-origin-isolated; clipboard-write" style="border:0"></iframe>`;
}
