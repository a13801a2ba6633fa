// One picture per run: every model of a round on one time scale with its words, a threading
// run drawn while it runs with its GIL lane, and what 10,000 tasks would take one after
// another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, open, expectClean, waitForEnd, ready } from './harness.mjs';

const env = setUp({ server: { port: 8316 } });

/** Threads draw live: spans and the GIL lane reach the picture while the run goes on. */
test('a threading run draws its spans and its GIL lane while it runs', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=threading&workload=cpu&tasks=4&cpu_ms=400&threads=4&gil=on&run=1`);
  const seen = await page.waitForFunction(
    () => {
      const live = document.querySelector('.picture-item.live');
      const meta = live?.querySelector('.timeline-meta')?.textContent ?? '';
      const spans = Number(/([\d,]+) spans/.exec(meta)?.[1].replace(/,/g, '') ?? 0);
      // The table behind the live timeline names its lanes: the threads and the GIL's.
      const table = live?.querySelector('details.timeline-table');
      if (table && !table.open) table.open = true;
      const lanes = [...(live?.querySelectorAll('details.timeline-table tbody th') ?? [])].map((th) => th.textContent);
      const gilTurns = [...(live?.querySelectorAll('details.timeline-table tbody tr') ?? [])].find((tr) => tr.querySelector('th')?.textContent === 'GIL')?.textContent ?? '';
      // Threads, the GIL lane, and turns on it: drawn before the run is over.
      const ok = document.documentElement.dataset.state === 'running' && spans > 20 && lanes.includes('thread 0') && /holding the GIL/.test(gilTurns);
      return ok ? { spans, lanes } : null;
    },
    null,
    { timeout: 60_000, polling: 50 },
  );
  const { spans } = await seen.jsonValue();
  assert.ok(spans > 20, `${spans} spans drawn live`);
  assert.equal(await waitForEnd(page), 'done');
  const lanes = await page.evaluate(() => window.playground.traces()[0].lanes);
  assert.ok(lanes.includes('GIL'), `lanes: ${lanes}`);
  // The GIL lane's turns never overlap: one holder at a time.
  const overlap = await page.evaluate(() => {
    const t = window.playground.traces()[0];
    const gil = t.lanes.indexOf('GIL');
    const turns = t.spans.filter((s) => s.lane === gil).sort((a, b) => a.start_ms - b.start_ms);
    return turns.some((s, i) => i > 0 && s.start_ms < turns[i - 1].end_ms - 0.01);
  });
  assert.equal(overlap, false);
  expectClean(problems);
  await context.close();
});

/**
 * A live redraw leaves what has not changed as it is: while the pool runs, the finished
 * sequential figure keeps its caption's nodes (rebuilding every caption on every redraw held
 * the page's thread, which a Pool(8) on 2 cores gets little of).
 */
test('a live redraw rebuilds no caption that did not change', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=sequential,multiprocessing&workload=cpu&tasks=8&cpu_ms=250&processes=2&pool=on&run=1`);
  // The sequential row is in and the pool is running: mark the sequential figure's caption.
  await page.waitForFunction(
    () => {
      const done = document.querySelector('.picture-item[data-model="sequential"]:not(.live) .picture-caption > *');
      if (!done || !document.querySelector('.picture-item.live[data-model="multiprocessing"]')) return false;
      Object.assign(done, { marked: true });
      return true;
    },
    null,
    { timeout: 60_000, polling: 20 },
  );
  // Several live redraws later (one every 200 ms), still running: the same node.
  await page.waitForTimeout(700);
  const seen = await page.evaluate(() => ({
    running: document.documentElement.dataset.state === 'running',
    same: /** @type {any} */ (document.querySelector('.picture-item[data-model="sequential"] .picture-caption > *'))?.marked === true,
  }));
  assert.ok(seen.running, 'the pool run was over before the redraws could be seen: make it longer');
  assert.ok(seen.same, "the sequential figure's caption was rebuilt by a live redraw");
  assert.equal(await waitForEnd(page), 'done');
  expectClean(problems);
  await context.close();
});

