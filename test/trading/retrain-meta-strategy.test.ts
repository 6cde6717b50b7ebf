/**
 * A model folder's meta.json names the strategy that trained it: `bot retrain --model` (and a trader's scheduled
 * retrain child, started without --strategy) loads that strategy. A path there was imported and so run; only a name in
 * strategies/ is taken from a model folder (audit, session 38, item 1).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { runRetrainJob } from '../../src/trading/retrain-job.ts';
import { quietLogger, tempDir } from './helpers.ts';

test('a meta.json naming a strategy file is refused in one line before the file is imported', async () => {
  const tmp = tempDir('bot-retrain-meta-strategy-');
  try {
    const marker = path.join(tmp.dir, 'ran');
    const evil = path.join(tmp.dir, 'evil.ts');
    const code = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n`;
    writeFileSync(evil, `${code}export default {};\n`);
    const home = path.join(tmp.dir, 'models', 'btc');
    mkdirSync(path.join(home, 'versions', 'v1'), { recursive: true });
    writeFileSync(path.join(home, 'CURRENT'), 'v1\n');
    writeFileSync(path.join(home, 'versions', 'v1', 'meta.json'), JSON.stringify({ strategy: evil }));
    const config = loadConfig({
      overrides: { agent: { modelsDir: path.join(tmp.dir, 'models') }, data: { database: path.join(tmp.dir, 'b.db') } },
    });
    const job = { config, logger: quietLogger(), model: home, train: () => Promise.reject(new Error('no training')) };
    await assert.rejects(runRetrainJob(job), (e: Error) => {
      assert.match(e.message, /not a strategy in strategies\/.*pass --strategy FILE explicitly if you trust/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assert.equal(existsSync(marker), false, 'the file a model folder names was run');
  } finally {
    tmp.cleanup();
  }
});
