// The cores the page counts: measured by running processes together (capabilities.js), not
// taken from navigator.hardwareConcurrency, which WebKitGTK gives as 4 on 2 cores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coresFrom, measureCores, coresNote } from '../www/capabilities.js';

/** A browser's storage, as a Map. */
function storage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), m };
}

globalThis.navigator ??= /** @type {any} */ ({ userAgent: 'test' });

/** A core counts when the processes got at least 0.2 of it; never more than reported. */
test('coresFrom: the measured capacity in whole cores', () => {
  assert.equal(coresFrom(1.93, 4), 2, 'two free cores, four reported');
  assert.equal(coresFrom(1.25, 4), 2, 'two cores, the page holding 0.75 of one');
  assert.equal(coresFrom(2.03, 4), 2, 'two cores, and the probe\'s own error');
  assert.equal(coresFrom(1.15, 4), 1, 'less than 0.2 of a second core');
  assert.equal(coresFrom(0.95, 2), 1, 'one core');
  assert.equal(coresFrom(3.9, 4), 4);
  assert.equal(coresFrom(7.9, 4), 4, 'never more than the browser reports');
  assert.equal(coresFrom(0, 4), 1, 'at least one');
});

/**
 * measureCores sets caps.cores to what it measured, says so when it differs from the
 * browser's figure, keeps the highest figure seen, and stops probing once two visits agree.
 */
test('measureCores: measured, kept, and probed again until two visits agree', async () => {
  const store = storage();
  globalThis.localStorage = /** @type {any} */ (store);
  const caps = /** @type {any} */ ({ cores: 4, reportedCores: 4 });
  const asked = [];
  const measure = (/** @type {number[]} */ figures) => async (/** @type {number} */ n) => {
    asked.push(n);
    return /** @type {number} */ (figures.shift());
  };
  const figures = [0.9, 1.9, 1.95, 1.2];
  assert.equal(await measureCores(caps, measure(figures)), 1);
  assert.equal(await measureCores(caps, measure(figures)), 2, 'a higher figure replaces a lower one');
  assert.equal(await measureCores(caps, measure(figures)), 2);
  assert.equal(await measureCores(caps, measure(figures)), 2, 'two visits agreed: no probe');
  assert.deepEqual(asked, [4, 4, 4], 'four processes, three probes');
  assert.equal(caps.cores, 2);
  assert.match(coresNote(caps), /reports 4 cores, but 2 computed at once/);
  assert.equal(coresNote({ ...caps, cores: 4 }), '');
});

/** A failed probe, or one core reported, leaves the browser's figure. */
test('measureCores: nothing to measure, or a failed probe', async () => {
  globalThis.localStorage = /** @type {any} */ (storage());
  const one = /** @type {any} */ ({ cores: 1, reportedCores: 1 });
  assert.equal(await measureCores(one, async () => assert.fail('no probe for one core')), 1);
  const caps = /** @type {any} */ ({ cores: 8, reportedCores: 8 });
  assert.equal(await measureCores(caps, async () => { throw new Error('no workers'); }), 8);
  assert.equal(caps.cores, 8);
});
