// asyncio with executors, the blocking lab and the crossover, end to end in headless
// Chromium, from autorun URLs. Ratios and verdicts only, never absolute times. Where a
// claim needs a free core (processes computing in parallel) and the machine gave none in
// any try, as the multiprocessing row of the same run shows, the test says so and does not
// fail: CPython shows no process speedup there either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, open, expectClean, waitForEnd, rows } from './harness.mjs';

const env = setUp({ server: { port: 8360 } });

/** The scenario of issue 17's "done when", as given. */
const DONE_WHEN = 'workload=mixed&tasks=8&io_ms=200&cpu_ms=200&processes=2&models=sequential,asyncio,threading,multiprocessing,asyncio-processes';

/**
 * Open an autorun URL and wait for the end; it must end done.
 * @param {string} query
 */
async function autorun(query, timeout = 180_000) {
  const opened = await open(env.browser, `${env.server.url}?${query}&run=1`);
  const state = await waitForEnd(opened.page, timeout);
  const error = await opened.page.locator('#error').textContent();
  assert.equal(state, 'done', `run ended as ${state}: ${error}`);
  const results = await opened.page.evaluate(() => window.playground.results());
  return { ...opened, results };
}

/** The result of `model` (and `variant`) in `results`. */
function result(results, model, variant = '') {
  const r = results.find((x) => x.model === model && x.variant === variant);
  assert.ok(r, `no ${model}/${variant} in ${JSON.stringify(results.map((x) => [x.model, x.variant]))}`);
  return r;
}

/** What a run's trace shows, lane by lane: the lanes, and for each state which lanes had it. */
function lanesOf(page, model) {
  return page.evaluate((m) => {
    const pg = /** @type {any} */ (window).playground;
    const i = pg.results().findIndex((/** @type {any} */ r) => r.model === m);
    const t = pg.traces()[i];
    /** @type {Record<string, string[]>} */
    const by = {};
    for (const s of t.spans) (by[s.state] ??= []).push(t.lanes[s.lane]);
    return { lanes: t.lanes, by };
  }, model);
}

const fmt = (r) => `${r.model}${r.variant ? `/${r.variant}` : ''} ${r.wallMs.toFixed(0)} ms, lag p99 ${r.lagP99Ms?.toFixed(1)} ms`;

/**
 * The done-when scenario: asyncio with 2 processes ahead of asyncio alone and threading
 * alone on mixed work, the page's loop free meanwhile (lag p99 under 20 ms), and the
 * timeline the loop's task lanes with their awaits beside the processes' lanes with the
 * work. Up to three runs, for a machine busy with other work.
 */
test('asyncio with a process pool beats asyncio and threading alone, and the loop stays free', async (t) => {
  /** @type {string[]} */
  const tries = [];
  /** @type {string[]} runs on a machine with a free core and a page left alone, whose figures must hold */
  const conclusive = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const { page, problems, context, results } = await autorun(DONE_WHEN);
    const combined = result(results, 'asyncio-processes');
    const asyncio = result(results, 'asyncio');
    const threading = result(results, 'threading');
    const warm = result(results, 'multiprocessing', 'warm');
    const seq = result(results, 'sequential');

    // The picture: 8 task lanes (waiting, then awaiting), 2 process lanes (the work), the lag lane.
    const { lanes, by } = await lanesOf(page, 'asyncio-processes');
    assert.deepEqual(lanes.slice(0, 10), [...Array.from({ length: 8 }, (_, i) => `task ${i}`), 'process 0', 'process 1']);
    assert.equal(lanes.length, 11, `lanes: ${lanes}`);
    assert.equal(by.awaiting?.length, 8, 'each task awaits its computing on its own lane');
    assert.ok(by.awaiting.every((l) => l.startsWith('task')));
    assert.ok(by.running?.length >= 8 && by.running.every((l) => l.startsWith('process')), `running on ${by.running}`);
    expectClean(problems);
    await context.close();

    const figures = `${[seq, asyncio, threading, warm, combined].map(fmt).join('; ')}; processes' kernel at ${(combined.speedRatio * 100).toFixed(0)}% of its speed`;
    tries.push(figures);
    // The processes ran in parallel only if both computed near their calibrated speed: two
    // sharing one core run at half of it each.
    const freeCore = combined.speedRatio != null && combined.speedRatio >= 0.75;
    // The sequential row runs in a worker: its lag is the page's own, left alone. Where
    // other work on the machine kept even that page waiting, no lag budget can hold.
    const quietPage = seq.lagP99Ms < 10;
    const ahead = combined.wallMs < 0.85 * Math.min(asyncio.wallMs, threading.wallMs);
    // The page's loop budget, 20 ms; asyncio alone holds the loop a whole computation.
    const loopFree = combined.lagP99Ms < 20 && combined.lagP99Ms * 4 < asyncio.lagP99Ms;
    if (freeCore && ahead && loopFree) {
      t.diagnostic(`attempt ${attempt}: ${figures}`);
      return;
    }
    if (freeCore && quietPage) conclusive.push(figures);
  }
  if (!conclusive.length) {
    t.diagnostic(`inconclusive: no run had a free core for the processes and a page left alone (${tries.join(' | ')})`);
    return;
  }
  assert.fail(`asyncio-processes was not clearly ahead with its loop free, in runs with a free core: ${conclusive.join(' | ')}`);
});

