// @ts-check
// One small API over three browser engines, for end-to-end tests that must pass in each:
//
// - chromium: Debian's Chromium through playwright-core (as harness.mjs drives it);
// - firefox:  Firefox ESR, headless, through geckodriver (W3C WebDriver, plus WebDriver BiDi
//             for the page's errors, console and network);
// - webkit:   WebKitGTK's MiniBrowser through WebKitWebDriver, on an Xvfb display this
//             module starts and stops itself.
//
// Firefox and WebKit are driven with selenium-webdriver over a driver this module spawns on a
// free port (`Builder.usingServer`), so Selenium Manager never runs and nothing is downloaded.
// Every launch starts from a fresh profile: Playwright's and geckodriver's temporary
// profiles, and for WebKit fresh XDG data, cache and config folders.
//
// Problems (uncaught errors, unhandled rejections, console errors, CSP violations, failed
// requests) are collected the best way each engine allows:
// - chromium: Playwright's page events, plus a CSP listener added before the page's scripts;
// - firefox:  BiDi `log.entryAdded` and `network.*` events, plus the CSP listener as a BiDi
//             preload script;
// - webkit:   WebKitGTK 2.50's driver has no BiDi and no log endpoint, and MiniBrowser does not
//             write console messages to stdout under automation. So the browser goes through an
//             HTTP proxy of ours that records every response >= 400 and adds one same-origin
//             classic script at the top of every HTML document: it records errors, rejections,
//             CSP violations and console.error into a buffer `problems()` reads. It cannot see
//             a console.error inside a worker (an uncaught worker error does reach the page).
//
// Usage:
//   const browser = await launch('webkit');
//   const page = await browser.open(url, { width: 1280, height: 800 });
//   await page.waitFor(() => document.documentElement.dataset.state === 'ready');
//   assert.deepEqual(await page.problems(), []);
//   await browser.close();
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import webdriver from 'selenium-webdriver';
import { CHROMIUM_ARGS, recordProblems } from './harness.mjs';

const { Builder, By } = webdriver;

// Selenium Manager (a binary inside selenium-webdriver) downloads drivers and browsers when
// a session has no driver. We always bring our own; point it at nothing so that a mistake
// fails loudly instead of downloading.
process.env.SE_MANAGER_PATH = '/nonexistent/selenium-manager';

/** @typedef {'chromium' | 'firefox' | 'webkit'} Engine */

/** @type {readonly Engine[]} */
export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** Where each engine's pieces are; each can be overridden by an environment variable. */
export const BINARIES = {
  chromium: process.env.CHROMIUM ?? '/usr/bin/chromium',
  firefox: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
  geckodriver: process.env.GECKODRIVER ?? join(homedir(), '.cargo/bin/geckodriver'),
  webkitDriver: process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver',
  miniBrowser: process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  xvfb: process.env.XVFB ?? '/usr/bin/Xvfb',
};

/** What each engine needs on disk, and how to get it, for a failure that says what to do. */
const NEEDS = {
  chromium: [['chromium', 'apt-get install chromium']],
  firefox: [
    ['firefox', 'apt-get install firefox-esr'],
    ['geckodriver', 'cargo install geckodriver'],
  ],
  webkit: [
    ['webkitDriver', 'apt-get install webkit2gtk-driver'],
    ['miniBrowser', 'apt-get install webkit2gtk-driver (MiniBrowser comes with libwebkit2gtk-4.1)'],
    ['xvfb', 'apt-get install xvfb'],
  ],
};

/**
 * Why `engine` cannot run here ('' when it can): the missing binaries and how to install them.
 * @param {Engine} engine
 */
export function missing(engine) {
  const needs = NEEDS[engine];
  if (!needs) return `unknown engine '${engine}' (known: ${ENGINES.join(', ')})`;
  return needs
    .filter(([key]) => !existsSync(BINARIES[/** @type {keyof typeof BINARIES} */ (key)]))
    .map(([key, how]) => `${engine} needs ${BINARIES[/** @type {keyof typeof BINARIES} */ (key)]} (${how})`)
    .join('; ');
}

