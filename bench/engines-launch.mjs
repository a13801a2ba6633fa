// Start-up time and robustness of each engine in tests/e2e/engines.mjs: launch, open the
// page until it is ready, close; N times per engine, one browser at a time. Prints a table
// and checks that no browser process outlives its close.
//
//   node bench/engines-launch.mjs [rounds=5] [engines=chromium,firefox,webkit]
import { execFileSync } from 'node:child_process';
import { serve } from '../tests/e2e/harness.mjs';
import { ENGINES, launch } from '../tests/e2e/engines.mjs';
import { otherLoad } from './load.mjs';

const rounds = Number(process.argv[2] ?? 5);
const engines = process.argv[3]?.split(',') ?? ENGINES;
/** Processes of the browsers, by name: none should be left after a close. */
const NAMES = ['chromium', 'chrome', 'firefox-esr', 'geckodriver', 'WebKitWebDriver', 'MiniBrowser', 'WebKitWebProcess', 'WebKitNetworkProcess', 'Xvfb'];
/** How many of them run now (zombies left for their parent to reap do not count). */
const live = () =>
  Number(
    execFileSync('sh', ['-c', `ps -eo stat=,comm= | grep -v '^Z' | grep -cE ' (${NAMES.map((n) => n.slice(0, 15)).join('|')})$' || true`])
      .toString()
      .trim(),
  );

const server = await serve({ port: 8341 });
const others = otherLoad();
const before = live();
const results = [];
try {
  for (const engine of engines) {
    for (let i = 0; i < rounds; i++) {
      const row = { engine, round: i + 1, launchMs: NaN, readyMs: NaN, closeMs: NaN, leftover: 0, error: '' };
      try {
        const browser = await launch(engine);
        row.launchMs = browser.startupMs;
        const t = performance.now();
        const page = await browser.open(server.url);
        await page.waitFor(() => document.documentElement.dataset.state === 'ready', { timeout: 30_000 });
        row.readyMs = Math.round(performance.now() - t);
        const c = performance.now();
        await browser.close();
        row.closeMs = Math.round(performance.now() - c);
        await new Promise((r) => setTimeout(r, 300));
        row.leftover = live() - before;
      } catch (e) {
        row.error = String(e).split('\n')[0];
      }
      results.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  await server.stop();
}
console.log(`\nOther work on the machine meanwhile: ${others()} cores on average.`);
console.log('\n| engine | launches ok | launch ms (min / median / max) | open to ready ms (median) | close ms (median) | processes left |');
console.log('|---|---|---|---|---|---|');
const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const engine of engines) {
  const rs = results.filter((r) => r.engine === engine);
  const ok = rs.filter((r) => !r.error);
  const l = ok.map((r) => r.launchMs);
  console.log(`| ${engine} | ${ok.length}/${rs.length} | ${Math.min(...l)} / ${med([...l])} / ${Math.max(...l)} | ${med(ok.map((r) => r.readyMs))} | ${med(ok.map((r) => r.closeMs))} | ${Math.max(0, ...rs.map((r) => r.leftover))} |`);
}
