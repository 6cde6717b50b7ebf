/**
 * The `--strategy` value `bot sweep --save-strategy` prints for the file it wrote: a name is looked up in the
 * checkout's strategies/ only, so a file saved anywhere else (`strategies/x.ts` relative to another folder) is named by
 * its path, and that path loads it from any folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadStrategy, strategyArgument, STRATEGIES_DIR } from '../../src/agents/strategy.ts';

test('a file in strategies/ is named; one elsewhere by its absolute path, which loads it', async () => {
  assert.equal(strategyArgument(path.join(STRATEGIES_DIR, 'dqn-dnn.ts')), 'dqn-dnn');
  assert.equal((await loadStrategy(strategyArgument(path.join(STRATEGIES_DIR, 'dqn-dnn.ts')))).name, 'dqn-dnn');

  const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'strategy-arg-'));
  mkdirSync(path.join(elsewhere, 'strategies'));
  const file = path.join(elsewhere, 'strategies', 'saved-rule.ts');
  writeFileSync(
    file,
    "export default { kind: 'rule', name: 'saved-rule', description: 'holds', createPolicy: () => () => 0 };\n",
  );
  const cwd = process.cwd();
  process.chdir(elsewhere);
  let arg: string;
  try {
    arg = strategyArgument('strategies/saved-rule.ts');
  } finally {
    process.chdir(cwd);
  }
  assert.equal(arg, file);
  assert.equal((await loadStrategy(arg)).name, 'saved-rule');
  await assert.rejects(loadStrategy('saved-rule'), /unknown strategy "saved-rule"/);
});

test('a misspelt strategy name is told the name it probably meant; one far from any is not', async () => {
  await assert.rejects(loadStrategy('sma-cros'), (e: Error) =>
    /^unknown strategy "sma-cros", did you mean sma-cross\? \(available: /.test(e.message),
  );
  await assert.rejects(loadStrategy('moon-shot'), (e: Error) => !e.message.includes('did you mean'));
});

test(`a strategy file outside the project importing a package is told to move it into the project's \
strategies/`, async () => {
  const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'strategy-outside-'));
  const file = path.join(elsewhere, 'my-rule.ts');
  // technicalindicators is the project's dependency (strategies/rsi-reversion.ts); from the temp folder it is not found
  writeFileSync(
    file,
    "import { SMA } from 'technicalindicators';\n" +
      "export default { kind: 'rule', name: 'my-rule', description: String(SMA), createPolicy: () => () => 0 };\n",
  );
  await assert.rejects(loadStrategy(file), (e: Error) => {
    assert.match(e.message, /^.* does not load: Cannot find (module|package) 'technicalindicators'/);
    assert.ok(
      e.message.endsWith(`copy it to ${STRATEGIES_DIR}${path.sep} and give --strategy with its name)`),
      e.message,
    );
    assert.ok(!e.message.includes('\n'));
    return true;
  });
});
