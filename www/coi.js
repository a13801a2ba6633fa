// @ts-check
/**
 * Cross-origin isolation on hosts that cannot send headers (GitHub Pages): register
 * coi-sw.js, which re-serves this site's responses with COOP, COEP and CORP, and reload
 * once so the page loads under it. A classic script in <head>, before main.js.
 *
 * - Already isolated (the dev server, a host with `_headers`): nothing to do here. The
 *   worker's other job, keeping the page for offline use, is page/offline.js's, once the
 *   page is ready.
 * - No service workers (plain http on another host, some private modes): nothing to do;
 *   threads stay off with their reason (engine.js) and every other model works.
 * - At most ONE automatic reload in a row, and only when this load is not controlled by the
 *   worker: a load the worker controls that is still not isolated is one a reload cannot
 *   fix, and so is a load that comes within RELOAD_WINDOW_MS of an automatic reload and is
 *   still not controlled (sessionStorage keeps when the last one was), so there is never a
 *   reload loop. A forced reload (Ctrl+Shift+R) later on bypasses the worker: that load is
 *   not controlled, the worker is active, and it comes back under the worker once more. (A
 *   flag cleared once isolated would not do: the switch to an isolated page's browsing
 *   context group hands a forced reload the storage from before the switch.)
 *
 * `window.coiReady` resolves with what happened once no reload is coming; main.js waits for
 * it, so nothing runs (and nothing is posted to an embedding page) on a load about to be
 * replaced. `<html data-coi>` says the same, for tests and curious readers.
 */
(() => {
  // Per document, so several embeds of one site on a course page each get their one reload.
  const KEY = `concurrency-playground:coi-reloaded:${location.pathname}${location.search}`;
  /** A load this soon after an automatic reload, still not under the worker, gives up. */
  const RELOAD_WINDOW_MS = 10 * 1000;
  /** How long to wait for the worker before carrying on without it. */
  const GIVE_UP_MS = 5000;
  const script = /** @type {HTMLScriptElement} */ (document.currentScript);
  /** @type {(outcome: string) => void} */
  let done = () => {};
  const w = /** @type {any} */ (window);
  w.coiReady = new Promise((resolve) => {
    done = (outcome) => {
      document.documentElement.dataset.coi = outcome;
      resolve(outcome);
    };
  });

  if (window.crossOriginIsolated) return done('isolated');
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return done('no-service-worker');
  const sw = navigator.serviceWorker;
  let reloaded;
  try {
    reloaded = Date.now() - Number(sessionStorage.getItem(KEY) ?? 0) < RELOAD_WINDOW_MS;
  } catch {
    // Storage blocked (a third-party iframe where third-party cookies are blocked, a
    // sandboxed frame): no loop guard, and no service worker either, so stop here.
    return done('no-storage');
  }
  // A load the worker serves but that is still not isolated (an iframe in a page that is
  // not isolated, in a browser without Document-Isolation-Policy): a reload cannot help.
  const hopeless = sw.controller !== null || reloaded;

  // Same folder as this script, so the worker's scope is the playground's folder, whatever
  // sub-path it is deployed under.
  const registering = sw.register(new URL('coi-sw.js', script.src));
  if (hopeless) {
    registering.catch(() => {});
    return done(sw.controller ? 'controlled-not-isolated' : 'reloaded-not-isolated');
  }

  let settled = false;
  /** @param {() => void} [how] how to reload (by default, location.reload) */
  const reload = (how = () => location.reload()) => {
    if (settled) return;
    settled = true;
    try {
      sessionStorage.setItem(KEY, String(Date.now()));
    } catch {
      return done('no-storage');
    }
    document.documentElement.dataset.coi = 'reloading';
    how();
  };
  const giveUp = (/** @type {string} */ why) => {
    if (settled) return;
    settled = true;
    done(why);
  };
  // The worker claims this page when it activates (clients.claim), which fires controllerchange.
  sw.addEventListener('controllerchange', () => reload());
  registering.then(
    (registration) => {
      // Playwright's serviceWorkers: 'block' resolves with nothing.
      if (!registration) return giveUp('register-failed');
      // Active already, but this load bypassed it (a forced reload, Ctrl+Shift+R): the
      // worker takes this page over and navigates it to itself, under the worker. A reload
      // from here would not do: Chromium keeps bypassing the worker when it reloads a page
      // that a forced reload loaded.
      if (registration.active) reload(() => registration.active?.postMessage('playground:coi:reload'));
    },
    (e) => giveUp(`register-failed: ${e instanceof Error ? e.message : e}`),
  );
  setTimeout(() => giveUp('timed-out'), GIVE_UP_MS);
})();
