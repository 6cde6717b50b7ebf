/** The retry waits of a model version a trader gave up on (src/trading/version-refusal.ts), on a clock set by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionRefusal } from '../../src/trading/version-refusal.ts';

const HOUR = 3_600_000;

test('a version given up on is held until its wait is over; each retry that fails again waits twice as long, at \
most 24 hours; a new write of the pointer (another stamp) lets it be tried at once and starts again at 1 hour', () => {
  const clock = { now: Date.UTC(2024, 0, 1) };
  const refusal = versionRefusal(() => clock.now);
  assert.equal(refusal.holds('v', 's1'), false, 'nothing given up yet');
  const waits: number[] = [];
  for (let n = 0; n < 7; n++) {
    const said = refusal.refuse('v', 's1');
    const wait = Number(/tried again in (\d+)h/.exec(said)?.[1]) * HOUR;
    assert.ok(said.includes(`at ${new Date(clock.now + wait).toISOString()}`), said);
    waits.push(wait / HOUR);
    clock.now += wait - 1;
    assert.equal(refusal.holds('v', 's1'), true, 'held until the wait is over');
    assert.equal(refusal.holds('w', 's1'), false, 'another version is not held');
    assert.equal(refusal.holds('v', 's2'), false, 'a new write of the pointer is tried at once');
    clock.now += 1;
    assert.equal(refusal.holds('v', 's1'), false, 'tried again once the wait is over');
  }
  assert.deepEqual(waits, [1, 2, 4, 8, 16, 24, 24]);
  assert.match(refusal.refuse('v', 's2'), /tried again in 1h/);
});