/**
 * @typedef {object} Page
 * @property {Engine} engine
 * @property {<T>(fn: (...args: any[]) => T | Promise<T>, ...args: any[]) => Promise<T>} evaluate
 *   run `fn` in the page (it is serialised: no closures), awaiting a returned promise
 * @property {<T>(fn: (...args: any[]) => T | Promise<T>, options?: {timeout?: number, interval?: number, args?: any[]}) => Promise<T>} waitFor
 *   poll `fn` in the page until it returns something truthy, and return that
 * @property {(selector: string) => Promise<void>} click
 * @property {(selector: string, value: string) => Promise<void>} fill
 * @property {(selector: string) => Promise<string | null>} text  textContent, null when absent
 * @property {(selector: string) => Promise<boolean>} visible     present, rendered, non-empty box
 * @property {(selector: string) => Promise<boolean>} disabled    matches `:disabled`
 * @property {(path: string) => Promise<void>} screenshot           PNG of the viewport
 * @property {() => Promise<string>} url
 * @property {() => Promise<string[]>} problems  everything that went wrong so far, one line each
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} Browser
 * @property {Engine} engine
 * @property {string} version
 * @property {number} startupMs  from spawning the first process to a session that can navigate
 * @property {(url: string, options?: {width?: number, height?: number}) => Promise<Page>} open
 * @property {() => Promise<void>} close  stops the browser, its driver and its display
 */

/**
 * @typedef {object} LaunchOptions
 * @property {Record<string, string>} [env]  extra environment for the browser's processes
 *   (e.g. JSC_* options for WebKit's JavaScriptCore, MOZ_* for Firefox)
 * @property {Record<string, string | number | boolean>} [prefs]  Firefox preferences
 * @property {string[]} [args]  extra command-line arguments for the browser
 */

/**
 * Start `engine` with a fresh profile. Throws, saying what to install, when a piece is missing.
 * @param {Engine} engine
 * @param {LaunchOptions} [options]
 * @returns {Promise<Browser>}
 */
export async function launch(engine, options = {}) {
  const why = missing(engine);
  if (why) throw new Error(why);
  const t0 = performance.now();
  const browser =
    engine === 'chromium'
      ? await launchChromium(options)
      : engine === 'firefox'
        ? await launchFirefox(options)
        : await launchWebKit(options);
  browser.startupMs = Math.round(performance.now() - t0);
  return browser;
}

// ---------------------------------------------------------------------------------------
// What runs inside pages.

/**
 * The in-page recorder. `mode` 'csp' only turns CSP violations into console errors (the
 * engine reports console errors itself); 'buffer' records every problem into
 * `window.__engineProblems` for an engine that reports none.
 * @param {'csp' | 'buffer'} mode
 */
function recorder(mode) {
  const w = /** @type {any} */ (window);
  if (w.__engineRecorder) return;
  w.__engineRecorder = true;
  if (mode === 'csp') {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
    return;
  }
  /** @type {string[]} */
  const problems = (w.__engineProblems = []);
  /** @param {unknown} v */
  const text = (v) => (v instanceof Error ? `${v.name}: ${v.message}` : typeof v === 'string' ? v : String(v));
  addEventListener(
    'error',
    (e) => {
      if (e instanceof ErrorEvent) problems.push(`pageerror: ${e.message || text(e.error)}`);
      else {
        // A resource that failed to load: the event fires on the element, seen here in capture.
        const el = /** @type {any} */ (e.target);
        problems.push(`request failed: ${el?.src || el?.href || el?.tagName || 'unknown'}`);
      }
    },
    true,
  );
  addEventListener('unhandledrejection', (e) => problems.push(`pageerror: ${text(e.reason)}`));
  document.addEventListener('securitypolicyviolation', (e) =>
    problems.push(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
  );
  const error = console.error;
  console.error = function (...args) {
    problems.push(`console error: ${args.map(text).join(' ')}`);
    return error.apply(this, args);
  };
}

/** The path the WebKit proxy serves the recorder at, on every origin. */
const RECORDER_PATH = '/__engines/recorder.js';

/**
 * An expression that runs `fn(...args)` in the page; JSON carries the arguments.
 * @param {Function} fn @param {any[]} args
 */
const call = (fn, args) => `(${fn.toString()})(...${JSON.stringify(args)})`;

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Is `el` rendered with a non-empty box? Playwright's `isVisible`, engine-neutral. */
function isVisible(/** @type {string} */ selector) {
  const el = document.querySelector(selector);
  if (!el) return false;
  const style = getComputedStyle(el);
  if (style.visibility !== 'visible') return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}

/**
 * `waitFor` on any engine: poll from here, so a page that navigates or blocks its own loop
 * for a while does not lose the wait.
 * @param {(fn: Function, ...args: any[]) => Promise<any>} evaluate
 */
function poller(evaluate) {
  return async (/** @type {Function} */ fn, { timeout = 30_000, interval = 100, args = [] } = {}) => {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        const v = await evaluate(fn, ...args);
        if (v) return v;
        last = v;
      } catch (e) {
        last = e; // a navigation in progress, say: try again
      }
      if (Date.now() > deadline) {
        throw new Error(`waitFor timed out after ${timeout} ms: ${fn.toString().slice(0, 200)} (last: ${last})`);
      }
      await sleep(interval);
    }
  };
}