/**
 * While more processes compute than the machine has cores, the live figure is redrawn at
 * most every 600 ms instead of every 200 ms: the page's thread then gets little of a core,
 * and each redraw kept it from answering for 20-40 ms. What the live figure says is recorded
 * each time it changes.
 */
test('a crowded run is redrawn less often while it runs', async () => {
  const url = `${env.server.url}?models=multiprocessing&workload=cpu&tasks=16&cpu_ms=150&processes=8&pool=on`;
  const { page, problems, context } = await open(env.browser, url);
  await ready(page);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.ok(cores < 8, `a Pool(8) does not crowd ${cores} cores: this test needs a machine with fewer than 8`);
  await page.evaluate(() => {
    /** @type {number[]} */
    const changes = [];
    let last = '';
    Object.assign(window, { changes });
    new MutationObserver(() => {
      const meta = document.querySelector('.picture-item.live .timeline-meta')?.textContent ?? '';
      if (/spans/.test(meta) && meta !== last && !/starting/.test(meta)) changes.push(performance.now());
      last = meta;
    }).observe(document.getElementById('timeline') ?? document.body, { subtree: true, childList: true, characterData: true });
    void (/** @type {any} */ (window).playground.run());
  });
  assert.equal(await waitForEnd(page), 'done');
  const changes = await page.evaluate(() => /** @type {any} */ (window).changes);
  const gaps = changes.slice(1).map((/** @type {number} */ t, /** @type {number} */ i) => t - changes[i]);
  assert.ok(gaps.length >= 2, `the live figure changed ${changes.length} times`);
  assert.ok(Math.min(...gaps) >= 450, `redrawn ${Math.min(...gaps).toFixed(0)} ms apart: ${gaps.map(Math.round)}`);
  expectClean(problems);
  await context.close();
});

/** Every model of the run on the same scale, each with the guides' claim, the measurement and why. */
test('the picture puts every model on one time scale with its words', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=sequential,asyncio,threading&workload=io&tasks=4&io_ms=100&threads=4&run=1`);
  assert.equal(await waitForEnd(page), 'done');
  const figures = await page.$$eval('.picture-item', (items) =>
    items.map((f) => ({
      model: f.dataset.model,
      words: f.querySelector('.picture-caption')?.textContent ?? '',
      // The last tick label of its axis: the same for every model on one scale.
      axisWidth: f.querySelector('canvas.timeline-axis')?.getBoundingClientRect().width,
    })),
  );
  assert.deepEqual(figures.map((f) => f.model), ['sequential', 'asyncio', 'threading']);
  for (const f of figures) {
    assert.match(f.words, /The guides:/, f.model);
    assert.match(f.words, /Here:/, f.model);
    assert.match(f.words, /Why:/, f.model);
  }
  assert.match(figures[1].words, /faster/);
  // One scale: the shared end of the axis is the longest run's (sequential's) for everyone.
  const ends = await page.evaluate(() => [...document.querySelectorAll('.picture-item .timeline-scroll')].map((s) => s.getAttribute('aria-label')));
  assert.equal(new Set(figures.map((f) => f.axisWidth)).size, 1, 'the timelines are as wide as each other');
  assert.ok(ends.length === 3);
  // The results table says the same, next to each row.
  const words = await page.$$eval('tr[data-model] td.words', (tds) => tds.map((td) => td.textContent));
  assert.equal(words.length, 3);
  assert.ok(words.every((w) => /Here:/.test(w)));
  expectClean(problems);
  await context.close();
});

/** 10,000 asyncio tasks and no sequential run: the page says what one after another would take. */
test('10,000 connections: what one after another would take', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?workload=io&tasks=10000&io_ms=200&models=asyncio&run=1`);
  assert.equal(await waitForEnd(page), 'done');
  assert.match(await page.locator('.picture-item .picture-caption').textContent(), /One after another, these 10,000 tasks would take about 2,000 s/);
  expectClean(problems);
  await context.close();
});
