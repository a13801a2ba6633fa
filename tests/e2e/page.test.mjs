// The playground page as a learner uses it: compare-all fills the guides' table with
// measured numbers and verdicts, the URL is a permalink, exports match what is shown,
// and the keyboard alone can run it, at phone and desktop widths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, open, expectClean, waitForEnd, rows, ready } from './harness.mjs';

const env = setUp({ server: { port: 8314 } });

/** Compare-all from an autorun URL fills all eight I/O and CPU cells with numbers and verdicts; I/O shows asyncio and threads ahead. */
test('compare all fills the matrix', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?compare=1&tasks=4&io_ms=150&cpu_ms=100&processes=2&run=1`);
  assert.equal(await waitForEnd(page, 120_000), 'done');
  const cells = await page.$$eval('#matrix td[data-model][data-workload]', (tds) =>
    tds.map((td) => ({
      model: td.dataset.model,
      workload: td.dataset.workload,
      variant: td.dataset.variant,
      verdict: td.dataset.verdict,
      speedup: td.dataset.speedup,
      text: td.textContent,
    })),
  );
  for (const model of ['sequential', 'asyncio', 'threading', 'multiprocessing']) {
    for (const workload of ['io', 'cpu']) {
      const cell = cells.find((c) => c.model === model && c.workload === workload);
      assert.ok(cell, `no cell ${model}/${workload}`);
      assert.ok(cell.speedup !== '' && Number.isFinite(Number(cell.speedup)), `${model}/${workload} has no number`);
      assert.ok(!['pending', 'running'].includes(cell.verdict), `${model}/${workload}: ${cell.verdict}`);
      assert.ok(cell.text.length > 10, `${model}/${workload} has a verdict line`);
    }
  }
  const io = (m) => Number(cells.find((c) => c.model === m && c.workload === 'io').speedup);
  assert.ok(io('asyncio') > 1.5, `asyncio I/O ${io('asyncio')}`);
  assert.ok(io('threading') > 1.5, `threading I/O ${io('threading')}`);
  expectClean(problems);
  await context.close();
});

/** Every parameter survives the trip form -> URL -> new page -> form. */
test('the share link round-trips every parameter', async () => {
  const query = 'workload=mixed&tasks=6&io_ms=120&cpu_ms=40&threads=3&processes=2&gil=off&switch_ms=7&yield_ms=10&pool=off&payload_kb=16&models=asyncio,threading&lab=none&increments=5000&shared=on';
  const { page, problems, context } = await open(env.browser, `${env.server.url}?${query}`);
  await ready(page);
  await page.fill('#p-tasks', '7');
  const shared = new URL(await page.evaluate(() => location.href));
  assert.equal(shared.searchParams.get('tasks'), '7', 'the URL follows the form');
  const again = await open(env.browser, shared.toString());
  await again.page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
  const expected = Object.fromEntries(new URLSearchParams(query));
  expected.tasks = '7';
  delete expected.lab; // the default, so a permalink leaves it out
  for (const [name, value] of Object.entries(expected)) {
    if (name === 'models') {
      const checked = await again.page.$$eval('[data-param=models] input:checked', (xs) => xs.map((x) => x.value).join(','));
      assert.equal(checked, value);
    } else {
      assert.equal(await again.page.locator(`#p-${name}`).inputValue(), value, name);
    }
  }
  expectClean(problems);
  expectClean(again.problems);
  await context.close();
  await again.context.close();
});

/** The exported JSON parses and matches the table; the trace JSON has one event per span. */
test('exports match what the page shows', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=sequential,asyncio&tasks=3&io_ms=60&run=1`);
  assert.equal(await waitForEnd(page), 'done');
  const table = await rows(page);
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const exported = JSON.parse(await streamText(await json.createReadStream()));
  assert.equal(exported.results.length, table.length);
  exported.results.forEach((r, i) => {
    assert.equal(r.model, table[i].model);
    assert.equal(Number(r.wallMs.toFixed(1)), table[i].wallMs);
  });
  const [trace] = await Promise.all([page.waitForEvent('download'), page.click('#export-trace')]);
  const events = JSON.parse(await streamText(await trace.createReadStream())).traceEvents.filter((e) => e.ph === 'X');
  const spans = await page.evaluate(() => window.playground.traces().reduce((n, t) => n + t.spans.length, 0));
  assert.equal(events.length, spans);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.equal((await streamText(await csv.createReadStream())).trim().split(/\r?\n/).length, table.length + 1);
  expectClean(problems);
  await context.close();
});

/** Keyboard alone: Tab reaches Run, Enter starts the run, and completion is announced. */
test('keyboard only: Tab reaches Run and Enter starts it', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=asyncio&tasks=2&io_ms=50`);
  await ready(page);
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'run');
  }
  assert.ok(reached, 'Tab reached Run');
  await page.keyboard.press('Enter');
  assert.equal(await waitForEnd(page), 'done');
  assert.match(await page.locator('#status').textContent(), /Done/);
  expectClean(problems);
  await context.close();
});

/** The page runs clean at 360 px and at 1440 px wide, with nothing wider than the screen. */
test('no error and no overflow at phone and desktop widths', async () => {
  for (const width of [360, 1440]) {
    const { page, problems, context } = await open(env.browser, `${env.server.url}?models=sequential,asyncio&tasks=3&io_ms=50&run=1`, { width, height: 800 });
    assert.equal(await waitForEnd(page), 'done');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${width} px: the page is ${overflow} px wider than the screen`);
    expectClean(problems);
    await context.close();
  }
});

/** @param {NodeJS.ReadableStream} stream */
async function streamText(stream) {
  let text = '';
  for await (const chunk of stream) text += chunk;
  return text;
}
