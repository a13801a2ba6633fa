// The foundation end to end: the page loads clean and isolated, the threads build starts
// a rayon pool in its worker, an autorun completes, and bad input is named, not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, open, expectClean, waitForEnd, rows, ready } from './harness.mjs';

const env = setUp({ server: { port: 8311 } });

/** The dev server isolates the page, and the page loads with no error of any kind. */
test('the page loads clean and cross-origin isolated', async () => {
  const { page, problems, context } = await open(env.browser, env.server.url);
  await ready(page);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.equal(await page.locator('#run').isEnabled(), true);
  assert.equal(await page.locator('#notice').isHidden(), true, 'no "threads are off" notice');
  expectClean(problems);
  await context.close();
});

/** The dev server sends the isolation headers, wasm's MIME type and no caching. */
test('the dev server sends the headers the page needs', async () => {
  const page = await fetch(env.server.url);
  assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal(page.headers.get('cross-origin-resource-policy'), 'same-origin');
  assert.match(page.headers.get('cache-control') ?? '', /no-store/);
  const wasm = await fetch(env.server.url + 'pkg/plain/concurrency_playground_bg.wasm');
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
});

/** The threads build starts a pool of the size asked for, and a parallel sum over shared memory is right. */
test('a rayon pool starts in its worker and sums over shared memory', async () => {
  const { page, problems, context } = await open(env.browser, env.server.url);
  await ready(page);
  const got = await page.evaluate(async () => {
    const { request } = await import('./runners/threading.js');
    const { MSG } = await import('./shared/protocol.js');
    const { answer } = await request(3, 'tasks=3', { type: MSG.threadsSum, n: 1_000_000 });
    return { sum: answer.sum, threads: answer.threads };
  });
  assert.equal(got.threads, 3);
  assert.equal(got.sum, (999_999 * 1_000_000) / 2);
  expectClean(problems);
  await context.close();
});

/** An autorun URL for sequential I/O completes, and its wall time is at least tasks x io_ms. */
test('sequential I/O from an autorun URL', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=sequential&workload=io&tasks=4&io_ms=100&run=1`);
  assert.equal(await waitForEnd(page), 'done');
  const [row] = await rows(page);
  assert.equal(row.model, 'sequential');
  assert.equal(row.workload, 'io');
  assert.ok(row.wallMs >= 4 * 100, `wall ${row.wallMs}`);
  assert.equal(row.speedup, 1);
  // The timeline drew the run.
  assert.ok(await page.locator('#timeline canvas').count() > 0);
  expectClean(problems);
  await context.close();
});

/** A bad URL parameter is named with its range, the form keeps the text, and nothing runs. */
test('a bad URL parameter shows its message and does not run', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?tasks=abc&io_ms=-5&run=1`);
  assert.equal(await waitForEnd(page), 'error');
  const message = await page.locator('#error').textContent();
  assert.match(message, /tasks/);
  assert.match(message, /io_ms/);
  assert.match(message, /1 to 10000/);
  assert.equal(await page.locator('#p-tasks').inputValue(), 'abc', 'the form keeps what was typed');
  assert.equal(await page.locator('[data-param=tasks] .field-error').textContent().then((t) => t.includes('tasks')), true);
  assert.equal((await rows(page)).length, 0, 'nothing ran');
  assert.match(page.url(), /tasks=abc/, 'the URL keeps the text');
  expectClean(problems);
  await context.close();
});

/** An unknown parameter is named too, and blocks an autorun. */
test('an unknown URL parameter is named', async () => {
  const { page, context } = await open(env.browser, `${env.server.url}?colour=blue&run=1`);
  assert.equal(await waitForEnd(page), 'error');
  assert.match(await page.locator('#form-errors').textContent(), /colour/);
  await context.close();
});
