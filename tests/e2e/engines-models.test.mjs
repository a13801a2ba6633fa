// Every model in every engine a class uses: Chromium, Firefox ESR and WebKitGTK (Safari's
// engine), WebKitGTK twice: as Debian ships it, with SharedArrayBuffer off (threads cannot
// run: the run still ends `done`, every other model measured, one line saying why), and with
// `JSC_useSharedArrayBuffer=true`, as Safari has it on isolated pages (threads run).
//
// The guides' autoruns end `done` and each model lands on CPython's side, judged by the
// page's own verdicts (views/verdicts.js) with the page's own noise probe: confirmed, or
// inconclusive where the page says the machine was busy; never the other side of 1x. No
// absolute time is asserted. A missing browser or driver fails, saying what to install.
//
// One browser per engine for the whole file; each test opens its own page.
// ENGINES=firefox,webkit node --test tests/e2e/engines-models.test.mjs runs a subset.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './harness.mjs';
import { enginesToTest, WEBKIT_SAB, autorun, ready, rows, notices, verdicts, onCPythonsSide, describeVerdicts, sharedBrowser } from './engines-page.mjs';

/**
 * The browsers: one per engine, and WebKitGTK both ways.
 * @type {{name: string, engine: import('./engines.mjs').Engine, options: import('./engines.mjs').LaunchOptions, threads: boolean}[]}
 */
const BROWSERS = enginesToTest().flatMap((engine) =>
  engine === 'webkit'
    ? [
        { name: 'webkit (SharedArrayBuffer off, as shipped)', engine, options: {}, threads: false },
        { name: 'webkit (JSC_useSharedArrayBuffer=true)', engine, options: WEBKIT_SAB, threads: true },
      ]
    : [{ name: engine, engine, options: {}, threads: true }],
);

/** The guides' scenario: 8 tasks of 200 ms, 8 threads with the GIL, a pool of 2. */
const GUIDES = 'tasks=8&io_ms=200&cpu_ms=200&threads=8&processes=2&gil=on';
const GIL_OFF = 'workload=cpu&tasks=8&cpu_ms=200&threads=2&gil=off&models=sequential,threading';

let server;
before(async () => {
  server = await serve({ port: 8350 });
});
after(async () => {
  await server?.stop();
});

/**
 * @param {import('./engines-page.mjs').Row[]} all @param {string} model @param {string} workload @param {string} [variant]
 */
function row(all, model, workload, variant = '') {
  const r = all.find((x) => x.model === model && x.workload === workload && x.variant === variant);
  assert.ok(r, `no ${model}/${workload}/${variant} row in ${JSON.stringify(all)}`);
  return r;
}

/**
 * Where threads cannot run, the notice has exactly one line about them: threading is left
 * out, why, and what would run it.
 * @param {string[]} lines
 */
function threadsLeftOut(lines) {
  const about = lines.filter((l) => /thread/i.test(l));
  assert.equal(about.length, 1, `one line about threads: ${JSON.stringify(lines)}`);
  assert.match(about[0], /Threading is left out of this run/);
  assert.match(about[0], /SharedArrayBuffer/, 'it says why');
  assert.match(about[0], /Chrome, Edge and Firefox run them/, 'it says what would run them');
}

