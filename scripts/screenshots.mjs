// The screenshots under docs/screenshots/, taken from the built page (npm run build first) in
// headless Chromium at 1440 x 900 and 390 x 844: first load, a CPU-bound run, Compare all,
// the race preset with the GIL on, a threading run while it runs, and the embed in a course
// page's iframe of a fixed 600 px. `npm run screenshots`; SHOTS=race,embed takes only those.
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, waitForEnd, ROOT } from '../tests/e2e/harness.mjs';

const OUT = join(ROOT, 'docs/screenshots');
const SIZES = [
  { name: '1440', width: 1440, height: 900, mobile: false },
  { name: '390', width: 390, height: 844, mobile: true },
];
const only = process.env.SHOTS ? new Set(process.env.SHOTS.split(',')) : null;

/** @type {{name: string, shoot: (page: import('playwright-core').Page, url: string, size: typeof SIZES[0]) => Promise<void>}[]} */
const SHOTS = [
  {
    name: 'first-load',
    shoot: async (page, url) => {
      await page.goto(url);
      await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
    },
  },
  {
    name: 'cpu-run',
    shoot: async (page, url, size) => {
      await page.goto(`${url}?workload=cpu&tasks=8&cpu_ms=200&threads=8&processes=2&run=1`);
      await waitForEnd(page, 120_000);
      await scrollTo(page, size.mobile ? '#results-panel' : '#timeline-section');
    },
  },
  {
    name: 'compare-all',
    shoot: async (page, url, size) => {
      await page.goto(`${url}?tasks=8&processes=2`);
      await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
      await (size.mobile ? page.tap('#compare') : page.click('#compare'));
      await waitForEnd(page, 240_000);
      await scrollTo(page, '#matrix-section');
    },
  },
  {
    name: 'race-gil-on',
    shoot: async (page, url, size) => {
      await page.goto(`${url}?lab=race&gil=on&threads=4&increments=100000&models=threading&run=1`);
      await waitForEnd(page, 120_000);
      await scrollTo(page, size.mobile ? '#lab-section' : '#results-panel');
    },
  },
  {
    name: 'threads-running',
    shoot: async (page, url, size) => {
      await page.goto(`${url}?models=threading&workload=cpu&tasks=8&cpu_ms=500&threads=8&gil=on&run=1`);
      // Drawn while it runs: the live timeline has its GIL lane and spans, the run is not over.
      await page.waitForFunction(() => document.querySelector('.picture-item.live canvas.timeline-canvas')?.height > 0, null, { timeout: 60_000 });
      await page.waitForTimeout(1500);
      await scrollTo(page, size.mobile ? '#timeline-section' : '#results-panel');
      if ((await page.evaluate(() => document.documentElement.dataset.state)) !== 'running') throw new Error('threads-running: the run ended before the screenshot');
    },
  },
  {
    name: 'embed-600',
    shoot: async (page, url) => {
      // A course page of another origin, as a learning platform would serve it.
      const src = `${url}embed.html?workload=cpu&tasks=8&cpu_ms=200&threads=8&processes=2&run=1`;
      writeFileSync(
        join(course, 'index.html'),
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Week 5: concurrency</title>
        <style>body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:760px;padding:16px}h1{font-size:1.3rem;margin:0 0 .3rem}p{margin:0 0 .6rem}iframe{display:block}</style></head>
        <body><h1>Week 5: concurrency, measured</h1><p>Press Run, then scroll the results inside the frame (600 px, no resize script).</p>
        <iframe src="${src.replaceAll('&', '&amp;')}" title="Concurrency Playground" width="100%" height="600" allow="cross-origin-isolated" style="border:1px solid #ccc"></iframe></body></html>`,
      );
      await page.goto(courseServer.url);
      const frame = page.frameLocator('iframe');
      await frame.locator('html[data-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });
      // Scrolled inside the frame to the threads' timeline: the results are all there.
      await frame.locator('.panel.results').evaluate((panel) => {
        const item = panel.querySelector('.picture-item[data-model="threading"]');
        if (!item) return;
        // The results panel scrolls in a wide frame; in a narrow one the whole embed does.
        const box = panel.scrollHeight > panel.clientHeight + 1 ? panel : document.scrollingElement;
        if (!box) return;
        const top = box === panel ? panel.getBoundingClientRect().top : 0;
        box.scrollTop += item.getBoundingClientRect().top - top - 8;
      });
      await page.waitForTimeout(300);
    },
  },
];

/** Bring `selector` to the top of the view (no smooth scrolling in a screenshot). */
async function scrollTo(page, selector) {
  await page.evaluate((s) => document.querySelector(s)?.scrollIntoView({ block: 'start' }), selector);
  await page.waitForTimeout(300);
}

mkdirSync(OUT, { recursive: true });
const server = await serve({ port: 8350 });
const course = mkdtempSync(join(tmpdir(), 'playground-course-'));
writeFileSync(join(course, 'favicon.ico'), '');
const courseServer = await serve({ dir: course, port: 8351, config: null });
const browser = await launch();
try {
  for (const shot of SHOTS.filter((s) => !only || only.has(s.name))) {
    for (const size of SIZES) {
      const context = await browser.newContext({
        viewport: { width: size.width, height: size.height },
        hasTouch: size.mobile,
        isMobile: size.mobile,
        reducedMotion: 'reduce',
      });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await shot.shoot(page, server.url, size);
      const file = join(OUT, `${shot.name}-${size.name}.png`);
      await page.screenshot({ path: file });
      console.log(`${file}${errors.length ? `  (page errors: ${errors.join('; ')})` : ''}`);
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
  await courseServer.stop();
  rmSync(course, { recursive: true, force: true });
}
