// @ts-check
/**
 * The embed view (embed.html, or any page with `?embed=1`): a compact page for a course
 * site's iframe, its link to the parent page, and the <iframe> snippet that embeds it.
 *
 * Messages to the parent (docs/embedding.md), posted to the parent page's origin only
 * (`parentOrigin`), never to "*"; none when that origin cannot be known:
 *   {source: 'concurrency-playground', type: 'ready', version: 1, query: string,
 *    crossOriginIsolated: boolean, threads: boolean, threadsReason: string}
 *   {source: 'concurrency-playground', type: 'height', height: number}   (CSS pixels)
 *   {source: 'concurrency-playground', type: 'results', query: string, results: Result[]}
 *
 * Messages from the parent: exactly {source: 'concurrency-playground', type: 'run'} or
 * {..., type: 'stop'}, from window.parent and its origin, after 'ready'. Anything else is
 * ignored and counted (window.playground.ignoredMessages); nothing in a message ever reaches
 * the page.
 */

export const SOURCE = 'concurrency-playground';
/** Bumped when a message's shape changes incompatibly. */
export const VERSION = 1;

/** Messages the embed ignored, for debugging a course page's script. */
export const messageLog = { ignored: 0, /** @type {string[]} */ reasons: [] };

/** @type {string | null | undefined} */
let parentOriginFound;
let silenceLogged = false;

/**
 * The origin of the page this one is framed in, or null when there is none or it cannot be
 * named: the only origin the embed posts to and takes commands from.
 *
 * `location.ancestorOrigins` names it (Chromium, WebKit; Firefox ESR 153 has it too),
 * whatever the parent's referrer policy. A browser without it (older Firefox) has the
 * referrer: the parent's URL, or its origin under the default policy. A referrer from another
 * page than the parent (a third page navigated the frame) names an origin the parent does
 * not have, and the browser then drops the messages: they never reach another page. An
 * opaque parent ('null': a sandboxed frame, a file:// page) cannot be named as a target, nor
 * can one that sends no referrer to a browser without `ancestorOrigins`.
 */
export function parentOrigin() {
  if (parentOriginFound !== undefined) return parentOriginFound;
  /** @type {string | null} */
  let origin = null;
  if (window.parent !== window) {
    const named = location.ancestorOrigins ? location.ancestorOrigins[0] : document.referrer;
    try {
      const url = new URL(named ?? '');
      // A file:// page's origin is opaque, though Chromium writes it "file://" (in
      // ancestorOrigins and URL.origin alike) and then refuses it as a target.
      if (url.protocol !== 'file:' && url.origin !== 'null') origin = url.origin;
    } catch {
      // '' (no referrer) or 'null' (an opaque origin): nothing to name.
    }
  }
  parentOriginFound = origin;
  return origin;
}

/**
 * Post to the parent page, at its origin only. When that origin is unknown nothing is posted:
 * the only target left would be "*", which promises nothing about who reads the scenario and
 * the results, so the embed stays silent rather than guess. It works all the same; the course
 * page keeps the iframe's fixed height and gets no results.
 * @param {'ready'|'height'|'results'} type
 * @param {object} body
 */
export function postToParent(type, body) {
  if (window.parent === window) return;
  const origin = parentOrigin();
  if (origin === null) {
    if (!silenceLogged) console.warn(`${SOURCE}: the parent page's origin is unknown (opaque, or no referrer): this embed sends it no messages (docs/embedding.md)`);
    silenceLogged = true;
    return;
  }
  window.parent.postMessage({ source: SOURCE, type, ...body }, origin);
}

/**
 * Tell the parent our height whenever it changes, so it can size the iframe.
 *
 * In a short iframe (a course page that strips scripts keeps the snippet's fixed height) the
 * results scroll inside their own panel, below Run and Stop (style.css, "embed view"); the
 * height sent is then what the page would need to show everything, so a parent that does
 * size the iframe makes it that tall, and the panel stops scrolling.
 */
export function watchHeight() {
  let last = 0;
  const panel = /** @type {HTMLElement | null} */ (document.querySelector('.panel.results'));
  const send = () => {
    // The document's own height, not scrollHeight: that never drops below the iframe's
    // height, so an iframe sized by these messages could grow but never shrink.
    const own = document.documentElement.getBoundingClientRect().height;
    const hidden = panel ? Math.max(0, panel.scrollHeight - panel.clientHeight) : 0;
    const height = Math.ceil(own + hidden);
    if (height !== last) {
      last = height;
      postToParent('height', { height });
    }
  };
  const watch = new ResizeObserver(send);
  watch.observe(document.documentElement);
  for (const child of panel?.children ?? []) watch.observe(child);
  send();
}

