/**
 * A trading run written straight into a real SQLite file, for tests of what reads runs (`bot status`): a cash-only
 * account at Upbit's costs, started 2024-01-01, nothing traded yet.
 */
import { Account } from '../../src/market/account.ts';
import type { RunRepository } from '../../src/trading/run-repository.ts';
import type { RunKey, RunState } from '../../src/trading/types.ts';

const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 5000, quantityPrecision: 8 };

export function createRun(repo: RunRepository, key: RunKey, initialBalance: number, policy: string): RunState {
  return repo.create(key, {
    policy,
    historyFrom: 0,
    startTs: Date.UTC(2024, 0, 1),
    initialBalance,
    account: new Account(initialBalance, COSTS).snapshot(),
    now: 0,
  });
}
