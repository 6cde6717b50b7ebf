import { RSI } from 'technicalindicators';
import type { Decision, Observation } from '../src/core/policy.ts';
import type { RuleStrategy } from '../src/agents/strategy.ts';

const PERIOD = 14;
const OVERSOLD = 30;
const OVERBOUGHT = 70;
const BUY: Decision = { action: 'buy', confidence: 1 };
const SELL: Decision = { action: 'sell', confidence: 1 };
const HOLD: Decision = { action: 'hold', confidence: 0 };

/**
 * Mean reversion on RSI(14) of closes (technicalindicators; its output is rounded to 2 decimals):
 * buy when RSI falls below 30, sell when it rises above 70. RSI at t uses closes ≤ t only.
 */
const strategy: RuleStrategy = {
  kind: 'rule',
  name: 'rsi-reversion',
  description: `buy when RSI(${PERIOD}) < ${OVERSOLD}, sell when RSI > ${OVERBOUGHT}`,
  createPolicy: ({ candles }) => {
    const values = RSI.calculate({ period: PERIOD, values: Array.from(candles.close) });
    // the library returns one value per candle from index `period` on
    const rsi = new Float64Array(candles.close.length).fill(NaN);
    const offset = candles.close.length - values.length;
    for (let i = 0; i < values.length; i++) rsi[i + offset] = values[i];
    return {
      name: 'rsi-reversion',
      decide: (obs: Observation) => {
        const r = rsi[obs.t];
        if (!(r === r)) return HOLD;
        if (r < OVERSOLD && obs.state[0] < 0.5) return BUY;
        if (r > OVERBOUGHT && obs.state[0] > 0) return SELL;
        return HOLD;
      },
    };
  },
};
export default strategy;
