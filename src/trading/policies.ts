import type { Config } from '../config/schema.ts';
import type { Candles } from '../core/candles.ts';
import type { RuleStrategy } from '../backtest/strategy.ts';
import { RULE_WARMUP_CANDLES } from '../backtest/run.ts';
import type { SizingOptions } from '../market/execution.ts';
import { costsFromSettings, type Costs } from '../market/costs.ts';
import { ObservationBuilder } from '../market/observation.ts';
import type { PolicyHandle, PolicySource } from './types.ts';

/** A policy source with the sizing and costs its backtest used. */
export interface PolicyChoiceResult {
  source: PolicySource;
  sizing: SizingOptions;
  costs: Costs;
}

/** Costs of rule strategies: the account section, as `bot backtest` uses them. */
export function ruleCosts(config: Config): Costs {
  return costsFromSettings(config.account);
}

/** The sizing `bot backtest` gives rule strategies, so paper trades match the backtest's. */
export function ruleSizing(config: Config): SizingOptions {
  const b = config.backtest;
  return b.sizing === 'all' ? { kind: 'all' } : { kind: 'confidence', minTradeValue: b.minTradeValue, maxTradeValue: b.maxTradeValue };
}

/**
 * A rule strategy as a policy source: the policy is rebuilt over all closed candles at every tick (rule policies
 * precompute their indicators from candles ≤ t, so a longer series never changes an earlier decision).
 */
export function rulePolicySource(strategy: RuleStrategy, config: Config, seed: number): PolicySource {
  const label = `strategy:${strategy.name}`;
  return {
    label,
    // the same warm-up `bot backtest --from` loads, so path-dependent indicators (RSI, EMA) start from the same candle
    history: RULE_WARMUP_CANDLES,
    forCandles(candles: Candles): PolicyHandle {
      const policy = strategy.createPolicy({ candles, seed, config });
      const builder = new ObservationBuilder({ candles, window: 0 });
      return { policy, label, warmup: builder.firstT, observe: (t, account) => builder.build(t, account) };
    },
  };
}
