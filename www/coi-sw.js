// The playground's service worker, for two jobs:
//
// 1. Cross-origin isolation on hosts that cannot send headers (GitHub Pages): it re-serves
//    every same-origin response with the isolation headers the dev server and `_headers`
//    send, so the browser grants SharedArrayBuffer and the threading model can run. The
//    technique is coi-serviceworker's (Guido Zuidhof, MIT):
//    https://github.com/gzuidhof/coi-serviceworker. These lines are written for this page:
//    same-origin responses only, and Document-Isolation-Policy on the embed document so it
//    is isolated even inside a course page that is not.
// 2. Offline: a page loaded before a classroom's network drops keeps working, and opens
//    again offline. Every same-origin response is served from the network when it answers
//    and kept in a cache; when it does not, the kept copy is served. Once the page is ready
//    it asks for everything it may need later (the runners, the labs, the builds, the Python
//    panel: `offline.json`, written by the build) to be kept at once (page/offline.js).
//
// Registered by coi.js on every page that can have one; its scope is the folder it is
// served from, so it works under any sub-path.

/** The one cache: a file's latest copy, by its URL without the query. */
const CACHE = 'playground-offline';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const data = event.data;
  // A page loaded past this worker (a forced reload) asks to come back under it: take it
  // over, then navigate it to itself, a navigation this worker serves.
  const client = event.source;
  if (data === 'playground:coi:reload' && client instanceof WindowClient) {
    event.waitUntil(self.clients.claim().then(() => client.navigate(client.url)));
  } else if (data?.type === 'playground:keep' && event.ports[0]) {
    event.waitUntil(keepAll(data.manifest, event.ports[0]));
  }
});

/** The headers the dev server sends (serve.json); the embed document also gets DIP. */
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // Leave other origins alone, and Chrome's devtools requests that fail when re-fetched
  // (https://bugs.chromium.org/p/chromium/issues/detail?id=823392).
  if (new URL(request.url).origin !== self.location.origin || request.method !== 'GET') return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(serve(request, event));
});

/**
 * The network's answer, kept for later; the kept copy when the network does not answer.
 * @param {Request} request @param {FetchEvent} event
 */
async function serve(request, event) {
  let response;
  try {
    response = await fetch(request);
  } catch (e) {
    const kept = await caches.match(keyOf(request.url), { cacheName: CACHE });
    if (!kept) throw e;
    return withIsolation(kept, request.url);
  }
  if (response.ok && response.type === 'basic') {
    const copy = response.clone();
    event.waitUntil(caches.open(CACHE).then((cache) => cache.put(keyOf(request.url), copy)).catch(() => {}));
  }
  return withIsolation(response, request.url);
}

/**
 * The cache's key for a URL: without its query, which only picks a scenario (`?workload=`)
 * or a fresh copy of a module (`?instance=`), never another file.
 * @param {string} url
 */
function keyOf(url) {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href;
}

/**
 * A response with the isolation headers.
 * @param {Response} response @param {string} url
 */
function withIsolation(response, url) {
  // Redirects (navigations fetch them as opaque) and errors pass through untouched.
  if (response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [key, value] of Object.entries(ISOLATION)) headers.set(key, value);
  // As the headers say where a host sends them: no guessing a script's type.
  if (!headers.has('X-Content-Type-Options')) headers.set('X-Content-Type-Options', 'nosniff');
  // Cloudflare Pages serves embed.html as /embed: both names are the embed document.
  if (/\/embed(\.html)?$/.test(new URL(url).pathname)) {
    headers.set('Document-Isolation-Policy', 'isolate-and-require-corp');
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * Keep every file the manifest lists, and answer on `port` with how many are kept and
 * which could not be. A manifest of the same version as the one kept fetches only what
 * the cache lacks; a new version fetches everything again.
 * @param {{version: string, files: string[]}} manifest @param {MessagePort} port
 */
async function keepAll(manifest, port) {
  /** @type {string[]} */
  const failed = [];
  try {
    const cache = await caches.open(CACHE);
    // Not offline.json's own key: the page's fetch of the new manifest is kept there first.
    const versionKey = new URL('.kept-version', self.registration.scope).href;
    const keptVersion = await cache
      .match(versionKey)
      .then((r) => r?.json())
      .then((m) => m?.version)
      .catch(() => undefined);
    const urls = manifest.files.map((f) => keyOf(new URL(f, self.registration.scope).href));
    const have = new Set(keptVersion === manifest.version ? (await cache.keys()).map((r) => r.url) : []);
    await Promise.all(
      urls
        .filter((url) => !have.has(url))
        .map(async (url) => {
          try {
            const response = await fetch(url, { cache: 'no-cache' });
            if (!response.ok) throw new Error(`HTTP ${response.status}`);
            await cache.put(url, response);
          } catch {
            failed.push(new URL(url).pathname);
          }
        }),
    );
    // The manifest too: a page loaded offline asks for it again.
    const json = { headers: { 'Content-Type': 'application/json' } };
    await cache.put(keyOf(new URL('offline.json', self.registration.scope).href), new Response(JSON.stringify(manifest), json));
    if (!failed.length) await cache.put(versionKey, new Response(JSON.stringify({ version: manifest.version }), json));
    port.postMessage({ kept: urls.length - failed.length, failed });
  } catch (e) {
    port.postMessage({ kept: 0, failed, error: e instanceof Error ? e.message : String(e) });
  }
}
