/**
 * `bot status` and the load path say alike whether CURRENT's version fits a run (runMisfits in
 * src/agents/model-market.ts): a portfolio model's version promoted into a one-market run, or a one-market model's into
 * a portfolio run, cannot take over, and the load path refuses it for good (ModelMismatchError). The status used to
 * promise `it takes over at the next tick` for both, as the two rules had drifted apart (session 39); its wording for
 * another market order is unchanged.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { checkModelMarket } from '../../src/agents/model-market.ts';
import { stageVersion } from '../../src/agents/model-pointer.ts';
import { checkModelSymbols } from '../../src/agents/portfolio-model-meta.ts';
import { ModelMismatchError } from '../../src/core/errors.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { promotedRefusal } from '../../src/trading/promoted-refusal.ts';
import { pairRecipe } from '../agents/portfolio-helpers.ts';
import { saveAgent, savePortfolioModel } from './agents.ts';
import { tempDir } from './helpers.ts';

const make = (seed: number, symbol: string) => ({
  ...syntheticCandles({ seed, count: 360, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 10, symbol }),
  exchange: 'upbit',
});

test(`a version of another kind than the run's (portfolio or one market) cannot take over, in the status's words and \
the load path's refusal alike; another market order keeps its words`, async () => {
  const tmp = tempDir('bot-promoted-misfit-');
  try {
    await initBackend('auto');
    const [a, b, i] = [make(1, 'A/KRW'), make(2, 'B/KRW'), make(3, 'I/KRW')];
    const home = path.join(tmp.dir, 'home');
    await saveAgent(home, 'sell', a); // 'initial': one market
    const save = async (version: string, series: (typeof a)[]) => {
      const staged = stageVersion(home, version);
      await savePortfolioModel(staged.dir, pairRecipe(), series, 'upbit');
      return staged.commit();
    };
    const pf = await save('pf', [a, b, i]);
    await save('swapped', [b, a, i]);
    const run = (symbol: string) => ({ policy: `model:${home}`, symbol, timeframe: '1h' });
    const why = (symbol: string, version: string) => promotedRefusal(run(symbol), version, 0)?.why;

    assert.equal(why('A/KRW', 'pf'), 'it trades A/KRW,B/KRW in that order; this run trades A/KRW');
    assert.equal(why('A/KRW,B/KRW', 'initial'), 'it trades one market; this run trades A/KRW,B/KRW');
    assert.equal(why('A/KRW,B/KRW', 'pf'), undefined, 'it fits');
    assert.equal(why('A/KRW,B/KRW', 'swapped'), 'it trades B/KRW,A/KRW in that order; this run trades A/KRW,B/KRW');
    assert.equal(why('A/KRW', 'initial'), undefined, 'it fits');

    // the load path refuses the same versions for good (no timed retry can change what they trade)
    const market = { exchange: 'upbit', symbol: 'A/KRW', timeframe: '1h' };
    assert.throws(
      () => checkModelMarket(home, pf, market),
      (e: Error) => e instanceof ModelMismatchError && /is a portfolio model trading A\/KRW,B\/KRW/.test(e.message),
    );
    assert.throws(
      () => checkModelSymbols(home, home, ['A/KRW', 'B/KRW']),
      (e: Error) => e instanceof ModelMismatchError && /is not a portfolio model/.test(e.message),
    );
    assert.doesNotThrow(() => checkModelSymbols(home, pf, ['A/KRW', 'B/KRW']));
  } finally {
    tmp.cleanup();
  }
});
