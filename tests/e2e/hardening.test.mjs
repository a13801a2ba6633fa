// Hardening, end to end: hostile URLs are named and never rendered as HTML; a Rust panic
// in any model, or a worker that cannot load, is a readable error that leaves no worker
// behind and the next run works; Stop ends a run of any model at once; workers answer
// junk with a named error; and no page code inserts HTML.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setUp, open, expectClean, waitForEnd, ROOT, ready, prepared } from './harness.mjs';

// The same page over the builds with test hooks (target/www-hooks/, made by the test
// command): a `__panic` pair in a model's query makes that model panic inside its own
// Rust code. The page itself never loads these builds.
const hookedConfig = { ...JSON.parse(readFileSync(join(ROOT, 'serve.json'), 'utf8')), symlinks: true };
const env = setUp({ server: { port: 8330 }, hooked: { port: 8331, dir: 'target/www-hooks', config: hookedConfig } });

const LONG = 'x'.repeat(5000);
const LONG_KEY = 'k'.repeat(3000);

/**
 * Fifty hostile URLs, each with the parameter names its error must give. Every one is
 * invalid as a whole, so with run=1 nothing may run.
 * @type {[string, string[]][]}
 */
const HOSTILE = [
  ['tasks=99999999999999999999999999999', ['tasks']],
  ['tasks=1e400', ['tasks']],
  ['tasks=-1', ['tasks']],
  ['io_ms=-0.5', ['io_ms']],
  ['cpu_ms=NaN', ['cpu_ms']],
  ['threads=Infinity', ['threads']],
  ['processes=0', ['processes']],
  ['tasks=', ['tasks']],
  ['workload=', ['workload']],
  ['models=', ['models']],
  ['switch_ms=0', ['switch_ms']],
  ['yield_ms=1001', ['yield_ms']],
  ['payload_kb=8193', ['payload_kb']],
  ['increments=0', ['increments']],
  ['tasks=%EF%BC%98', ['tasks']], // a fullwidth 8
  ['tasks=%D9%A3', ['tasks']], // an Arabic-Indic 3
  ['workload=%F0%9F%92%A5', ['workload']],
  ['gil=%E2%80%AEon', ['gil']], // a right-to-left override
  ['tasks=4&tasks=5', ['tasks']],
  ['run=1&run=1', ['run']],
  ['models=asyncio,asyncio%2Cfibers', ['models']],
  ['lab=<script>alert(1)</script>', ['lab']],
  ['workload=<img src=x onerror=alert(1)>', ['workload']],
  ['<img src=x onerror=alert(1)>=1', ['<img src']], // the key ends at the first '='
  ['"><script>alert(1)</script>=1', ['"><script>alert(1)</script>']],
  ['tasks="><script>alert(document.domain)</script>', ['tasks']],
  ['io_ms=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E', ['io_ms']],
  ['%3Cscript%3Ealert(1)%3C%2Fscript%3E=1', ['<script>alert(1)</script>']],
  ['tasks=%ZZ', ['tasks']],
  ['tasks=%+5', ['tasks']],
  ['tasks=%00', ['tasks']],
  ['cpu_ms=%FF%FE', ['cpu_ms']],
  ['embed=javascript:alert(1)', ['embed']],
  ['compare=2', ['compare']],
  ['shared=yes', ['shared']],
  ['pool=%C0%AF', ['pool']],
  [`tasks=${LONG}`, ['tasks']],
  [`models=${'asyncio,'.repeat(1000)}x`, ['models']], // under the server's 16 KiB request line
  ['bogus=1', ['bogus']],
  ['=5', ['(no name)']],
  ['%20=5', ['(no name)']],
  ['__proto__=1', ['__proto__']],
  ['constructor=x&tasks=2', ['constructor']],
  ['tasks=0x10', ['tasks']],
  ['tasks=1.5&io_ms=1e3', ['tasks', 'io_ms']],
  ['tasks=+', ['tasks']],
  ['threads=65&processes=17', ['threads', 'processes']],
  ['tasks=10000&models=threading', ['tasks']],
  ['workload=cpu&tasks=51&cpu_ms=200&models=asyncio', ['tasks']],
  [`${LONG_KEY}=1`, [`${'k'.repeat(40)}…`]],
];

