// A service worker that makes the playground cross-origin isolated on hosts that cannot
// send headers (GitHub Pages): it re-serves every same-origin response with the isolation
// headers the dev server and `_headers` send, so the browser grants SharedArrayBuffer and
// the threading model can run.
//
// The technique is coi-serviceworker's (Guido Zuidhof, MIT):
// https://github.com/gzuidhof/coi-serviceworker. These few lines are written for this
// page: same-origin responses only, and Document-Isolation-Policy on the embed document
// so it is isolated even inside a course page that is not.
//
// Registered by coi.js, only when the page is not isolated already; its scope is the
// folder it is served from, so it works under any sub-path.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
// A page loaded past this worker (a forced reload) asks to come back under it: take it over,
// then navigate it to itself, a navigation this worker serves.
self.addEventListener('message', (event) => {
  const client = event.source;
  if (event.data !== 'playground:coi:reload' || !(client instanceof WindowClient)) return;
  event.waitUntil(self.clients.claim().then(() => client.navigate(client.url)));
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
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(withIsolation(request));
});

/** @param {Request} request */
async function withIsolation(request) {
  const response = await fetch(request);
  // Redirects (navigations fetch them as opaque) and errors pass through untouched.
  if (response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [key, value] of Object.entries(ISOLATION)) headers.set(key, value);
  // Cloudflare Pages serves embed.html as /embed: both names are the embed document.
  if (/\/embed(\.html)?$/.test(new URL(request.url).pathname)) {
    headers.set('Document-Isolation-Policy', 'isolate-and-require-corp');
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
