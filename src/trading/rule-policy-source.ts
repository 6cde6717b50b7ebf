/** A rule strategy as the trader's policy source, and what every policy source comes with (its sizing and costs). */
import type { Candles } from '../core/candles.ts';
import { createRulePolicy } from '../agents/rule-guard.ts';
import { ruleTickCandles, RULE_WARMUP_CANDLES, type RuleStrategy } from '../agents/strategy.ts';
import type { SizingOptions } from '../market/execution.ts';
import type { CostsFrom } from '../market/costs.ts';
import { ObservationBuilder } from '../market/observation.ts';
import type { PolicyHandle, PolicySource } from './types.ts';

/** A policy source with the sizing and costs its backtest used, and where their minimum order came from. */
export interface PolicyChoiceResult extends CostsFrom {
  source: PolicySource;
  sizing: SizingOptions;
}

/**
 * A rule strategy as a policy source: the policy is rebuilt over the tick's candles at every tick (rule policies
 * precompute their indicators from candles ≤ t, so a longer series never changes an earlier decision).
 */
export function rulePolicySource(strategy: RuleStrategy, seed: number): PolicySource {
  const label = `strategy:${strategy.name}`;
  return {
    label,
    // the same warm-up `bot backtest --from` loads, so path-dependent indicators (RSI, EMA) start from the same candle
    history: RULE_WARMUP_CANDLES,
    historyAsRuleWarmup: true,
    // a tick after that: enough for those indicators to equal the ones over the run's whole history (a rule whose
    // indicators reach further says how far in its `lookback`)
    lookback: ruleTickCandles(strategy),
    forCandles(candles: Candles): PolicyHandle {
      const policy = createRulePolicy(strategy, { candles, seed });
      const builder = new ObservationBuilder({ candles, window: 0 });
      return { policy, label, warmup: builder.firstT, observe: (t, account) => builder.build(t, account) };
    },
  };
}