for (const b of BROWSERS) {
  describe(b.name, () => {
    const session = sharedBrowser(b.engine, b.options);
    after(() => session.close());

    /**
     * Runs `url` to its end: `done`, every model of `models` (threading only where it can
     * run) has its rows, with finite figures and no problem reported; where threads cannot
     * run, one line says why. Returns the page, its rows and the page's verdicts.
     * @param {string} query @param {string[]} models
     */
    async function run(query, models) {
      const { page, state, error } = await autorun(await session.get(), `${server.url}?${query}&run=1`);
      assert.equal(state, 'done', `${b.name}: the run ended ${state}: ${error}`);
      const all = await rows(page);
      const expected = models.filter((m) => b.threads || m !== 'threading');
      assert.deepEqual([...new Set(all.map((r) => r.model))].sort(), [...expected].sort(), `${b.name}: the models that ran`);
      for (const r of all) {
        assert.ok(r.wallMs > 0 && Number.isFinite(r.wallMs), `${b.name}: ${JSON.stringify(r)}`);
        assert.ok(r.speedup !== null && r.speedup > 0 && Number.isFinite(r.speedup), `${b.name}: ${JSON.stringify(r)}`);
        assert.equal(r.rounds, 1);
      }
      const lines = await notices(page);
      if (!b.threads && models.includes('threading')) threadsLeftOut(lines);
      else assert.deepEqual(lines.filter((l) => /left out/.test(l)), [], `${b.name}: nothing is left out`);
      assert.deepEqual(await page.problems(), [], `${b.name} reported problems`);
      return { page, all, ...(await verdicts(page)) };
    }

    /**
     * The guides on I/O-bound work: asyncio and threads overlap their waits, near 8x (the
     * verdict wants at least half the ideal), and the pool of 2 works but is less efficient.
     */
    test(`${b.name}: I/O-bound work, every model on CPython's side`, { timeout: 180_000 }, async (t) => {
      const { page, all, judged } = await run(`workload=io&${GUIDES}`, ['sequential', 'asyncio', 'threading', 'multiprocessing']);
      row(all, 'multiprocessing', 'io', 'cold');
      row(all, 'multiprocessing', 'io', 'warm');
      t.diagnostic(describeVerdicts(judged));
      for (const j of judged) assert.ok(j.status === 'confirmed' || j.status === 'baseline', `${b.name}:\n${describeVerdicts(judged)}`);
      assert.ok(row(all, 'asyncio', 'io').speedup >= 4, `asyncio ${row(all, 'asyncio', 'io').speedup}x`);
      if (b.threads) assert.ok(row(all, 'threading', 'io').speedup >= 4, `threading ${row(all, 'threading', 'io').speedup}x`);
      await page.close();
    });

    /**
     * The guides on CPU-bound work: asyncio and threads under the GIL about 1x, the pool of 2
     * clearly above 1x (cold and warm), or inconclusive where the page says the machine was
     * busy.
     */
    test(`${b.name}: CPU-bound work, every model on CPython's side`, { timeout: 180_000 }, async (t) => {
      const { page, all, judged, probe } = await run(`workload=cpu&${GUIDES}`, ['sequential', 'asyncio', 'threading', 'multiprocessing']);
      row(all, 'multiprocessing', 'cpu', 'cold');
      row(all, 'multiprocessing', 'cpu', 'warm');
      t.diagnostic(describeVerdicts(judged));
      const wrong = judged.filter((j) => !onCPythonsSide(j));
      assert.deepEqual(wrong, [], `${b.name} (baseline at ${probe?.toFixed(2) ?? "?"} of its calibrated speed):\n${describeVerdicts(judged)}`);
      await page.close();
    });

    /** Free-threaded Python: two threads without the GIL clearly above 1x on two cores. */
    test(`${b.name}: CPU-bound threads without the GIL`, { timeout: 180_000 }, async (t) => {
      const { page, all, judged, probe } = await run(GIL_OFF, ['sequential', 'threading']);
      if (b.threads) row(all, 'threading', 'cpu', 'gil-off');
      t.diagnostic(describeVerdicts(judged));
      const wrong = judged.filter((j) => !onCPythonsSide(j));
      assert.deepEqual(wrong, [], `${b.name} (baseline at ${probe?.toFixed(2) ?? "?"} of its calibrated speed):\n${describeVerdicts(judged)}`);
      await page.close();
    });

    /** Mixed work fills a row per model; finite figures, nothing left behind. */
    test(`${b.name}: mixed work, a row per model`, { timeout: 120_000 }, async () => {
      const { page, all } = await run('workload=mixed&tasks=4&io_ms=100&cpu_ms=50&threads=4&processes=2', ['sequential', 'asyncio', 'threading', 'multiprocessing']);
      for (const r of all) assert.equal(r.workload, 'mixed');
      row(all, 'multiprocessing', 'mixed', 'cold');
      row(all, 'multiprocessing', 'mixed', 'warm');
      await page.close();
    });

    /** One Process per task: a cold row, and every per-task process joined. */
    test(`${b.name}: one process per task`, { timeout: 120_000 }, async () => {
      const { page, all } = await run('models=sequential,multiprocessing&workload=io&tasks=4&io_ms=100&pool=off', ['sequential', 'multiprocessing']);
      row(all, 'multiprocessing', 'io', 'cold');
      const live = await page.evaluate(() => /** @type {any} */ (window).playground.liveWorkers().filter((/** @type {string} */ r) => /^process \d/.test(r)));
      assert.deepEqual(live, [], 'no per-task process left running');
      await page.close();
    });

    /**
     * Thread pools of 8 and 64 start at their first try, twice each, with every thread of
     * the pool a worker the page started, and none is left once the pools are stopped.
     * Firefox ESR blocks a worker now and then while it starts workers of its own (about a
     * third of the starts of 8 threads, docs/engines.md); the page starts the threads itself.
     */
    if (b.threads) {
      test(`${b.name}: thread pools of 8 and 64 start at their first try`, { timeout: 180_000 }, async () => {
        const page = await (await session.get()).open(server.url);
        await ready(page);
        const out = await page.evaluate(async () => {
          const threading = await import('./runners/threading.js');
          const { MSG } = await import('./shared/protocol.js');
          const { liveWorkers } = await import('./runners/registry.js');
          const starts = [];
          for (const n of [8, 64, 8, 64]) {
            const { ready, answer } = await threading.request(n, `threads=${n}&tasks=${n}`, { type: MSG.threadsSum, n: 1 });
            const threads = liveWorkers().filter((r) => r.startsWith(`threads host (${n}) thread `)).length;
            starts.push({ n, tries: ready.tries, poolThreads: answer.threads, threads });
            threading.stop();
          }
          return { starts, left: liveWorkers().filter((r) => r.startsWith('threads host')) };
        });
        for (const s of out.starts) {
          assert.equal(s.tries, 1, `${b.name}: a pool of ${s.n} started at try ${s.tries}: ${JSON.stringify(out.starts)}`);
          assert.equal(s.poolThreads, s.n, JSON.stringify(s));
          assert.equal(s.threads, s.n, `every thread is a worker the page started: ${JSON.stringify(s)}`);
        }
        assert.deepEqual(out.left, [], 'no host or thread left after stop');
        assert.deepEqual(await page.problems(), []);
        await page.close();
      });
    }

    /**
     * Stop 1 s into 200 asyncio coroutines of 40 ms each, which hand the page's loop to
     * each other: the loop breathes across them, so the run ends cancelled within 100 ms,
     * and nothing is left busy. Without breaths across tasks it ran on for 8.5 s. The end is
     * timed when `data-state` changes: timed by the next timer after it, which may wait for a
     * frame, it came to 349 ms once in WebKitGTK, where a frame drawn in software under Xvfb
     * costs 0.2-0.5 s of CPU (docs/engines.md).
     */
    test(`${b.name}: Stop ends 200 short CPU coroutines within 100 ms`, { timeout: 120_000 }, async (t) => {
      const page = await (await session.get()).open(`${server.url}?models=asyncio&workload=cpu&tasks=200&cpu_ms=40`);
      await ready(page);
      const out = await page.evaluate(async () => {
        const pg = /** @type {any} */ (window).playground;
        const root = document.documentElement;
        await pg.caps.coresMeasured;
        pg.run();
        while (root.dataset.state !== 'running' || !/running asyncio/.test(document.getElementById('status')?.textContent ?? '')) {
          await new Promise((r) => setTimeout(r, 5));
        }
        await new Promise((r) => setTimeout(r, 1000));
        let endedAt = 0;
        const seen = new MutationObserver(() => {
          if (['done', 'error', 'cancelled'].includes(root.dataset.state ?? '')) endedAt ||= performance.now();
        });
        seen.observe(root, { attributes: true, attributeFilter: ['data-state'] });
        const stoppedAt = performance.now();
        pg.stop();
        while (!['done', 'error', 'cancelled'].includes(root.dataset.state ?? '')) await new Promise((r) => setTimeout(r, 1));
        seen.disconnect();
        const { busyWorkers } = await import('./runners/registry.js');
        return { state: root.dataset.state, ms: (endedAt || performance.now()) - stoppedAt, busy: busyWorkers() };
      });
      t.diagnostic(`Stop to cancelled: ${out.ms.toFixed(1)} ms`);
      assert.equal(out.state, 'cancelled', `${b.name}: ${JSON.stringify(out)}`);
      assert.ok(out.ms < 100, `${b.name}: Stop took ${out.ms.toFixed(1)} ms`);
      assert.deepEqual(out.busy, []);
      assert.deepEqual(await page.problems(), []);
      await page.close();
    });

    /**
     * The freeze budget holds here too: 10,000 coroutines of 1 ms are refused (they held
     * Chromium's loop for 10.4 s), and the most the message allows holds the loop for 10 s
     * at most.
     */
    test(`${b.name}: the largest asyncio run the freeze budget allows holds the loop 10 s at most`, { timeout: 180_000 }, async (t) => {
      const refused = await autorun(await session.get(), `${server.url}?models=asyncio&workload=cpu&tasks=10000&cpu_ms=1&run=1`);
      assert.equal(refused.state, 'error');
      const fits = /use at most (\d+) tasks/.exec(refused.error ?? '');
      assert.ok(fits, `${b.name}: ${refused.error}`);
      await refused.page.close();
      const { page, state, error } = await autorun(await session.get(), `${server.url}?models=asyncio&workload=cpu&tasks=${fits[1]}&cpu_ms=1&run=1`);
      assert.equal(state, 'done', `${b.name}: ${error}`);
      const held = Math.max(...(await rows(page)).filter((r) => r.model === 'asyncio').map((r) => r.wallMs));
      t.diagnostic(`${fits[1]} coroutines of 1 ms held the loop for ${held} ms`);
      assert.ok(held <= 10_000, `${b.name}: ${fits[1]} coroutines of 1 ms held the loop for ${held} ms`);
      assert.deepEqual(await page.problems(), []);
      await page.close();
    });

    /**
     * A computing process gives its own event loop as few turns as Stop allows, so it
     * computes at its full speed: where the page can share memory it watches a stop flag and
     * takes no turn at all (a message posted to it 80 ms into a task of 400 ms is answered
     * after the task's result), elsewhere one every 250 ms (the message is answered no
     * sooner than 200 ms into the task). Its kernel runs at 0.85 or more of the page's
     * calibration (best of four, the page idle meanwhile). A process that breathed through its
     * own event loop every 50 ms answered the message within about 100 ms in every engine,
     * and in WebKit computed at 0.40-0.60 of the calibration (docs/engines.md).
     */
    test(`${b.name}: a computing process runs without a pause`, { timeout: 120_000 }, async (t) => {
      // No thread pool to prepare: its threads warming up would share the cores.
      const page = await (await session.get()).open(`${server.url}?models=sequential,multiprocessing&workload=cpu`);
      await ready(page);
      const out = await page.evaluate(async () => {
        const pg = /** @type {any} */ (window).playground;
        await pg.caps.coresMeasured;
        // The page settles first: WebKitGTK drawing in software kept its own thread at about
        // 0.65 of a core for 4 s after load here (docs/engines.md).
        await new Promise((r) => setTimeout(r, 4000));
        const itersPerMs = pg.itersPerMs;
        const shared = globalThis.crossOriginIsolated && typeof SharedArrayBuffer === 'function';
        const worker = new Worker(new URL('./workers/process.js', location.href), { type: 'module' });
        /** @type {Array<{type: string, at: number, data: any}>} */
        const seen = [];
        /** @type {(() => void) | null} */
        let wake = null;
        worker.onmessage = (ev) => {
          seen.push({ type: ev.data.type, at: performance.now(), data: ev.data });
          wake?.();
        };
        const next = (/** @type {string} */ type) =>
          new Promise((resolve, reject) => {
            const deadline = setTimeout(() => reject(new Error(`no ${type} in 20 s: ${JSON.stringify(seen.map((m) => m.type))}`)), 20_000);
            const look = () => {
              const i = seen.findIndex((m) => m.type === type);
              if (i < 0) return;
              clearTimeout(deadline);
              wake = null;
              resolve(seen.splice(i, 1)[0]);
            };
            wake = look;
            look();
          });
        await next('playground:process:loaded');
        const stop = shared ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
        worker.postMessage({ type: 'playground:process:init', moduleUrl: new URL('./pkg/plain/concurrency_playground_bg.wasm', location.href).href, warmUpMs: 100, stop });
        await next('playground:process:ready');
        const tasks = [];
        for (let id = 1; id <= 4; id++) {
          const sentAt = performance.now();
          worker.postMessage({ type: 'playground:process:task', id, query: 'workload=cpu&tasks=1&cpu_ms=400', index: 0, itersPerMs });
          await new Promise((r) => setTimeout(r, 80));
          worker.postMessage({ type: 'playground:process:nothing', id: 100 + id });
          const result = await next('playground:process:result');
          const answer = await next('playground:error');
          const running = result.data.spans.filter((/** @type {any} */ s) => s.state === 'running');
          const ms = running.reduce((/** @type {number} */ a, /** @type {any} */ s) => a + (s.end_ms - s.start_ms), 0);
          tasks.push({ answeredAfterResult: answer.at >= result.at, answeredAtMs: Math.round(answer.at - sentAt), speed: result.data.iters / ms / itersPerMs });
        }
        worker.terminate();
        return { shared, tasks };
      });
      const { shared, tasks } = out;
      t.diagnostic(`shared memory: ${shared}; kernel over the calibration: ${tasks.map((x) => x.speed.toFixed(2)).join(', ')}; message answered at ${tasks.map((x) => x.answeredAtMs).join(', ')} ms`);
      for (const x of tasks) {
        if (shared) assert.ok(x.answeredAfterResult, `${b.name}: the process answered a message while it computed: ${JSON.stringify(out)}`);
        else assert.ok(x.answeredAtMs >= 200, `${b.name}: the process answered a message ${x.answeredAtMs} ms into its task: ${JSON.stringify(out)}`);
      }
      const best = Math.max(...tasks.map((x) => x.speed));
      assert.ok(best >= 0.85, `${b.name}: the process computed at ${best.toFixed(2)} of the calibration at best: ${JSON.stringify(out)}`);
      assert.deepEqual(await page.problems(), []);
      await page.close();
    });

    /**
     * The biggest runs threads allow fit in the threads build's memory, whose maximum is
     * 256 MiB (`THREADS_MAX_MEMORY` in scripts/playground.sh; iOS Safari refuses large
     * maximums): 64 threads on 256 tasks, and the race lab on 64 threads, end `done`, and
     * the pool's memory has not grown past it.
     */
    if (b.threads) {
      test(`${b.name}: the biggest thread runs fit in 256 MiB`, { timeout: 180_000 }, async (t) => {
        const sizes = [];
        for (const query of ['models=threading&workload=mixed&tasks=256&io_ms=5&cpu_ms=2&threads=64&gil=off', 'lab=race&threads=64&increments=1000000&gil=on']) {
          const { page, state, error } = await autorun(await session.get(), `${server.url}?${query}&run=1`);
          assert.equal(state, 'done', `${b.name}: ${query} ended ${state}: ${error}`);
          const mib = await page.evaluate(async () => {
            const threading = await import('./runners/threading.js');
            const { MSG } = await import('./shared/protocol.js');
            const { ready } = await threading.request(64, location.search.slice(1), { type: MSG.threadsSum, n: 1 });
            return ready.memory.buffer.byteLength / 2 ** 20;
          });
          sizes.push(mib);
          assert.ok(mib <= 256, `${b.name}: ${query}: the pool's memory is ${mib} MiB`);
          assert.deepEqual(await page.problems(), []);
          await page.close();
        }
        t.diagnostic(`the pool's memory after the biggest runs: ${sizes.map((m) => m.toFixed(1)).join(', ')} MiB`);
      });
    }

    /** The labs: processes change only their own copies; threads race (where they run). */
    test(`${b.name}: the isolation lab and the race lab`, { timeout: 120_000 }, async () => {
      const iso = await autorun(await session.get(), `${server.url}?models=multiprocessing&lab=isolation&processes=2&increments=1000&shared=on&run=1`);
      assert.equal(iso.state, 'done', iso.error);
      const lab = await iso.page.evaluate(() => /** @type {any} */ (window).playground.results()[0].lab);
      assert.equal(lab.parentCounter, 0);
      assert.deepEqual(lab.perProcess, [1000, 1000]);
      if (b.threads) assert.equal(lab.sharedCounter, 2000);
      else {
        // No shared memory: the shared counter is left out and the lab says so.
        assert.equal(lab.sharedCounter, null);
        assert.match((await iso.page.text('#lab')) ?? '', /The shared counter was not run/);
      }
      assert.deepEqual(await iso.page.problems(), []);
      await iso.page.close();

      const race = await autorun(await session.get(), `${server.url}?lab=race&threads=4&increments=100000&gil=on&run=1`);
      if (b.threads) {
        assert.equal(race.state, 'done', race.error);
        const ways = await race.page.evaluate(() => /** @type {any} */ (window).playground.results()[0].lab.ways);
        const by = Object.fromEntries(ways.map((/** @type {any} */ w) => [w.way, w]));
        assert.equal(by.counter.lost, 0, JSON.stringify(by.counter));
        assert.ok(by.bank.lost > 0, JSON.stringify(by.bank));
        assert.equal(by.bank_locked.final, 0);
      } else {
        // A lab is one model: with threads off there is nothing to run, and the page says why.
        assert.notEqual(race.state, 'running');
        const lines = await notices(race.page);
        assert.ok(lines.some((l) => /SharedArrayBuffer/.test(l)), `why threads are off: ${JSON.stringify(lines)}`);
      }
      assert.deepEqual(await race.page.problems(), []);
      await race.page.close();
    });
  });
}
