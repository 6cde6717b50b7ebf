/**
 * Issue 14's learning proof: on a synthetic pair whose leadership alternates in blocks, shown plainly by an
 * informative series, PPO over weights (the seed's one-number split) beats equal weights and each single asset on
 * held-out candles, for three seeds. Costs are Upbit's (0.05% fee, 5 bp slippage).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentPolicy, trainPortfolioAgent } from '../../src/agents/portfolio-agent.ts';
import { equalWeightPolicy, fixedWeightsPolicy } from '../../src/agents/portfolio-strategy.ts';
import { candlesFrom } from '../../src/data/timeline.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { runPortfolioBacktest, type PortfolioPolicy } from '../../src/market/portfolio-engine.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { alternatingPair, pairRecipe } from './portfolio-helpers.ts';

const costs = { ...COST_PRESETS['upbit-krw'], minOrderValue: 0 };
const SPLIT = 560;

test('PPO on weights beats equal weights and each single asset on held-out candles (3 seeds)', async () => {
  await initBackend('wasm');
  for (const seed of [1, 2, 3]) {
    const d = alternatingPair(800, seed);
    const agent = trainPortfolioAgent({
      recipe: pairRecipe(),
      traded: [d.a, d.b],
      informative: [d.index],
      costs: [costs, costs],
      balance: 1e6,
      band: 0.01,
      range: { from: 0, to: SPLIT },
      seed,
    });
    try {
      // held out: candles the agent and its scalers never saw
      const test = [candlesFrom(d.a, d.a.ts[SPLIT]), candlesFrom(d.b, d.b.ts[SPLIT])];
      const ret = (p: PortfolioPolicy) =>
        runPortfolioBacktest({ series: test, costs: [costs, costs], balance: 1e6, policy: p, band: 0.01 }).finalValue /
          1e6 -
        1;
      const ppo = ret(agentPolicy('ppo', () => agent, 30));
      const rivals = {
        'equal weights / 20': ret(equalWeightPolicy(2, 20)),
        'equal weights held': ret(equalWeightPolicy(2, Infinity)),
        'A held': ret(fixedWeightsPolicy('a', [1, 0], Infinity)),
        'B held': ret(fixedWeightsPolicy('b', [0, 1], Infinity)),
      };
      for (const [name, r] of Object.entries(rivals))
        assert.ok(ppo > r + 0.2, `seed ${seed}: PPO ${ppo.toFixed(3)} vs ${name} ${r.toFixed(3)}`);
    } finally {
      agent.dispose();
    }
  }
});
