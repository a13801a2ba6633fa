// Accessibility, checked the way a learner meets the page: axe-core's WCAG 2.0, 2.1 and 2.2
// A and AA rules report nothing on first load, after Compare all, in both labs and in the
// embed; the keyboard never loses its place when Run and Stop disable; the first view holds
// the presets, the basic settings and Run at desktop and phone sizes; tap targets on a touch
// screen are at least 44 px; a phone run brings its results into view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import { setUp, open, expectClean, waitForEnd } from './harness.mjs';

const env = setUp({ server: { port: 8315 } });

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** axe's violations on the page now, as lines naming the rule and the elements. */
async function violations(page) {
  const { violations: found } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return found.map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
}

for (const scheme of ['light', 'dark']) {
  /** The first view, before anything runs, in light and dark. */
  test(`axe: no violations on first load and after a run (${scheme})`, async () => {
    const { page, problems, context } = await open(env.browser, env.server.url);
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
    assert.deepEqual(await violations(page), []);
    // The advanced settings, opened.
    await page.click('details.advanced > summary');
    assert.deepEqual(await violations(page), []);
    // After a run: the picture, its legend with the states this run did not have (dimmed,
    // still readable), the results in words.
    await page.fill('#p-tasks', '3');
    await page.fill('#p-io_ms', '60');
    await page.click('#run');
    assert.equal(await waitForEnd(page, 60_000), 'done');
    assert.ok((await page.locator('.timeline-legend li.absent').count()) > 0, 'a state is absent from an I/O run');
    assert.deepEqual(await violations(page), []);
    expectClean(problems);
    await context.close();
  });
}

/** After Compare all: the picture, the results in words, the matrix, the timelines' tables. */
test('axe: no violations after Compare all', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?compare=1&tasks=3&io_ms=60&cpu_ms=40&processes=2&repeat=1&run=1`);
  assert.equal(await waitForEnd(page, 120_000), 'done');
  await page.locator('details.timeline-table > summary').first().click();
  assert.deepEqual(await violations(page), []);
  expectClean(problems);
  await context.close();
});

/** The race lab with the GIL on and the isolation lab. */
for (const lab of ['lab=race&gil=on&threads=4&increments=20000', 'lab=isolation&processes=2&increments=1000&shared=on']) {
  test(`axe: no violations in the lab (${lab.split('&')[0]})`, async () => {
    const { page, problems, context } = await open(env.browser, `${env.server.url}?${lab}&run=1`);
    assert.equal(await waitForEnd(page, 60_000), 'done');
    assert.deepEqual(await violations(page), []);
    expectClean(problems);
    await context.close();
  });
}

/** The embed, before and after a run, in a short fixed-height frame. */
test('axe: no violations in the embed', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}embed.html?workload=io&tasks=3&io_ms=60&threads=3&processes=2&run=1`, { width: 700, height: 600 });
  assert.equal(await waitForEnd(page, 60_000), 'done');
  assert.deepEqual(await violations(page), []);
  expectClean(problems);
  await context.close();
});

