// Verdicts on a busy machine: with two busy loops holding both cores (started here, at
// normal priority, as a learner's other work would), Compare all with three rounds ends
// with no "contradicted" verdict. Each cell lands on CPython's side ("confirmed") or says
// it cannot tell and why ("inconclusive"): a busy machine, rounds that disagree, or a
// measurement no machine could give. The test asserts verdicts, never times.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setUp, open, expectClean, waitForEnd, SAYS_WHY_AND_RUN_AGAIN } from './harness.mjs';

const env = setUp({ server: { port: 8360 } });
/** @type {import('node:child_process').ChildProcess[]} */
let hogs = [];
after(() => hogs.forEach((h) => h.kill('SIGKILL')));

test('Compare all with two busy loops on both cores: no verdict contradicts CPython', { timeout: 400_000 }, async () => {
  hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  process.once('exit', () => hogs.forEach((h) => h.kill('SIGKILL')));
  try {
    const { page, problems, context } = await open(
      env.browser,
      `${env.server.url}?compare=1&tasks=8&io_ms=200&cpu_ms=200&threads=8&processes=2&gil=on&repeat=3&run=1`,
    );
    assert.equal(await waitForEnd(page, 360_000), 'done', await page.locator('#error').textContent());
    const cells = await page.$$eval('td.matrix-cell', (tds) =>
      tds.map((td) => ({
        cell: `${td.dataset.model}/${td.dataset.workload}/${td.dataset.variant}`,
        verdict: td.dataset.verdict,
        speedup: td.dataset.speedup,
        range: `${td.dataset.speedupMin}-${td.dataset.speedupMax}`,
        text: td.querySelector('.verdict-text')?.textContent ?? '',
      })),
    );
    console.log(cells.map((c) => `${c.cell}: ${c.verdict} ${c.speedup} [${c.range}] ${c.text}`).join('\n'));
    assert.ok(cells.length >= 8, `every cell measured: ${cells.length}`);
    const contradicted = cells.filter((c) => c.verdict === 'contradicted');
    assert.deepEqual(contradicted, [], 'no verdict against CPython on a busy machine');
    for (const c of cells.filter((c) => c.verdict === 'inconclusive')) {
      assert.match(c.text, SAYS_WHY_AND_RUN_AGAIN, `${c.cell} is inconclusive without saying why: ${c.text}`);
    }
    expectClean(problems);
    await context.close();
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
});
