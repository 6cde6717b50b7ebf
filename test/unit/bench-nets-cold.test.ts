/** The nets bench's timing: a first call over four budgets is the figure alone, flagged cold for the row's note. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coldNote, timeCalls } from '../../src/bench/groups/nets.ts';

test('nets bench: a step slower than four budgets is timed once and flagged cold; a quick one is a warm mean', () => {
  let calls = 0;
  // a busy wait of 20 ms against a 1 ms budget: over four budgets whatever the machine's load
  const slow = timeCalls(
    () => {
      calls++;
      const until = performance.now() + 20;
      while (performance.now() < until);
    },
    1,
    1,
  );
  assert.equal(slow.cold, true);
  assert.equal(calls, 1, 'the cold call is not repeated');
  assert.ok(slow.ms >= 20);
  let quick = 0;
  assert.equal(timeCalls(() => void quick++, 3, 50).cold, false);
  assert.ok(quick >= 4, 'one warm-up call, then at least the minimum calls');
  assert.match(coldNote(true), /^; one cold call \(over 6 s, so not repeated\), not a warm mean$/);
  assert.equal(coldNote(false), '');
});