/** Run hands the keyboard to Stop as it disables, and Stop hands it back at the end. */
test('focus is never lost when Run and Stop disable', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=asyncio&tasks=2&io_ms=300`);
  await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
  await page.focus('#run');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.documentElement.dataset.state === 'running');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'stop');
  assert.equal(await waitForEnd(page), 'done');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'run');
  // Stop pressed from the keyboard: the focus goes back to Run.
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.documentElement.dataset.state === 'running');
  await page.keyboard.press('Enter');
  assert.equal(await waitForEnd(page), 'cancelled');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'run');
  expectClean(problems);
  await context.close();
});

/** The presets, the basic settings and Run are in the first view at 1440 x 900 and 390 x 844; the rest is under "Advanced settings". */
for (const [width, height] of [[1440, 900], [390, 844]]) {
  test(`first view at ${width} x ${height}: presets, basic settings and Run without scrolling`, async () => {
    const { page, problems, context } = await open(env.browser, env.server.url, { width, height });
    await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
    const inView = async (selector) =>
      page.$eval(selector, (e) => {
        const r = e.getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight;
      });
    for (const sel of ['#presets li:last-child a', '#p-workload', '#p-tasks', '#p-io_ms', '#p-cpu_ms', '[data-param=models] .checks', '#run', 'details.advanced > summary']) {
      assert.ok(await inView(sel), `${sel} is not in the first view`);
    }
    assert.equal(await page.locator('#p-gil').isVisible(), false, 'the GIL is an advanced setting');
    expectClean(problems);
    await context.close();
  });
}

/** On a touch screen every control is at least 44 px tall; a phone's run scrolls to its results and the status says what runs. */
test('a phone: 44 px tap targets, and a run brings its results into view', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${env.server.url}?models=sequential,asyncio&tasks=3&io_ms=300`);
  await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
  const small = await page.$$eval('button, select, input:not([type=checkbox]), .presets a, summary, .checks label, [role=tab]', (els) =>
    els
      .filter((e) => e.getBoundingClientRect().height > 0 && getComputedStyle(e).visibility !== 'hidden')
      .filter((e) => e.getBoundingClientRect().height < 44)
      .map((e) => `${e.tagName.toLowerCase()}#${e.id || e.textContent?.trim().slice(0, 20)} ${Math.round(e.getBoundingClientRect().height)} px`),
  );
  assert.deepEqual(small, []);
  // With 44 px targets the first view still holds the presets, the basic settings, Run and the way to the rest.
  for (const sel of ['#presets li:last-child a', '[data-param=models] .checks', '#run', 'details.advanced > summary']) {
    const box = await page.$eval(sel, (e) => {
      const r = e.getBoundingClientRect();
      const bar = document.querySelector('.run-bar')?.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, covered: e.closest('.run-bar') ? false : !!bar && r.bottom > bar.top && r.top < bar.bottom };
    });
    assert.ok(box.top >= 0 && box.bottom <= 844 && !box.covered, `${sel} is not in the first view: ${JSON.stringify(box)}`);
  }
  await page.tap('#compare');
  await page.waitForFunction(() => document.documentElement.dataset.state === 'running');
  await page.waitForFunction(() => {
    const r = document.getElementById('results-panel')?.getBoundingClientRect();
    return !!r && r.top < innerHeight / 2 && r.bottom > 0;
  });
  assert.match(await page.locator('#status').textContent(), /running/i);
  await page.evaluate(() => window.playground.stop());
  assert.equal(await waitForEnd(page), 'cancelled');
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height < 9000, `the page is ${height} px tall`);
  assert.deepEqual(problems, []);
  await context.close();
});

/** The Python panel's tabs: arrow keys move between them, Enter keeps the focus on the tab, the script box takes focus, and the whole script can be shown. */
test('Python tabs: arrow keys and Enter keep the keyboard, the whole script shows', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?models=sequential,asyncio,threading`);
  await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
  await page.waitForFunction(() => (document.getElementById('python-code')?.textContent ?? '').includes('python3'));
  await page.focus('#python-tab-sequential');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'python-tab-asyncio');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'python-tab-asyncio');
  assert.equal(await page.getAttribute('#python-tab-asyncio', 'aria-selected'), 'true');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'python-tab-threading');
  await page.waitForFunction(() => (document.getElementById('python-code')?.textContent ?? '').includes('import threading'));
  assert.match(await page.locator('#python-how').textContent(), /threading way/);
  assert.equal(await page.getAttribute('#python-code-box', 'tabindex'), '0');
  const box = page.locator('#python-code-box');
  const before = await box.evaluate((e) => e.clientHeight);
  await page.click('#expand-python');
  const after = await box.evaluate((e) => ({ client: e.clientHeight, scroll: e.scrollHeight }));
  assert.ok(after.client >= after.scroll - 1 && after.client > before, `the whole script shows: ${JSON.stringify({ before, after })}`);
  expectClean(problems);
  await context.close();
});

/** The race lab's how-to names its own file and what it prints, not a timing script's. */
test('the race lab Python how-to is the lab\'s', async () => {
  const { page, problems, context } = await open(env.browser, `${env.server.url}?lab=race&gil=on&threads=4`);
  await page.waitForFunction(() => (document.getElementById('python-how')?.textContent ?? '').includes('race_lab.py'));
  assert.match(await page.locator('#python-how').textContent(), /threading\.Lock/);
  assert.match(await page.locator('#python-how').textContent(), /CPython 3\.10 or later/);
  expectClean(problems);
  await context.close();
});
