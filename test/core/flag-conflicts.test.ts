/** Flags that exclude each other (src/core/flag-conflicts.ts): one line naming both, only when both are given. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eitherNotBoth } from '../../src/core/flag-conflicts.ts';

test('both given: one line naming both as the user writes them, then what to do instead', () => {
  assert.throws(
    () => eitherNotBoth(['--data FILE', 'a.csv'], ['--sample', true]),
    /^UserError: use either --data FILE or --sample, not both$/,
  );
  assert.throws(
    () => eitherNotBoth(['--file', 'g.json'], ['--grid', ['lr=1']], ' (put the grid in the file)'),
    /^UserError: use either --file or --grid, not both \(put the grid in the file\)$/,
  );
  // an empty value was given all the same (`--model ""`)
  assert.throws(() => eitherNotBoth(['--model DIR', ''], ['--strategy NAME', 'x']), /not both/);
});

test('one of them, or a switch off, or an option that collected nothing: no refusal', () => {
  eitherNotBoth(['--data FILE', 'a.csv'], ['--sample', undefined]);
  eitherNotBoth(['--data FILE', undefined], ['--sample', true]);
  eitherNotBoth(['--data FILES', ['a.csv']], ['--sample', false]);
  eitherNotBoth(['--file', 'g.json'], ['--grid', []]);
});
