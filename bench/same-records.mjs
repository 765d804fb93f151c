// The check that a peer's output is crosswalk's: unified records equal field by
// field on sample indexes (bench/run.mjs for the public API, bench/worker.mjs for
// the Workers).
import assert from 'node:assert/strict';

const TIME_KEYS = /(_at|_time)$/;

/** Unified records equal field by field (timestamps by instant, remote_data by content). */
export function assertSameRecords(ours, theirs, sample) {
  assert.equal(ours.length, theirs.length);
  for (const i of sample) {
    const a = ours[i];
    const b = theirs[i];
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `record ${i} keys`);
    for (const k of Object.keys(a)) {
      if (TIME_KEYS.test(k) && typeof a[k] === 'string') assert.equal(Date.parse(a[k]), Date.parse(b[k]), `record ${i}.${k}`);
      else assert.deepEqual(a[k], b[k], `record ${i}.${k}`);
    }
  }
}