/**
 * The scenario's query without the page's own parameters (embed, run, compare: what the page
 * does on load, which the course page's author adds by hand), with readable commas.
 * @param {string} search
 */
function scenarioQuery(search) {
  const params = new URLSearchParams(search);
  for (const k of ['embed', 'run', 'compare']) params.delete(k);
  return params.toString().replaceAll('%2C', ',');
}

/**
 * The full playground for a scenario, relative to the embed so it works under any sub-path.
 * @param {string} query
 */
export function fullHref(query) {
  const q = scenarioQuery(query);
  return `index.html${q ? '?' + q : ''}`;
}

/** The snippet's height: the compact view with a run's timeline and a few result rows. */
export const SNIPPET_HEIGHT = 900;

/**
 * An <iframe> snippet for the scenario at `href` (the full page's URL), in the embed view.
 * It is for the course page, not this one, so its style attribute is no CSP concern.
 * @param {string} href
 */
export function embedSnippet(href) {
  const page = new URL(href);
  const url = new URL('embed.html', page);
  url.search = scenarioQuery(page.search);
  const src = url.toString().replaceAll('&', '&amp;');
  return `<iframe src="${src}" title="Concurrency Playground" width="100%" height="${SNIPPET_HEIGHT}" allow="cross-origin-isolated" loading="lazy" style="border:0"></iframe>`;
}

/**
 * Make the page compact: the basic settings and every other parameter the URL sets stay
 * (the advanced ones open, without their disclosure), the rest of the form hides (CSS hides
 * the other sections: style.css, "embed view").
 * @param {{fields: Map<string, HTMLElement>, fieldsets: Map<string, HTMLFieldSetElement>, openAdvanced: () => void}} form
 * @param {URLSearchParams} url
 */
function compactForm(form, url) {
  let advanced = 0;
  for (const [group, fieldset] of form.fieldsets) {
    let shown = 0;
    for (const [name, field] of form.fields) {
      if (field.closest('fieldset') !== fieldset) continue;
      const show = group === 'basic' || url.has(name);
      field.classList.toggle('embed-hide', !show);
      if (show) shown++;
    }
    fieldset.classList.toggle('embed-hide', shown === 0);
    if (group !== 'basic') advanced += shown;
  }
  if (advanced) form.openAdvanced();
}

/**
 * Why a message is not a command we take: '' when it is one.
 * @param {MessageEvent} event
 * @param {Record<string, () => void>} commands
 */
function rejectReason(event, commands) {
  if (window.parent === window || event.source !== window.parent) return 'not from the parent page';
  const origin = parentOrigin();
  if (origin === null) return "the parent page's origin is unknown";
  if (event.origin !== origin) return "not from the parent page's origin";
  const data = event.data;
  if (data === null || typeof data !== 'object' || Object.getPrototypeOf(data) !== Object.prototype) return 'not a plain object';
  if (data.source !== SOURCE) return 'no source: "concurrency-playground"';
  if (typeof data.type !== 'string' || !Object.hasOwn(commands, data.type)) return 'unknown type';
  if (Object.keys(data).some((k) => k !== 'source' && k !== 'type')) return 'unexpected fields';
  return '';
}

/**
 * Start the embed view, once the page is ready: compact form, "Open full playground" link
 * kept on the current scenario, height and ready messages, and the parent's commands.
 * @param {object} opts
 * @param {{root: HTMLFormElement, fields: Map<string, HTMLElement>, fieldsets: Map<string, HTMLFieldSetElement>, openAdvanced: () => void}} opts.form
 * @param {() => string} opts.currentQuery the scenario as the URL holds it
 * @param {import('./capabilities.js').Capabilities} opts.caps
 * @param {Record<string, () => void>} opts.commands what the parent may ask: run, stop
 */
export function startEmbed({ form, currentQuery, caps, commands }) {
  compactForm(form, new URLSearchParams(location.search));
  const link = /** @type {HTMLAnchorElement} */ (document.getElementById('open-full'));
  const update = () => (link.href = fullHref(currentQuery()));
  form.root.addEventListener('input', update);
  form.root.addEventListener('change', update);
  update();

  window.addEventListener('message', (event) => {
    const why = rejectReason(event, commands);
    if (why) {
      messageLog.ignored++;
      messageLog.reasons.push(why);
      if (messageLog.reasons.length > 20) messageLog.reasons.shift();
      console.debug(`concurrency-playground: ignored a message (${why})`);
      return;
    }
    commands[event.data.type]();
  });

  watchHeight();
  postToParent('ready', {
    version: VERSION,
    query: currentQuery(),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    threads: caps.threads,
    threadsReason: caps.threadsReason,
  });
}
