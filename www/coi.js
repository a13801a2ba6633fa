// @ts-check
/**
 * Cross-origin isolation on hosts that cannot send headers (GitHub Pages): register
 * coi-sw.js, which re-serves this site's responses with COOP, COEP and CORP, and reload
 * once so the page loads under it. A classic script in <head>, before main.js.
 *
 * - Already isolated (the dev server, a host with `_headers`): nothing to do.
 * - No service workers (plain http on another host, some private modes): nothing to do;
 *   threads stay off with their reason (engine.js) and every other model works.
 * - At most ONE automatic reload in a row (a sessionStorage flag, cleared once a load is
 *   isolated), and only when this load is not controlled by the worker: a load the worker
 *   controls that is still not isolated is one a reload cannot fix, and so is a load right
 *   after an automatic reload that is still not controlled, so there is never a reload
 *   loop. A forced reload (Ctrl+Shift+R) bypasses the worker: that load is not controlled,
 *   the worker is active, and one reload brings it back under the worker.
 *
 * `window.coiReady` resolves with what happened once no reload is coming; main.js waits for
 * it, so nothing runs (and nothing is posted to an embedding page) on a load about to be
 * replaced. `<html data-coi>` says the same, for tests and curious readers.
 */
(() => {
  // Per document, so several embeds of one site on a course page each get their one reload.
  const KEY = `concurrency-playground:coi-reloaded:${location.pathname}${location.search}`;
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

  if (window.crossOriginIsolated) {
    // The reload, if there was one, worked: a later forced reload may reload once again.
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // No storage: there is no flag either.
    }
    return done('isolated');
  }
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return done('no-service-worker');
  const sw = navigator.serviceWorker;
  let reloaded;
  try {
    reloaded = sessionStorage.getItem(KEY) === '1';
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
  const reload = () => {
    if (settled) return;
    settled = true;
    try {
      sessionStorage.setItem(KEY, '1');
    } catch {
      return done('no-storage');
    }
    document.documentElement.dataset.coi = 'reloading';
    location.reload();
  };
  const giveUp = (/** @type {string} */ why) => {
    if (settled) return;
    settled = true;
    done(why);
  };
  // The worker claims this page when it activates (clients.claim), which fires controllerchange.
  sw.addEventListener('controllerchange', reload);
  registering.then(
    (registration) => {
      // Playwright's serviceWorkers: 'block' resolves with nothing.
      if (!registration) return giveUp('register-failed');
      // Active already, but this load bypassed it (a forced reload): reload under it.
      if (registration.active) reload();
    },
    (e) => giveUp(`register-failed: ${e instanceof Error ? e.message : e}`),
  );
  setTimeout(() => giveUp('timed-out'), GIVE_UP_MS);
})();
