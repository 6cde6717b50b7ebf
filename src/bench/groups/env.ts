/** Bench group: the trading environment's step speed. */
import { syntheticCandles } from '../../data/synthetic.ts';
import { COST_PRESETS } from '../../market/costs.ts';
import { TradingEnv } from '../../market/trading-env.ts';
import { Rng } from '../../core/random.ts';
import type { BenchGroup } from '../table.ts';

const CANDLES = 50_000;
const WINDOW = 20;
const COLS = 25;

export const envGroup: BenchGroup = {
  name: 'env',
  description: `TradingEnv.step with a ${WINDOW} × ${COLS} feature window, random actions, confidence sizing`,
  async run(report) {
    const candles = syntheticCandles({ seed: 2, count: CANDLES });
    const data = new Float32Array(CANDLES * COLS);
    const rng = new Rng(3);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    for (const reward of [
      { kind: 'delayed', threshold: 0.05 },
      { kind: 'logReturn' },
      { kind: 'sharpe', eta: 0.01 },
    ] as const) {
      const env = new TradingEnv({
        candles,
        features: { data, cols: COLS },
        window: WINDOW,
        range: { from: WINDOW, to: CANDLES },
        costs: COST_PRESETS['upbit-krw'],
        balance: 10_000_000,
        sizing: { kind: 'confidence', minTradeValue: 100_000, maxTradeValue: 1_000_000 },
        reward,
      });
      let steps = 0;
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        env.reset();
        const started = performance.now();
        let done = false;
        let n = 0;
        while (!done) {
          done = env.step(rng.int(3), rng.next()).done;
          n++;
        }
        best = Math.min(best, (performance.now() - started) / 1000);
        steps = n;
      }
      report({
        figure: `step/s (${reward.kind} reward)`,
        value: Math.round(steps / best),
        unit: 'steps/s',
        note: `${steps.toLocaleString('en-US')} steps per episode`,
      });
    }
  },
};