/** Elements and attributes that would mean text from the URL was parsed as HTML. */
function injected() {
  const found = [];
  for (const el of document.querySelectorAll('img, iframe, object, embed, svg script, math')) found.push(el.outerHTML.slice(0, 80));
  for (const s of document.querySelectorAll('script')) {
    const src = s.getAttribute('src') ?? '';
    if (!/^[\w./-]+\.js$/.test(src)) found.push(`script ${s.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) if (a.name.startsWith('on')) found.push(`${el.tagName} ${a.name}=${a.value.slice(0, 40)}`);
  }
  return found;
}

/** Every hostile URL ends in `error`, naming each bad parameter; nothing runs, nothing from it becomes HTML, no dialog opens. */
test('fifty hostile URLs are named, not run, and never rendered as HTML', async () => {
  assert.equal(HOSTILE.length, 50);
  const context = await env.browser.newContext();
  const started = Date.now();
  const failures = [];
  // A few pages at a time: each loads and calibrates the core.
  const queue = [...HOSTILE.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [i, [query, names]] = next;
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
      page.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        d.dismiss().catch(() => {});
      });
      try {
        await page.goto(`${env.server.url}?${query}&run=1`);
        const state = await waitForEnd(page, 30_000);
        const shown = await page.evaluate(() => ({
          error: document.getElementById('error')?.textContent ?? '',
          errorChildren: document.getElementById('error')?.children.length ?? -1,
          rows: document.querySelectorAll('tr[data-model]').length,
        }));
        const html = await page.evaluate(injected);
        const why = [];
        if (state !== 'error') why.push(`state ${state}`);
        for (const name of names) if (!shown.error.includes(`${name}: `)) why.push(`no "${name}: " in ${JSON.stringify(shown.error.slice(0, 300))}`);
        if (shown.errorChildren !== 0) why.push('the error box has elements');
        if (shown.rows !== 0) why.push(`${shown.rows} result rows`);
        if (html.length) why.push(`HTML from the URL: ${html.join(', ')}`);
        why.push(...problems);
        if (why.length) failures.push(`#${i} ?${query.slice(0, 60)}: ${why.join('; ')}`);
      } finally {
        await page.close();
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  await context.close();
  const seconds = (Date.now() - started) / 1000;
  console.log(`hostile URLs: ${HOSTILE.length} in ${seconds.toFixed(1)} s`);
  assert.deepEqual(failures, []);
  // About 30 s here; the bound leaves room for a loaded machine.
  assert.ok(seconds < 90, `took ${seconds} s`);
});

/** Roles of the live workers, and of those running something now. */
async function workers(page) {
  return page.evaluate(async () => {
    const { busyWorkers } = await import('./runners/registry.js');
    return { live: window.playground.liveWorkers(), busy: busyWorkers() };
  });
}

/**
 * After a fault, no worker of the run is left, busy or alive; idle spare processes come
 * back in idle time, by design (runners/processes.js), and are none of the run's.
 */
async function noWorkerOfTheRun(page) {
  const { live, busy } = await workers(page);
  assert.deepEqual({ live: live.filter((role) => role !== 'spare process'), busy }, { live: [], busy: [] });
}

/** Start a run from the page and wait for it to end; returns data-state. */
async function runOnce(page) {
  await page.evaluate(() => window.playground.run());
  return page.evaluate(() => document.documentElement.dataset.state);
}

const SMALL = 'workload=mixed&tasks=2&io_ms=40&cpu_ms=20&threads=2&processes=2';

/**
 * Arm one panic of `model` with `message`: the next query of that model (posted to its
 * worker, or passed to the page's instance for asyncio) carries `__panic`, once.
 * @param {import('playwright-core').Page} page @param {string} model @param {string} message
 */
async function armPanic(page, model, message) {
  await page.evaluate(
    async ([m, text]) => {
      const pair = `__panic=${encodeURIComponent(`${m}:${text}`)}`;
      if (m === 'asyncio') {
        const wasm = (await import('./engine.js')).core();
        const run = wasm.runAsyncio;
        wasm.runAsyncio = (query, ...rest) => {
          wasm.runAsyncio = run;
          return run(`${query}&${pair}`, ...rest);
        };
        return;
      }
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (data, ...rest) {
        if (data && typeof data.query === 'string') {
          Worker.prototype.postMessage = post;
          data = { ...data, query: `${data.query}&${pair}` };
        }
        return post.call(this, data, ...rest);
      };
    },
    [model, message],
  );
}

for (const model of ['sequential', 'asyncio', 'threading', 'multiprocessing']) {
  /** A panic inside the model's own Rust code is the run's error, with the panic's message; no worker is left; the next run works. */
  test(`a panic in ${model} is a readable error, and the next run works`, async () => {
    const { page, problems, context } = await open(env.browser, `${env.hooked.url}?models=${model}&${SMALL}`);
    await ready(page);
    const message = `deliberate panic in ${model}`;
    // A mark in the page's instance: its module-level counter, which a new instance starts at 0.
    const onPage = model === 'asyncio';
    if (onPage) assert.equal(await page.evaluate(async () => (await import('./engine.js')).core().addToCounter(7)), 7);
    await armPanic(page, model, message);
    const before = Date.now();
    assert.equal(await runOnce(page), 'error');
    const error = await page.locator('#error').textContent();
    assert.match(error, /Rust panicked/);
    assert.ok(error.includes(message), error);
    assert.match(error, /src\/boundary\/\w+\.rs:\d+/, 'the panic says where');
    console.log(`${model}: panic to error in ${Date.now() - before} ms: ${error}`);
    assert.deepEqual((await workers(page)).busy, [], 'no worker left running');
    // The next run works, on a new instance (page), a new host (threads) or new processes.
    assert.equal(await runOnce(page), 'done');
    const results = await page.evaluate(() => window.playground.results());
    assert.ok(results.length >= 1 && results.every((r) => r.model === model && r.wallMs > 0), JSON.stringify(results));
    if (onPage) assert.equal(await page.evaluate(async () => (await import('./engine.js')).core().counter()), 0, 'a new instance');
    assert.deepEqual((await workers(page)).busy, []);
    expectClean(problems);
    await context.close();
  });
}

/**
 * Interrupt the code every worker of the browser is running now, or runs next, as
 * DevTools' "terminate execution" does (CDP Runtime.terminateExecution): the worker stays,
 * but its task is gone, and it says nothing more about it.
 * @returns {Promise<number>} how many workers were interrupted
 */
async function interruptWorkers() {
  const cdp = await env.browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  const targets = targetInfos.filter((t) => t.type === 'worker');
  for (const t of targets) {
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.terminateExecution' }) });
  }
  await cdp.detach();
  return targets.length;
}

for (const [model, who] of [
  ['multiprocessing', /process \d/],
  ['sequential', /the baseline process/],
  ['asyncio-processes', /pool process \d/],
]) {
  /** A process whose code is interrupted mid-task ends the run within 5 s with an error that names it; the next run works. */
  test(`a ${model} process interrupted mid-task ends the run with its name, and the next run works`, async () => {
    const { page, problems, context } = await open(env.browser, `${env.server.url}?models=${model}&workload=cpu&tasks=4&cpu_ms=1500&processes=2`);
    await prepared(page);
    await page.click('#run');
    await page.waitForFunction(async () => (await import('./runners/registry.js')).busyWorkers().length > 0);
    await page.waitForTimeout(500);
    const from = Date.now();
    assert.ok((await interruptWorkers()) > 0, 'workers to interrupt');
    assert.equal(await waitForEnd(page, 10_000), 'error');
    const took = Date.now() - from;
    const error = await page.locator('#error').textContent();
    console.log(`${model}: interrupted to error in ${took} ms: ${error}`);
    assert.ok(took < 5000, `the run ended ${took} ms after its process was interrupted`);
    assert.match(error, who);
    assert.match(error, /no sign of life for \d\.\d s while it had (task|job) \d+|no sign of life for \d\.\d s while it had the sequential run/);
    await noWorkerOfTheRun(page);
    assert.equal(await runOnce(page), 'done');
    expectClean(problems);
    await context.close();
  });
}

/** The builds the page loads have no test hooks: a `__panic` pair is an unknown parameter there, and the dist/ builds never mention it. */
test('test hooks are absent from the page and from dist/', async () => {
  const glue = (/** @type {string} */ dir, /** @type {string} */ build) => readFileSync(join(ROOT, dir, build, 'concurrency_playground.js'), 'utf8');
  for (const dir of ['www/pkg', 'dist/pkg']) {
    for (const build of readdirSync(join(ROOT, dir))) {
      assert.doesNotMatch(glue(dir, build), /hasTestHooks|ForTest/, `${dir}/${build} has test hooks`);
    }
  }
  for (const build of ['plain', 'threads']) assert.match(glue('target/www-hooks/pkg', build), /hasTestHooks/, `the test build ${build} has them`);
  const { page, context } = await open(env.browser, `${env.server.url}?__panic=asyncio:x&run=1`);
  assert.equal(await waitForEnd(page), 'error');
  assert.match(await page.locator('#form-errors').textContent(), /__panic: not a parameter/);
  await context.close();
});

/**
 * Open the page with `pattern` answering 404, and return the problems that are not that 404.
 * @param {string} query @param {string} pattern @param {{after?: boolean}} opts route it only once the page is ready
 */
async function with404(query, pattern, { after = false, probed = false } = {}) {
  // No service worker: the requests it makes (it keeps the page for offline use) are not
  // the page's, and page.route would not see them.
  const context = await env.browser.newContext({ serviceWorkers: 'block' });
  // A browser whose cores the page measured on two visits already: no probe at load, which
  // would compile the processes' module before the test takes it away.
  if (probed) {
    await context.addInitScript(() => {
      const n = navigator.hardwareConcurrency;
      localStorage.setItem(`playground:cores:${n}:${navigator.userAgent}`, JSON.stringify({ best: n, seen: 2 }));
    });
  }
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  const missing = () => page.route(pattern, (route) => route.fulfill({ status: 404, body: 'not found' }));
  if (!after) await missing();
  await page.goto(`${env.server.url}?${query}`);
  if (after) {
    await ready(page);
    await missing();
  }
  // The browser logs each 404 itself; anything else is a real problem.
  const others = () => problems.filter((p) => !/404|Failed to load resource/.test(p));
  return { page, context, others };
}

/** The page's own WebAssembly missing: the error says the core could not load, and why. */
test('a missing WebAssembly core is a clear error', async () => {
  const { page, context, others } = await with404('run=1', '**/pkg/plain/concurrency_playground_bg.wasm');
  assert.equal(await waitForEnd(page), 'error');
  const error = await page.locator('#error').textContent();
  assert.match(error, /could not load/);
  assert.match(error, /404/);
  assert.deepEqual(others(), []);
  await context.close();
});

/** The threads build missing in the host worker: threads are left out with a clear reason, no host is left, and the next run (once it is back) works. */
test('a threads host that cannot load its module leaves threads out with a clear reason', async () => {
  const { page, context, others } = await with404(`models=threading&${SMALL}`, '**/pkg/threads/concurrency_playground_bg.wasm');
  await ready(page);
  assert.equal(await runOnce(page), 'done');
  const notice = await page.locator('#notice').textContent();
  assert.match(notice, /threading is left out of this run\. Threads are off: the threads build could not be loaded/);
  assert.match(notice, /concurrency_playground_bg\.wasm/);
  assert.match(notice, /404/);
  await noWorkerOfTheRun(page);
  await page.unrouteAll();
  assert.equal(await runOnce(page), 'done');
  assert.deepEqual(others(), []);
  await context.close();
});

/** The processes' module missing: a clear error naming it, and the next run (once it is back) works. */
test('processes that cannot get their module are a clear error', async () => {
  const { page, context, others } = await with404(`models=multiprocessing&${SMALL}`, '**/pkg/plain/concurrency_playground_bg.wasm', { after: true, probed: true });
  assert.equal(await runOnce(page), 'error');
  const error = await page.locator('#error').textContent();
  assert.match(error, /multiprocessing: could not fetch the WebAssembly module/);
  assert.match(error, /404/);
  await noWorkerOfTheRun(page);
  await page.unrouteAll();
  assert.equal(await runOnce(page), 'done');
  assert.deepEqual(others(), []);
  await context.close();
});

/** A process worker whose script is missing: a clear error naming the process, no worker left. */
test('a process worker that cannot load is a clear error', async () => {
  const { page, context, others } = await with404(`models=multiprocessing&${SMALL}`, '**/workers/process.js', { after: true });
  assert.equal(await runOnce(page), 'error');
  const error = await page.locator('#error').textContent();
  assert.match(error, /process \d+: the worker failed to start/);
  await noWorkerOfTheRun(page);
  await page.unrouteAll();
  assert.equal(await runOnce(page), 'done');
  assert.deepEqual(others(), []);
  await context.close();
});

/** Stop latencies measured in the page, by model, for the report. */
const latencies = {};
after(() => console.log(`stop latencies (click to data-state=cancelled): ${JSON.stringify(latencies)}`));

for (const model of ['sequential', 'asyncio', 'threading', 'multiprocessing']) {
  /** Stop mid-run: `cancelled` within 100 ms of the click (measured in the page), no worker of the run left busy or alive, and the next run works. */
  test(`Stop ends a ${model} run at once`, async () => {
    const { page, problems, context } = await open(env.browser, `${env.server.url}?models=${model}&workload=io&tasks=4&io_ms=5000&threads=4&processes=2`);
    await ready(page);
    await page.evaluate(() => {
      const w = /** @type {any} */ (window);
      document.getElementById('stop')?.addEventListener('click', () => (w.__clickedAt = performance.now()), { capture: true });
      new MutationObserver(() => {
        if (document.documentElement.dataset.state === 'cancelled') w.__cancelledAt ??= performance.now();
      }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-state'] });
    });
    await page.evaluate(async () => (/** @type {any} */ (window).__registry = await import('./runners/registry.js')));
    await page.click('#run');
    // Mid-run: the tasks are waiting (in workers: a process or the pool is running them).
    await page.waitForFunction(() => document.documentElement.dataset.state === 'running');
    if (model === 'threading' || model === 'multiprocessing') {
      await page.waitForFunction(() => /** @type {any} */ (window).__registry.busyWorkers().length > 0);
    }
    await page.waitForTimeout(model === 'threading' ? 1500 : 700);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'running', 'still running when Stop is pressed');
    await page.click('#stop');
    assert.equal(await waitForEnd(page, 10_000), 'cancelled');
    const ms = await page.evaluate(() => /** @type {any} */ (window).__cancelledAt - /** @type {any} */ (window).__clickedAt);
    latencies[model] = Number(ms.toFixed(1));
    // The figure to meet is 100 ms; the bound leaves room for a loaded machine.
    assert.ok(ms >= 0 && ms < 300, `Stop took ${ms} ms`);
    const { live, busy } = await workers(page);
    assert.deepEqual(busy, [], 'no worker is still running a task');
    // Processes and the baseline are killed; a threads host stops its pool and stays, idle.
    assert.deepEqual(live.filter((r) => r.startsWith('process') || r === 'baseline'), [], `left: ${live}`);
    // The next run works.
    await page.fill('#p-io_ms', '30');
    assert.equal(await runOnce(page), 'done');
    expectClean(problems);
    await context.close();
  });
}

/** Stop inside the instance too: an asyncio CPU run that yields stops computing, so the page's loop goes idle at once. */
test('Stop ends an asyncio CPU run inside the instance', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=asyncio&workload=cpu&tasks=4&cpu_ms=2000&yield_ms=10`);
  await ready(page);
  await page.click('#run');
  // Running, and past the calibration and the count of the cores: asyncio computes.
  await page.waitForFunction(() => /running asyncio/.test(document.getElementById('status')?.textContent ?? ''));
  /** How long the page's loop was busy in a 600 ms window: the sum of timer lateness. */
  const busyMs = () =>
    page.evaluate(async () => {
      let late = 0;
      const end = performance.now() + 600;
      while (performance.now() < end) {
        const t = performance.now();
        await new Promise((r) => setTimeout(r, 0));
        late += Math.max(0, performance.now() - t - 4);
      }
      return late;
    });
  const running = await busyMs();
  await page.click('#stop');
  assert.equal(await waitForEnd(page, 10_000), 'cancelled');
  const after = await busyMs();
  console.log(`asyncio CPU: loop busy ${running.toFixed(0)} ms of 600 while running, ${after.toFixed(0)} ms after Stop`);
  assert.ok(running > 300, `the run kept the loop busy (${running} ms)`);
  assert.ok(after < 200, `the loop is idle after Stop (${after} ms busy)`);
  expectClean(problems);
  await context.close();
});

/**
 * Post each junk message to a fresh worker at `url` and collect what comes back.
 * @param {import('playwright-core').Page} page
 */
async function junkReplies(page, url, prefix) {
  return page.evaluate(
    async ([url, prefix]) => {
      const junk = [
        null,
        42,
        'playground:process:init',
        [],
        {},
        { type: 7 },
        { type: 'hello' },
        { type: 'wasm_bindgen_worker_init', mainJS: 'data:text/javascript,postMessage("pwned")', id: 1 },
        { type: `${prefix}nope`, id: 2 },
        { type: `${prefix}run`, id: 3, query: 42 },
        { type: `${prefix}task`, id: 4, query: 'tasks=1', index: -1, itersPerMs: 'fast' },
        { type: `${prefix}sum`, id: 5, n: -1 },
        { type: `${prefix}count`, id: 6, n: 1.5 },
        { type: `${prefix}init`, id: 7 },
        { type: `${prefix}from-thread`, id: 8, thread: 99, data: { type: 'wasm_bindgen_worker_ready' } },
      ];
      const worker = new Worker(url, { type: 'module' });
      const replies = [];
      // A process says once, unasked, that its script is loaded: not a reply to the junk.
      worker.addEventListener('message', (ev) => ev.data?.type !== 'playground:process:loaded' && replies.push(ev.data));
      let crashed = '';
      worker.addEventListener('error', (ev) => (crashed = ev.message || 'error event'));
      for (const j of junk) worker.postMessage(j);
      const deadline = performance.now() + 10_000;
      while (replies.length < junk.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200)); // and nothing more
      globalThis.__junkWorker = worker; // for the checks that follow
      return { sent: junk.length, replies, crashed };
    },
    [url, prefix],
  );
}

/** A process worker answers every junk message with a named error and keeps working. */
test('a process worker answers junk with named errors', async () => {
  const { page, problems, context } = await open(env.browser, env.server.url);
  await ready(page);
  const { sent, replies, crashed } = await junkReplies(page, './workers/process.js', 'playground:process:');
  assert.equal(crashed, '');
  assert.equal(replies.length, sent, JSON.stringify(replies));
  for (const r of replies) {
    assert.equal(r.type, 'playground:error', JSON.stringify(r));
    assert.match(r.message, /^process: /);
  }
  assert.ok(replies.some((r) => r.id === 4 && /'index'/.test(r.message) && /'itersPerMs'/.test(r.message)), 'bad fields are named');
  assert.ok(!replies.some((r) => r === 'pwned'));
  // Still a working process.
  const result = await page.evaluate(async () => {
    const w = globalThis.__junkWorker;
    const wasm = await (await fetch('./pkg/plain/concurrency_playground_bg.wasm')).arrayBuffer();
    const module = await WebAssembly.compile(wasm);
    const reply = (type) => new Promise((resolve) => w.addEventListener('message', function on(ev) {
      if (ev.data?.type === type) { w.removeEventListener('message', on); resolve(ev.data); }
    }));
    const ready = reply('playground:process:ready');
    w.postMessage({ type: 'playground:process:init', module });
    await ready;
    const done = reply('playground:process:result');
    w.postMessage({ type: 'playground:process:task', id: 1, query: 'tasks=1&io_ms=1&cpu_ms=1', index: 0, itersPerMs: window.playground.itersPerMs });
    const r = await done;
    w.terminate();
    return r.index;
  });
  assert.equal(result, 0);
  expectClean(problems);
  await context.close();
});

/** The threads host answers every junk message with a named error (the rayon helper never sees it) and keeps working. */
test('the threads host answers junk with named errors', async () => {
  const { page, problems, context } = await open(env.browser, env.server.url);
  await ready(page);
  const { sent, replies, crashed } = await junkReplies(page, './workers/threads-host.js', 'playground:threads:');
  assert.equal(crashed, '');
  assert.equal(replies.length, sent, JSON.stringify(replies));
  for (const r of replies) {
    assert.equal(r.type, 'playground:error', JSON.stringify(r));
    assert.match(r.message, /^threads: /);
  }
  assert.ok(replies.some((r) => r.id === 1 && /wasm_bindgen_worker_init/.test(r.message)), 'the rayon init type is refused');
  assert.ok(replies.some((r) => r.id === 7 && /'query'/.test(r.message)), 'bad fields are named');
  const sum = await page.evaluate(async () => {
    const w = globalThis.__junkWorker;
    // The page starts the pool's threads for a host (runners/threading.js).
    const { relayPoolThreads } = await import('./runners/threading.js');
    const { stopWorker } = await import('./runners/registry.js');
    const threads = relayPoolThreads(w, 'junk host');
    const reply = (type) => new Promise((resolve) => w.addEventListener('message', function on(ev) {
      if (ev.data?.type === type) { w.removeEventListener('message', on); resolve(ev.data); }
    }));
    const ready = reply('playground:threads:ready');
    w.postMessage({ type: 'playground:threads:init', id: 10, query: 'threads=2' });
    await ready;
    const result = reply('playground:threads:result');
    w.postMessage({ type: 'playground:threads:sum', id: 11, n: 1000 });
    const r = await result;
    w.terminate();
    threads.forEach(stopWorker);
    return r.sum;
  });
  assert.equal(sum, (999 * 1000) / 2);
  expectClean(problems);
  await context.close();
});

/** No page code inserts HTML: text goes in with textContent, elements with createElement. */
test('no page code inserts HTML', () => {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!['pkg', 'vendor'].includes(e.name)) walk(p);
      } else if (/\.(m?js|html)$/.test(e.name)) files.push(p);
    }
  };
  walk(join(ROOT, 'www'));
  assert.ok(files.length > 10);
  const found = [];
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\b(innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment|document\.write|srcdoc|parseFromString)\b/.test(line)) {
          found.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(found, []);
});