// ---------------------------------------------------------------------------------------
// Chromium: playwright-core.

/** @param {LaunchOptions} options */
async function launchChromium({ env = {}, args = [] }) {
  const pw = await chromium.launch({
    executablePath: BINARIES.chromium,
    env: { ...process.env, ...env },
    args: [...args, ...CHROMIUM_ARGS],
  });
  /** @type {Browser} */
  const browser = {
    engine: 'chromium',
    version: pw.version(),
    startupMs: 0,
    async open(url, { width = 1440, height = 1000 } = {}) {
      const context = await pw.newContext({ viewport: { width, height } });
      await context.addInitScript(recorder, 'csp');
      const page = await context.newPage();
      const problems = recordProblems(page);
      await page.goto(url);
      /** @param {Function} fn @param {any[]} args */
      const evaluate = (fn, ...args) => page.evaluate(call(fn, args));
      return {
        engine: 'chromium',
        evaluate,
        waitFor: poller(evaluate),
        click: (s) => page.click(s),
        fill: (s, v) => page.fill(s, v),
        text: (s) => evaluate((s) => document.querySelector(s)?.textContent ?? null, s),
        visible: (s) => evaluate(isVisible, s),
        disabled: (s) => evaluate((s) => !!document.querySelector(s)?.matches(':disabled'), s),
        screenshot: async (path) => void (await page.screenshot({ path })),
        url: async () => page.url(),
        problems: async () => [...problems],
        close: () => context.close(),
      };
    },
    close: () => pw.close(),
  };
  return browser;
}

// ---------------------------------------------------------------------------------------
// Firefox and WebKit: W3C WebDriver through selenium-webdriver, over a driver we spawn.

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/** Kill functions of the process groups still running. */
const live = new Set();
let guarded = false;

/** Never leave a browser behind, even when this process dies or is interrupted. */
function guard() {
  if (guarded) return;
  guarded = true;
  process.on('exit', () => {
    for (const kill of live) kill();
  });
  for (const [sig, code] of /** @type {[NodeJS.Signals, number][]} */ ([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]])) {
    process.once(sig, () => process.exit(code));
  }
}

/**
 * A child process in its own process group, so stopping it stops everything it started
 * (WebKitWebDriver leaves MiniBrowser and its web processes running when killed alone).
 * @param {string} file @param {string[]} args @param {NodeJS.ProcessEnv} env
 */
function spawnGroup(file, args, env, stdio = /** @type {any} */ (['ignore', 'pipe', 'pipe'])) {
  const child = spawn(file, args, { env, stdio, detached: true });
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (output = (output + d).slice(-20_000)));
  /** Signal the whole group: the leader may be gone while what it started lives on. */
  const signal = (/** @type {NodeJS.Signals} */ sig) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {} // ESRCH: nobody left in the group
  };
  const kill = () => signal('SIGKILL');
  guard();
  live.add(kill);
  return {
    child,
    output: () => output,
    async stop() {
      live.delete(kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        signal('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
      }
      kill();
    },
  };
}

/**
 * Wait until a WebDriver server answers /status.
 * @param {number} port @param {ReturnType<typeof spawnGroup>} proc @param {string} name
 */
