// The crossover's figures, from made-up measurements whose answer is known: where one model
// overtakes another, and when a crossing is only inconclusive (busy, overlapping rounds,
// an order that flips back and forth). The page's own module, run in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { series, crossings, BUSY_SPEED } from '../www/views/crossover.js';

const SHARES = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

/** Speedups of 4 tasks on 2 processes at computing share s (0 to 1), as the ideal says. */
const IDEAL = {
  asyncio: (s) => 4 / (1 + 3 * s),
  threading: (s) => (4 / (1 + 3 * s)) * 1.02,
  multiprocessing: () => 2,
};

/**
 * One point per model, share and round.
 * @param {Record<string, (s: number) => number>} models
 * @param {{rounds?: number, jitter?: number, busyAt?: number[]}} [o]
 */
function points(models, { rounds = 1, jitter = 0, busyAt = [] } = {}) {
  const out = [];
  for (let round = 0; round < rounds; round++) {
    for (const share of SHARES) {
      for (const [model, f] of Object.entries(models)) {
        const wobble = rounds > 1 ? (round % 2 ? jitter : -jitter) : 0;
        out.push({
          model,
          workload: 'mixed',
          variant: '',
          label: model,
          round,
          share,
          wallMs: 100,
          speedup: f(share / 100) * (1 + wobble),
          workers: 2,
          gil: null,
          lagMaxMs: 1,
          lagP99Ms: 1,
          speedRatio: busyAt.includes(share) ? BUSY_SPEED / 2 : 1,
          note: '',
        });
      }
    }
  }
  return out;
}

const find = (all, ahead, behind) => all.find((c) => c.ahead === ahead && c.behind === behind);

/** Processes overtake asyncio and threads where their speedups meet (a third of the way), clearly; asyncio and threads tie and never cross. */
test('the crossing of processes and the event loop is found where the curves meet', () => {
  const cells = series(points(IDEAL), SHARES, Object.keys(IDEAL));
  const all = crossings(cells, SHARES);
  const mp = find(all, 'multiprocessing', 'asyncio');
  assert.ok(mp, JSON.stringify(all));
  assert.equal(mp.status, 'clear');
  assert.ok(Math.abs(mp.share - 100 / 3) < 5, `at ${mp.share}%`);
  assert.ok(Math.abs(mp.speedup - 2) < 0.3, `at ${mp.speedup}x`);
  assert.ok(find(all, 'multiprocessing', 'threading'));
  assert.equal(find(all, 'threading', 'asyncio') ?? find(all, 'asyncio', 'threading'), undefined, 'a tie is not a crossing');
});

/** A busy machine beside the crossing (for a model or for its baseline), rounds whose ranges overlap there, or an order that flips back and forth make it inconclusive, with the reason. */
test('a crossing on shaky figures is inconclusive, and says why', () => {
  const busy = crossings(series(points(IDEAL, { busyAt: [30, 40] }), SHARES, Object.keys(IDEAL)), SHARES);
  assert.equal(find(busy, 'multiprocessing', 'asyncio').status, 'inconclusive');
  assert.match(find(busy, 'multiprocessing', 'asyncio').why, /busy/);
  const slowBaseline = points({ ...IDEAL, sequential: () => 1 }, { busyAt: [30] }).map((p) => (p.model === 'sequential' ? p : { ...p, speedRatio: 1 }));
  const viaBaseline = crossings(series(slowBaseline, SHARES, Object.keys(IDEAL)), SHARES);
  assert.match(find(viaBaseline, 'multiprocessing', 'asyncio').why, /busy/);

  const spread = crossings(series(points(IDEAL, { rounds: 3, jitter: 0.5 }), SHARES, Object.keys(IDEAL)), SHARES);
  assert.match(find(spread, 'multiprocessing', 'asyncio').why, /ranges overlap/);

  const zigzag = { a: (s) => (Math.round(s * 10) % 2 ? 3 : 1), b: () => 2 };
  const flips = crossings(series(points(zigzag), SHARES, ['a', 'b']), SHARES);
  assert.equal(flips.length, 1, JSON.stringify(flips));
  assert.match(flips[0].why, /more than once/);
});

/** Shares not measured yet leave gaps: no crossing is made up from a model with no figures. */
test('missing figures make no crossing', () => {
  const some = points(IDEAL).filter((p) => p.model !== 'multiprocessing' || p.share < 30);
  const all = crossings(series(some, SHARES, Object.keys(IDEAL)), SHARES);
  assert.equal(find(all, 'multiprocessing', 'asyncio'), undefined, JSON.stringify(all));
  assert.deepEqual(crossings(series([], SHARES, Object.keys(IDEAL)), SHARES), []);
});
