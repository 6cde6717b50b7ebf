/**
 * A saved agent's folder is checked without tfjs before any candles (src/agents/model-folder-check.ts): a meta.json
 * recipe that no longer fits its network (learner.recipe.window edited from 3 to 5), a truncated weight file and a
 * malformed scaler are each one line naming the model, not a crash at the first decision or a failure after candles
 * were fetched and stored (audit, session 38).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkModelFolder } from '../../src/agents/model-folder-check.ts';
import { UserError } from '../../src/core/errors.ts';
import { riseThenFall, saveAgent, SMALL_RECIPE, spoilNetworkShape } from '../trading/agents.ts';
import { tempDir } from '../trading/helpers.ts';
import { runBot, writeDeadExchangeConfig } from '../trading/cli.ts';

type Meta = { learner: { recipe: { window: number } }; scaler: Record<string, unknown> };

const refused = (dir: string, re: RegExp) =>
  assert.throws(
    () => checkModelFolder(dir),
    (e: Error) => e instanceof UserError && !e.message.includes('\n') && re.test(e.message),
  );

test('a model folder whose recipe, weights or scaler is broken is refused in one line before any data', async () => {
  const tmp = tempDir('bot-model-folder-check-');
  try {
    const candles = riseThenFall(120, 40);
    const save = async (name: string) => {
      const dir = path.join(tmp.dir, name);
      await saveAgent(dir, 'seeded', candles);
      return dir;
    };
    const editMeta = (dir: string, edit: (m: Meta) => void) => {
      const file = path.join(dir, 'meta.json');
      const meta = JSON.parse(readFileSync(file, 'utf8')) as Meta;
      edit(meta);
      writeFileSync(file, JSON.stringify(meta));
    };

    const good = await save('good');
    assert.doesNotThrow(() => checkModelFolder(good));

    const window = SMALL_RECIPE.window;
    const edited = await save('edited');
    editMeta(edited, (m) => (m.learner.recipe.window = window + 2));
    refused(
      edited,
      new RegExp(
        `^model .*edited: meta\\.json's recipe does not fit the saved network: recipe\\.window ${window + 2} × \\d+ ` +
          `features gives \\d+ inputs, model\\.json's network expects \\d+ \\(${window}×\\d+\\)$`,
      ),
    );

    // the network files of a longer window under the original meta.json
    const spoilt = await save('spoilt');
    await spoilNetworkShape(spoilt, candles, SMALL_RECIPE);
    refused(spoilt, /^model .*spoilt: meta\.json's recipe does not fit the saved network: recipe\.window \d+ × /);

    const truncated = await save('truncated');
    truncateSync(path.join(truncated, 'model.weights.bin'), 10);
    refused(truncated, /^model .*truncated: model\.weights\.bin has 10 bytes, model\.json expects \d+ \(truncated/);

    const scaler = await save('scaler');
    editMeta(scaler, (m) => (m.scaler = { kind: 'zscore', mean: 'x' }));
    refused(scaler, /^model .*scaler: meta\.json /);
  } finally {
    tmp.cleanup();
  }
});

test('bot backtest --model and bot predict --model refuse a broken model in one line, before any data', async () => {
  const tmp = tempDir('bot-model-folder-cli-');
  try {
    const candles = riseThenFall(120, 40);
    const dead = JSON.parse(readFileSync(writeDeadExchangeConfig(tmp.dir), 'utf8')) as Record<string, unknown>;
    const database = path.join(tmp.dir, 'candles.db');
    const config = path.join(tmp.dir, 'config.json');
    writeFileSync(config, JSON.stringify({ ...dead, data: { database }, ml: { backend: 'wasm' } }));
    const edited = path.join(tmp.dir, 'edited');
    await saveAgent(edited, 'seeded', candles);
    const file = path.join(edited, 'meta.json');
    const meta = JSON.parse(readFileSync(file, 'utf8')) as Meta;
    meta.learner.recipe.window += 2;
    writeFileSync(file, JSON.stringify(meta));
    const truncated = path.join(tmp.dir, 'truncated');
    await saveAgent(truncated, 'seeded', candles);
    truncateSync(path.join(truncated, 'model.weights.bin'), 10);
    const out = path.join(tmp.dir, 'run');
    for (const [dir, re] of [
      [edited, /^error: model .*edited: meta\.json's recipe does not fit the saved network: recipe\.window /],
      [truncated, /^error: model .*truncated: model\.weights\.bin has 10 bytes, model\.json expects /],
    ] as const) {
      for (const args of [
        ['backtest', '--model', dir, '--out', out],
        ['predict', '--model', dir],
      ]) {
        const res = await runBot([...args, '--config', config]);
        const lines = res.stderr.trim().split('\n');
        assert.equal(res.code, 1, res.stderr);
        assert.equal(lines.length, 1, res.stderr);
        assert.match(lines[0], re);
        assert.ok(!existsSync(database), `${args[0]}: no candle store created`);
        assert.ok(!existsSync(out), `${args[0]}: no run folder created`);
      }
    }
  } finally {
    tmp.cleanup();
  }
});
