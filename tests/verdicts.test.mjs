// The verdict rules (www/views/verdicts.js) as a learner meets them, in Node without a page:
// what confirms, contradicts or leaves a cell inconclusive, and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, busyReason, physicalLimit, claimFor, fairShare, BUSY_PROBE, SLOW_CONTEXT } from '../www/views/verdicts.js';

/** A result with one round unless given more. */
const result = (r) => ({ rounds: 1, speedupMin: r.speedup, speedupMax: r.speedup, gil: true, variant: '', ...r });
const quiet = { cores: 2, tasks: 8, probe: 1 };

test('the guides hold on a quiet machine: every claim confirmed by a fitting speedup', () => {
  const cases = [
    [{ model: 'asyncio', workload: 'io', speedup: 7.9 }, 'confirmed'],
    [{ model: 'asyncio', workload: 'cpu', speedup: 1.0 }, 'confirmed'],
    [{ model: 'threading', workload: 'io', speedup: 7.8, workers: 8 }, 'confirmed'],
    [{ model: 'threading', workload: 'cpu', speedup: 0.97, workers: 8 }, 'confirmed'],
    [{ model: 'threading', workload: 'cpu', gil: false, speedup: 1.9, workers: 2 }, 'confirmed'],
    [{ model: 'multiprocessing', workload: 'cpu', speedup: 1.9, workers: 2, variant: 'warm' }, 'confirmed'],
    [{ model: 'sequential', workload: 'cpu', speedup: 1 }, 'baseline'],
  ];
  for (const [r, status] of cases) assert.equal(verdict(result(r), quiet).status, status, JSON.stringify(r));
});

test('a speedup on the wrong side of CPython on a quiet machine is contradicted', () => {
  assert.equal(verdict(result({ model: 'asyncio', workload: 'io', speedup: 1.1 }), quiet).status, 'contradicted');
  const pool = result({ model: 'multiprocessing', workload: 'cpu', speedup: 1.0, workers: 2 });
  assert.equal(verdict(pool, quiet).status, 'contradicted');
});

test('GIL-on threads beating one thread on CPU is a measurement problem, not a speedup', () => {
  const r = result({ model: 'threading', workload: 'cpu', speedup: 2.7, workers: 8 });
  const v = verdict(r, quiet);
  assert.equal(v.status, 'inconclusive');
  assert.match(v.text, /measurement problem: 2\.7x is more than one thread computing allows/);
  assert.deepEqual(physicalLimit(claimFor(r), r, quiet), { max: 1, why: 'one thread computing' });
});

test('no CPU run beats min(tasks, workers, cores)', () => {
  const r = result({ model: 'multiprocessing', workload: 'cpu', speedup: 3.1, workers: 4 });
  assert.match(verdict(r, quiet).text, /measurement problem: 3\.1x is more than 2 cores computing at once allows/);
  assert.equal(verdict({ ...r, speedup: 2.4 }, quiet).status, 'confirmed', 'within the slack of 2 cores');
});

test('a busy machine makes a CPU verdict inconclusive and says how busy, in the probe or in the run', () => {
  const pool = result({ model: 'multiprocessing', workload: 'cpu', speedup: 0.98, workers: 2 });
  const probed = verdict(pool, { ...quiet, probe: 0.62 });
  assert.equal(probed.status, 'inconclusive');
  assert.match(probed.text, /your machine was busy \(the kernel ran at 62% of its calibrated speed between rounds\); run again/);
  const slowed = verdict({ ...pool, speedRatio: 0.5 }, quiet);
  assert.match(slowed.text, /a multiprocessing worker computed at 50% of its calibrated speed/);
  const page = verdict(result({ model: 'asyncio', workload: 'cpu', speedup: 0.6, speedRatio: 0.4 }), quiet);
  assert.match(page.text, /asyncio's thread \(the page's\) computed at 40%/);
  // Just above the thresholds the machine counts as quiet.
  assert.equal(busyReason(pool, { ...quiet, probe: BUSY_PROBE }), '');
  assert.equal(busyReason({ ...pool, speedRatio: SLOW_CONTEXT }, quiet), '');
});

/**
 * More workers than cores share them: a Pool(8) on 2 cores computes at about a quarter of
 * the calibrated speed per process on a quiet machine, which is its share, not a busy
 * machine. Slower than that share, it is busy again.
 */