async function driverReady(port, proc, name) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return;
    } catch {}
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${name} did not start on port ${port}:\n${proc.output()}`);
    }
    await sleep(50);
  }
}

/**
 * How long a new session may take. A browser that dies on start (say, JSC refusing its
 * options) leaves the driver waiting for ever; this turns that into an error with the
 * driver's output.
 */
const SESSION_TIMEOUT_MS = 30_000;

/**
 * A WebDriver session on the driver at `port`, or an error with the driver's output when
 * none comes within SESSION_TIMEOUT_MS.
 * @param {ReturnType<typeof spawnGroup>} proc @param {string} name @param {number} port @param {object} capabilities
 * @returns {Promise<import('selenium-webdriver').WebDriver>}
 */
async function newSession(proc, name, port, capabilities) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} gave no session in ${SESSION_TIMEOUT_MS} ms:\n${proc.output()}`)), SESSION_TIMEOUT_MS);
  });
  try {
    const session = new Builder().usingServer(`http://127.0.0.1:${port}`).withCapabilities(capabilities).build();
    return /** @type {any} */ (await Promise.race([session, timeout]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An Xvfb on a display number it picks itself (`-displayfd`), so two never collide.
 * @returns {Promise<{display: string, stop: () => Promise<void>}>}
 */
async function startXvfb() {
  const proc = spawnGroup(BINARIES.xvfb, ['-displayfd', '3', '-screen', '0', '1920x1200x24', '-nolisten', 'tcp'], process.env, [
    'ignore',
    'pipe',
    'pipe',
    'pipe',
  ]);
  const fd3 = /** @type {import('node:stream').Readable} */ (proc.child.stdio[3]);
  const display = await new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not report a display:\n${proc.output()}`)), 10_000);
    fd3.on('data', (d) => {
      got += d;
      if (got.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${got.trim()}`);
      }
    });
    proc.child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}):\n${proc.output()}`)));
  });
  return { display, stop: proc.stop };
}

/**
 * An HTTP forward proxy for WebKit: adds the recorder to every HTML document and records
 * every response >= 400 and every request that failed.
 * @param {string[]} problems
 */
async function startRecorderProxy(problems) {
  const script = `(${recorder.toString()})('buffer');\n`;
  const server = createServer((req, res) => {
    let target;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (target.pathname === RECORDER_PATH) {
      res.writeHead(200, {
        'content-type': 'text/javascript',
        'cache-control': 'no-store',
        'cross-origin-resource-policy': 'cross-origin',
      });
      res.end(script);
      return;
    }
    const headers = { ...req.headers };
    delete headers['accept-encoding']; // plain bodies, so HTML can be edited
    delete headers['proxy-connection'];
    const upstream = request(target, { method: req.method, headers }, (up) => {
      const status = up.statusCode ?? 0;
      if (status >= 400) problems.push(`HTTP ${status}: ${target.href}`);
      const outHeaders = { ...up.headers };
      if (!String(up.headers['content-type'] ?? '').startsWith('text/html')) {
        res.writeHead(status, outHeaders);
        up.pipe(res);
        return;
      }
      /** @type {Buffer[]} */
      const chunks = [];
      up.on('data', (c) => chunks.push(c));
      up.on('end', () => {
        const html = Buffer.concat(chunks).toString('utf8');
        const tag = `<script src="${RECORDER_PATH}"></script>`;
        const head = html.match(/<head[^>]*>/i);
        const doctype = html.match(/^\s*<!doctype[^>]*>/i);
        const at = head ? (head.index ?? 0) + head[0].length : doctype ? doctype[0].length : 0;
        const body = Buffer.from(html.slice(0, at) + tag + html.slice(at));
        delete outHeaders['content-length'];
        delete outHeaders['transfer-encoding'];
        res.writeHead(status, { ...outHeaders, 'content-length': body.length });
        res.end(body);
      });
    });
    upstream.on('error', (e) => {
      problems.push(`request failed: ${target.href} ${e.message}`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    port,
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r(undefined));
      }),
  };
}

/** @param {LaunchOptions} options */
async function launchFirefox({ env = {}, prefs = {}, args = [] }) {
  const port = await freePort();
  const driverProc = spawnGroup(BINARIES.geckodriver, ['--port', String(port), '--binary', BINARIES.firefox], {
    ...process.env,
    MOZ_HEADLESS: '1',
    ...env,
  });
  try {
    await driverReady(port, driverProc, 'geckodriver');
    const driver = await newSession(driverProc, 'Firefox', port, {
        browserName: 'firefox',
        webSocketUrl: true, // BiDi: the page's errors, console and network
        'moz:firefoxOptions': {
          binary: BINARIES.firefox,
          args: ['-headless', ...args],
          prefs: {
            // No traffic of its own while measuring: no updates, telemetry or captive portal checks.
            'app.update.enabled': false,
            'network.captive-portal-service.enabled': false,
            'datareporting.policy.dataSubmissionEnabled': false,
            'browser.safebrowsing.update.enabled': false,
            ...prefs,
          },
        },
      });
    return await webDriverBrowser('firefox', driver, async () => driverProc.stop(), { bidi: true });
  } catch (e) {
    await driverProc.stop();
    throw e;
  }
}

/** @param {LaunchOptions} options */
async function launchWebKit({ env = {}, args = [] }) {
  const xvfb = await startXvfb();
  /** @type {string[]} */
  const proxyProblems = [];
  const proxy = await startRecorderProxy(proxyProblems);
  const profile = mkdtempSync(join(tmpdir(), 'engines-webkit-'));
  const port = await freePort();
  const driverProc = spawnGroup(BINARIES.webkitDriver, [`--port=${port}`], {
    ...process.env,
    DISPLAY: xvfb.display,
    // A fresh profile: WebKitGTK keeps its data, caches and settings under these.
    XDG_DATA_HOME: join(profile, 'data'),
    XDG_CACHE_HOME: join(profile, 'cache'),
    XDG_CONFIG_HOME: join(profile, 'config'),
    // No accessibility bus or dconf on a bare display: their warnings are only noise.
    NO_AT_BRIDGE: '1',
    GSETTINGS_BACKEND: 'memory',
    ...env,
  });
  const stopAll = async () => {
    await driverProc.stop();
    await proxy.stop();
    await xvfb.stop();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    await driverReady(port, driverProc, 'WebKitWebDriver');
    const driver = await newSession(driverProc, 'MiniBrowser', port, {
        browserName: 'MiniBrowser',
        // Every request, localhost included, goes through the recorder proxy.
        proxy: { proxyType: 'manual', httpProxy: `127.0.0.1:${proxy.port}`, noProxy: [] },
        'webkitgtk:browserOptions': { binary: BINARIES.miniBrowser, args: ['--automation', ...args] },
      });
    return await webDriverBrowser('webkit', driver, stopAll, { proxyProblems });
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * The Browser over a WebDriver session. Pages are windows of the one session: they share
 * storage (launch another browser for a fresh profile).
 * @param {Engine} engine
 * @param {import('selenium-webdriver').WebDriver} driver
 * @param {() => Promise<void>} stopProcesses
 * @param {{bidi?: boolean, proxyProblems?: string[]}} how
 * @returns {Promise<Browser>}
 */
async function webDriverBrowser(engine, driver, stopProcesses, { bidi = false, proxyProblems }) {
  const caps = await driver.getCapabilities();
  const version = `${caps.get('browserName')} ${caps.get('browserVersion')}`;
  await driver.manage().setTimeouts({ script: 120_000, pageLoad: 60_000 });
  /** Window handles of open pages, and the one the driver is on. */
  const open = new Set();
  let current = await driver.getWindowHandle();
  let firstFree = true;
  /** BiDi: problems by browsing context id (a window handle), '*' for those of no window. */
  /** @type {Map<string, string[]>} */
  const byContext = new Map();
  /** @param {string | undefined} ctx @param {string} line */
  const record = (ctx = '*', line) => {
    if (!byContext.has(ctx)) byContext.set(ctx, []);
    byContext.get(ctx)?.push(line);
  };
  if (bidi) {
    const connection = await driver.getBidi();
    await connection.subscribe(['log.entryAdded', 'network.responseCompleted', 'network.fetchError']);
    await connection.send({
      method: 'script.addPreloadScript',
      params: { functionDeclaration: `() => (${recorder.toString()})('csp')` },
    });
    connection.socket.on('message', (/** @type {Buffer} */ raw) => {
      /** @type {any} */
      let msg;
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        return;
      }
      const p = msg.params;
      if (msg.method === 'log.entryAdded') {
        const ctx = p.source?.context;
        if (p.type === 'javascript') record(ctx, `pageerror: ${p.text}`);
        else if (p.level === 'error') record(ctx, `console error: ${p.text}`);
      } else if (msg.method === 'network.responseCompleted' && p.response?.status >= 400) {
        record(p.context, `HTTP ${p.response.status}: ${p.request?.url}`);
      } else if (msg.method === 'network.fetchError') {
        record(p.context, `request failed: ${p.request?.url} ${p.errorText}`);
      }
    });
  }

  /** @param {string} handle */
  const focus = async (handle) => {
    if (current !== handle) {
      await driver.switchTo().window(handle);
      current = handle;
    }
  };

  return {
    engine,
    version,
    startupMs: 0,
    async open(url, { width = 1440, height = 1000 } = {}) {
      let handle;
      if (firstFree) {
        firstFree = false;
        handle = await driver.getWindowHandle();
      } else {
        await driver.switchTo().newWindow('window');
        handle = await driver.getWindowHandle();
      }
      current = handle;
      open.add(handle);
      byContext.delete(handle); // a reused window: what its last page reported is not this page's
      await setViewport(driver, width, height);
      const seen = proxyProblems ? proxyProblems.length : 0;
      await driver.get(url);
      /** @param {Function} fn @param {any[]} args */
      const evaluate = async (fn, ...args) => {
        await focus(handle);
        return driver.executeScript(`return ${call(fn, args)};`);
      };
      /**
       * The element, scrolled to the middle of the viewport: WebKitWebDriver 2.50 does not
       * scroll an element below the fold into view before a click, and calls it not
       * interactable.
       * @param {string} s
       */
      const element = async (s) => {
        await focus(handle);
        const el = await driver.findElement(By.css(s));
        await driver.executeScript('arguments[0].scrollIntoView({block: "center"})', el);
        return el;
      };
      /** The buffer the recorder keeps in the page (WebKit), read before it is lost. */
      let buffered = /** @type {string[]} */ ([]);
      const readBuffer = async () => {
        if (!proxyProblems) return;
        try {
          buffered = (await evaluate(() => /** @type {any} */ (window).__engineProblems ?? ['recorder missing'])) ?? buffered;
        } catch {}
      };
      return {
        engine,
        evaluate,
        waitFor: poller(evaluate),
        click: async (s) => (await element(s)).click(),
        async fill(s, v) {
          const el = await element(s);
          await el.clear();
          await el.sendKeys(v);
        },
        text: (s) => evaluate((s) => document.querySelector(s)?.textContent ?? null, s),
        visible: (s) => evaluate(isVisible, s),
        disabled: (s) => evaluate((s) => !!document.querySelector(s)?.matches(':disabled'), s),
        async screenshot(path) {
          await focus(handle);
          writeFileSync(path, Buffer.from(await driver.takeScreenshot(), 'base64'));
        },
        async url() {
          await focus(handle);
          return driver.getCurrentUrl();
        },
        async problems() {
          if (bidi) return [...(byContext.get('*') ?? []), ...(byContext.get(handle) ?? [])];
          await readBuffer();
          return [...(proxyProblems?.slice(seen) ?? []), ...buffered];
        },
        async close() {
          if (!open.has(handle)) return;
          open.delete(handle);
          await focus(handle);
          if (open.size === 0) {
            // Closing the last window would end the session: a new blank window takes its
            // place first. Not this one blanked: what its page still reports as it goes (a
            // module import cut short, in Firefox) would be the next page's.
            await driver.switchTo().newWindow('window');
            const blank = await driver.getWindowHandle();
            current = blank;
            await focus(handle);
            await driver.close();
            current = '';
            await focus(blank);
            firstFree = true;
          } else {
            await driver.close();
            current = '';
            await focus([...open][0]);
          }
        },
      };
    },
    async close() {
      try {
        await driver.quit();
      } catch {}
      await stopProcesses();
    },
  };
}

/**
 * Size the window so that the viewport is `width` x `height` CSS pixels: WebDriver sets the
 * outer size, so measure the frame and set it again.
 * @param {import('selenium-webdriver').WebDriver} driver @param {number} width @param {number} height
 */
async function setViewport(driver, width, height) {
  await driver.manage().window().setRect({ width, height });
  /** @type {[number, number]} */
  const [iw, ih] = await driver.executeScript('return [innerWidth, innerHeight]');
  if (iw !== width || ih !== height) {
    await driver.manage().window().setRect({ width: width + (width - iw), height: height + (height - ih) });
  }
}