/** asyncio with threads: the computing goes to the threads (their lanes), the loop stays free, and under the GIL they compute one at a time: the run takes its waits plus all of its computing, as asyncio alone does. */
test('asyncio with threads frees the loop, but the GIL still serialises the computing', async (t) => {
  const { page, problems, context, results } = await autorun('workload=mixed&tasks=4&io_ms=150&cpu_ms=150&threads=4&models=sequential,asyncio,asyncio-threads');
  const combined = result(results, 'asyncio-threads');
  const asyncio = result(results, 'asyncio');
  const seq = result(results, 'sequential');
  const { lanes, by } = await lanesOf(page, 'asyncio-threads');
  assert.deepEqual(lanes.slice(4, 8), ['thread 0', 'thread 1', 'thread 2', 'thread 3']);
  assert.ok(by.running.every((l) => l.startsWith('thread')), `running on ${by.running}`);
  assert.equal(by.awaiting?.length, 4);
  const { overlap, computing } = await page.evaluate(() => {
    const pg = /** @type {any} */ (window).playground;
    const t = pg.traces()[pg.results().findIndex((/** @type {any} */ r) => r.model === 'asyncio-threads')];
    const running = t.spans.filter((/** @type {any} */ s) => s.state === 'running' && s.end_ms > s.start_ms);
    const edges = running.flatMap((/** @type {any} */ s) => [[s.start_ms, 1], [s.end_ms, -1]]);
    edges.sort((/** @type {any} */ a, /** @type {any} */ b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let max = 0;
    for (const [, d] of edges) max = Math.max(max, (now += d));
    return { overlap: max, computing: running.reduce((/** @type {number} */ a, /** @type {any} */ s) => a + s.end_ms - s.start_ms, 0) };
  });
  assert.equal(overlap, 1, 'one thread computes at a time under the GIL');
  assert.ok(combined.wallMs > 0.95 * (150 + computing), `the waits, then all the computing: ${fmt(combined)}, computing ${computing.toFixed(0)} ms`);
  assert.ok(by.gil_wait?.length > 0, 'the threads waited for the GIL');
  // asyncio alone holds the loop a whole computation; handing it to threads frees it,
  // where other work on the machine did not keep even the idle page waiting.
  if (seq.lagP99Ms < 10) assert.ok(combined.lagP99Ms * 4 < asyncio.lagP99Ms, `loop lag: ${fmt(combined)} against ${fmt(asyncio)}`);
  else t.diagnostic(`loop lag not compared: the page itself was kept waiting (${fmt(seq)})`);
  assert.equal(combined.gil, true);
  expectClean(problems);
  await context.close();
});

/** Compare all gives the combined models their rows in the guides' table, each cell with a number, its claim and a verdict. */
test('the matrix has rows and verdicts for the combined models', async () => {
  const { page, problems, context } = await autorun('compare=1&workload=mixed&tasks=4&io_ms=100&cpu_ms=100&processes=2&repeat=1', 300_000);
  const cells = await page.$$eval('#matrix td[data-model][data-workload]', (tds) =>
    tds.map((td) => ({ model: td.dataset.model, workload: td.dataset.workload, verdict: td.dataset.verdict, speedup: td.dataset.speedup, text: td.textContent })),
  );
  const caps = await page.evaluate(() => window.playground.caps);
  for (const model of ['asyncio-processes', ...(caps.threads ? ['asyncio-threads'] : [])]) {
    for (const workload of ['io', 'cpu', 'mixed']) {
      const cell = cells.find((c) => c.model === model && c.workload === workload);
      assert.ok(cell, `no cell ${model}/${workload}`);
      assert.ok(Number.isFinite(Number(cell.speedup)) && cell.speedup !== '', `${model}/${workload} has no number`);
      assert.ok(!['pending', 'running', 'untestable'].includes(cell.verdict), `${model}/${workload}: ${cell.verdict}`);
    }
  }
  const mixed = cells.find((c) => c.model === 'asyncio-processes' && c.workload === 'mixed');
  assert.match(mixed.text, /ahead of asyncio and threading alone/);
  const io = cells.find((c) => c.model === 'asyncio-processes' && c.workload === 'io');
  assert.equal(io.verdict, 'confirmed', `waits overlap on the loop: ${io.text}`);
  expectClean(problems);
  await context.close();
});

/** The blocking lab: time.sleep in each coroutine makes the waits go one after another and freezes the page's loop; asyncio.to_thread and asyncio.sleep overlap them and keep the loop free. Side by side in the lab's table. */
test('the blocking lab shows the frozen loop and the two fixes', async () => {
  const { page, problems, context, results } = await autorun('lab=blocking&tasks=4&io_ms=250&threads=4');
  const caps = await page.evaluate(() => window.playground.caps);
  const seq = result(results, 'sequential');
  const blocked = result(results, 'asyncio', 'blocking');
  const slept = result(results, 'asyncio', '');
  assert.ok(blocked.wallMs > 0.9 * seq.wallMs, `one after another: ${fmt(blocked)} against ${fmt(seq)}`);
  assert.ok(blocked.wallMs > 2.5 * slept.wallMs, `${fmt(blocked)} against ${fmt(slept)}`);
  assert.ok(blocked.lagMaxMs > 0.8 * 250, `the loop froze for a wait: ${fmt(blocked)}, max ${blocked.lagMaxMs} ms`);
  assert.ok(slept.lagP99Ms * 2 < blocked.lagMaxMs, `${fmt(slept)} against ${fmt(blocked)}`);
  const ways = ['blocking', 'await'];
  if (caps.threads) {
    const threads = result(results, 'asyncio-threads', 'to-thread');
    assert.ok(blocked.wallMs > 2.5 * threads.wallMs, `${fmt(blocked)} against ${fmt(threads)}`);
    assert.ok(threads.lagP99Ms * 2 < blocked.lagMaxMs, `${fmt(threads)} against ${fmt(blocked)}`);
    ways.push('to-thread');
  }
  const table = await page.$$eval('#lab tr[data-way]', (trs) => trs.map((tr) => ({ way: tr.dataset.way, wall: tr.dataset.wallMs, lag: tr.dataset.lagMaxMs })));
  for (const way of ways) assert.ok(table.find((r) => r.way === way && r.wall && r.lag), `no ${way} in ${JSON.stringify(table)}`);
  assert.match(await page.locator('#lab').textContent(), /held the event loop/);
  assert.equal(await page.locator('#results-section').isVisible(), true, 'the timed rows stay');
  // Each row is judged by what its way claims: time.sleep in a coroutine by the guides'
  // warning, not by asyncio's overlapping waits.
  const words = await page.$eval('tr[data-model=asyncio][data-variant=blocking] td.words', (td) => td.textContent ?? '');
  assert.match(words, /time\.sleep inside a coroutine holds the event loop/);
  assert.match(words, /\(as the guides warn\)/);
  assert.match(words, /time\.sleep blocks the one thread the loop runs on/);
  assert.doesNotMatch(words, /not what the guides say|waits overlap on one thread/);
  if (caps.threads) {
    const handed = await page.$eval('tr[data-model=asyncio-threads][data-variant=to-thread] td.words', (td) => td.textContent ?? '');
    assert.match(handed, /asyncio\.to_thread: the waits overlap/);
    assert.doesNotMatch(handed, /nothing to hand/);
  }
  expectClean(problems);
  await context.close();
});

/** Stop reaches a blocking wait: the loop breathes, so Stop ends the run at once and nothing keeps running. */
test('Stop ends the blocking lab while the loop is frozen', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?lab=blocking&tasks=4&io_ms=2000&threads=4`);
  await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
  await page.click('#run');
  // The baseline first (8 s in a worker); wait for the blocking step.
  await page.waitForFunction(() => /running asyncio/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 60_000 });
  await page.waitForTimeout(600);
  const clicked = Date.now();
  await page.click('#stop');
  assert.equal(await waitForEnd(page, 10_000), 'cancelled');
  assert.ok(Date.now() - clicked < 2000, `Stop took ${Date.now() - clicked} ms`);
  const busy = await page.evaluate(async () => (await import('./runners/registry.js')).busyWorkers());
  assert.deepEqual(busy, []);
  expectClean(problems);
  await context.close();
});

/** The crossover chart: every share from all waiting to all computing, every model's figure, the crossings listed and ringed; where a core was free, processes overtake asyncio part of the way along. */
test('the crossover chart renders with its crossover points', async (t) => {
  const { page, problems, context } = await autorun('crossover=1&tasks=4&task_ms=100&processes=2&repeat=1', 480_000);
  assert.equal(await page.locator('#crossover-section').isVisible(), true);
  assert.ok((await page.locator('#crossover canvas').count()) >= 1, 'the chart is drawn');
  const table = await page.$$eval('#crossover .crossover-table tbody tr', (trs) => trs.map((tr) => ({ share: Number(tr.dataset.share), cells: [...tr.querySelectorAll('td')].map((td) => ({ model: td.dataset.model, speedup: td.dataset.speedup })) })));
  assert.deepEqual(table.map((r) => r.share), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  for (const row of table) for (const c of row.cells) if (c.model !== 'threading') assert.ok(c.speedup !== '', `${c.model} at ${row.share}%`);
  const crossings = await page.evaluate(() => window.playground.crossings());
  const listed = await page.$$eval('#crossover li.crossing', (lis) => lis.map((li) => ({ ahead: li.dataset.ahead, behind: li.dataset.behind, status: li.dataset.status })));
  assert.equal(listed.length, crossings.length, 'every crossing is listed');
  for (const c of crossings) {
    assert.ok(c.share > 0 && c.share < 100 && ['clear', 'inconclusive'].includes(c.status), JSON.stringify(c));
  }
  // All waiting: asyncio overlaps every wait, 2 processes only two at a time.
  const at = (share, model) => Number(table.find((r) => r.share === share).cells.find((c) => c.model === model).speedup);
  assert.ok(at(0, 'asyncio') > at(0, 'multiprocessing'), `at 0%: asyncio ${at(0, 'asyncio')}, processes ${at(0, 'multiprocessing')}`);
  if (at(100, 'multiprocessing') > 1.3 * at(100, 'asyncio')) {
    const mp = crossings.find((c) => ['multiprocessing', 'asyncio-processes'].includes(c.ahead) && c.behind === 'asyncio');
    assert.ok(mp && mp.share >= 5 && mp.share <= 95, `processes overtake asyncio part of the way: ${JSON.stringify(crossings)}`);
    t.diagnostic(`crossings: ${crossings.map((c) => `${c.ahead} over ${c.behind} at ${c.share.toFixed(0)}% (${c.status})`).join('; ')}`);
  } else {
    t.diagnostic(`inconclusive: at 100% computing the processes had no free core (${at(100, 'multiprocessing')}x against asyncio's ${at(100, 'asyncio')}x)`);
  }
  expectClean(problems);
  await context.close();
});

/**
 * Bad input: a combined model with the race lab, processes out of range, a crossover whose
 * asyncio would freeze the page too long, and the crossover with Compare all. Each gets a
 * message beside its field (or above the form) naming the parameter and its range; nothing
 * runs and the URL keeps what was typed.
 */
test('unknown or conflicting choices are refused by name, and nothing runs', async () => {
  const cases = [
    { query: 'models=asyncio-processes&lab=race', field: 'lab', words: [/race/, /asyncio-processes/, /none or blocking/] },
    { query: 'models=asyncio-processes&processes=17', field: 'processes', words: [/17/, /1 to 16/] },
    { query: 'models=asyncio-threads&threads=0', field: 'threads', words: [/1 to 64/] },
    { query: 'crossover=1&tasks=100&task_ms=200', field: 'tasks', words: [/crossover/, /task_ms/, /10 s/] },
    { query: 'crossover=1&tasks=300', field: 'tasks', words: [/256/] },
    { query: 'models=asyncio,fibers', field: 'models', words: [/fibers/, /asyncio-processes/] },
  ];
  for (const c of cases) {
    const { page, problems, context } = await open(env.browser, `${env.server.url}?${c.query}&run=1`);
    assert.equal(await waitForEnd(page), 'error', c.query);
    const message = await page.locator(`[data-param=${c.field}] .field-error`).textContent();
    assert.ok(message.startsWith(`${c.field}:`), `${c.query}: ${message}`);
    for (const w of c.words) assert.match(message, w, c.query);
    assert.equal((await rows(page)).length, 0, `${c.query}: nothing ran`);
    assert.equal(new URL(page.url()).search, `?${c.query}&run=1`, 'the URL keeps what was typed');
    expectClean(problems);
    await context.close();
  }
  const { page, problems, context } = await open(env.browser, `${env.server.url}?crossover=1&compare=1&run=1`);
  assert.equal(await waitForEnd(page), 'error');
  assert.match(await page.locator('#form-errors').textContent(), /crossover: 1 cannot go with compare=1.*valid: one of 0, 1/);
  expectClean(problems);
  await context.close();
});
