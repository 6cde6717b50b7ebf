/** `bot retrain --symbols` (issue 14): a rule portfolio strategy has nothing to retrain; one line, exit code 1. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { refusePortfolioRetrain } from '../../src/trading/portfolio-retrain.ts';
import { runBot } from './cli.ts';
import { tempDir } from './helpers.ts';

test('bot retrain --symbols: a rule portfolio strategy is refused in one line, before any disk work', async () => {
  const tmp = tempDir('bot-pf-retrain-');
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const r = await runBot(['retrain', '--symbols', 'BTC/KRW,ETH/KRW', '--strategy', 'equal-weight', '--db', db]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      'error: strategy "equal-weight" is a rule portfolio strategy: nothing to retrain; trade it with ' +
        'bot paper --symbols BTC/KRW,ETH/KRW --strategy equal-weight',
    );
    assert.equal(existsSync(db), false);
    const symbols = ['BTC/KRW', 'ETH/KRW'];
    await assert.rejects(refusePortfolioRetrain({ symbols, strategy: 'sma-cross' }), /trades one market/);
    await assert.rejects(refusePortfolioRetrain({ symbols }), /--strategy is needed/);
    // a model home whose serving version records a portfolio: the learner's job, named as such
    const home = path.join(tmp.dir, 'models', 'ppo-portfolio');
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, 'meta.json'), JSON.stringify({ strategy: 'ppo-portfolio', portfolio: { symbols } }));
    await assert.rejects(
      refusePortfolioRetrain({ symbols, model: home }),
      /is a portfolio model \(BTC\/KRW,ETH\/KRW\): retraining it needs the portfolio learner/,
    );
  } finally {
    tmp.cleanup();
  }
});