test('workers that outnumber the cores are measured against their share of them', () => {
  const pool8 = result({ model: 'multiprocessing', workload: 'cpu', speedup: 1.9, workers: 8, variant: 'warm', speedRatio: 0.24 });
  assert.equal(fairShare(pool8, quiet), 0.25);
  assert.equal(verdict(pool8, quiet).status, 'confirmed', verdict(pool8, quiet).text);
  const gilOff = result({ model: 'threading', workload: 'cpu', gil: false, speedup: 1.85, workers: 8, speedRatio: 0.23 });
  assert.equal(verdict(gilOff, quiet).status, 'confirmed', verdict(gilOff, quiet).text);
  // Under the GIL one thread computes at a time: its full speed is its share.
  assert.equal(fairShare(result({ model: 'threading', workload: 'cpu', workers: 8 }), quiet), 1);
  // Never more workers than tasks compute at once.
  assert.equal(fairShare({ ...pool8, workers: 8 }, { ...quiet, tasks: 4 }), 0.5);
  const busy = verdict({ ...pool8, speedRatio: 0.12 }, quiet);
  assert.equal(busy.status, 'inconclusive');
  assert.match(busy.text, /a multiprocessing worker computed at 48% of its share of the cores \(25% of the calibrated speed\)/);
});

test('a speedup between about 1x and clearly above says so, names a slowed worker, and asks for another run', () => {
  const pool = result({ model: 'multiprocessing', workload: 'cpu', speedup: 1.33, workers: 2, speedRatio: 0.78 });
  const v = verdict(pool, quiet);
  assert.equal(v.status, 'inconclusive');
  assert.equal(v.text, 'inconclusive: 1.3x, between about 1x and clearly above 1 (its slowest worker computed at 78% of the calibrated speed); run again');
  const full = verdict({ ...pool, speedRatio: 1 }, quiet);
  assert.equal(full.text, 'inconclusive: 1.3x, between about 1x and clearly above 1; run again');
});

test('waiting needs no free core: I/O verdicts stand on a busy machine', () => {
  const r = result({ model: 'asyncio', workload: 'io', speedup: 7.9, speedRatio: 0.3 });
  assert.equal(verdict(r, { ...quiet, probe: 0.3 }).status, 'confirmed');
});

test('rounds on both sides of the line between about 1x and clearly above are inconclusive', () => {
  const r = result({ model: 'multiprocessing', workload: 'cpu', speedup: 1.5, speedupMin: 0.99, speedupMax: 1.8, rounds: 3, workers: 2 });
  const v = verdict(r, quiet);
  assert.equal(v.status, 'inconclusive');
  assert.match(v.text, /the rounds gave 0\.99x to 1\.8x/);
  assert.equal(verdict({ ...r, speedupMin: 1.45 }, quiet).status, 'confirmed', 'all rounds clearly above');
});

test('multiprocessing on I/O is judged against the best of asyncio and threading', () => {
  const peers = [result({ model: 'asyncio', workload: 'io', speedup: 7.9 })];
  const pool = result({ model: 'multiprocessing', workload: 'io', speedup: 2.0, workers: 2 });
  assert.match(verdict(pool, { ...quiet, peers }).text, /confirmed: 2\.0x, below asyncio's 7\.9x/);
  assert.equal(verdict({ ...pool, speedup: 7.5 }, { ...quiet, peers }).status, 'contradicted');
});

test('one core cannot test parallelism', () => {
  const r = result({ model: 'multiprocessing', workload: 'cpu', speedup: 1.0, workers: 2 });
  assert.equal(verdict(r, { ...quiet, cores: 1 }).status, 'untestable');
});

test("the blocking lab is judged by the guides' warning: time.sleep in a coroutine gives no speedup, to_thread overlaps", async () => {
  const { explain } = await import('../www/views/explain.js');
  const blocked = result({ model: 'asyncio', workload: 'io', variant: 'blocking', speedup: 1.0, lagMaxMs: 200, workers: 1 });
  assert.equal(verdict(blocked, quiet).status, 'confirmed', 'one after another, as the guides warn');
  const words = explain(blocked, { ...quiet, ioMs: 200, cpuMs: 0 });
  assert.equal(words.agrees, 'as the guides warn');
  assert.match(words.claim, /time\.sleep inside a coroutine holds the event loop/);
  assert.match(words.why, /time\.sleep blocks the one thread the loop runs on/);
  assert.doesNotMatch(words.why, /overlap on one thread/);
  // Had the waits overlapped, the warning would be contradicted.
  assert.equal(verdict(result({ ...blocked, speedup: 7.4 }), quiet).status, 'contradicted');
  const handed = result({ model: 'asyncio-threads', workload: 'io', variant: 'to-thread', speedup: 7.6, workers: 8 });
  assert.equal(verdict(handed, quiet).status, 'confirmed');
  const handedWords = explain(handed, { ...quiet, ioMs: 200, cpuMs: 0 });
  assert.equal(handedWords.agrees, 'as the guides say');
  assert.doesNotMatch(handedWords.claim, /nothing to hand/);
  assert.match(handedWords.why, /asyncio\.to_thread|hands its blocking wait to a thread/);
  // asyncio's own waits keep their claim.
  assert.match(claimFor(result({ model: 'asyncio', workload: 'io', speedup: 7.9 })).claim, /tasks overlap their waits/);
});
