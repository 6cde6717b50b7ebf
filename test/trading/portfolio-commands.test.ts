/**
 * Control commands of a portfolio paper run asked during its downtime: each applies from the first candle time of
 * the restart's catch-up closing at or after it was asked; the times before are decided as if it had not been.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadPortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import { requestCommand } from '../../src/trading/commands.ts';
import { portfolioRuleSource } from '../../src/trading/portfolio-policy-source.ts';
import { PortfolioTrader } from '../../src/trading/portfolio-trader.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 5000, quantityPrecision: 8 };
const make = (seed: number, startPrice: number) =>
  syntheticCandles({ seed, count: 40, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 10, startPrice });
const a = make(7, 50_000_000);
const b = make(8, 3_000_000);
const START = a.ts[10];

/**
 * A run that decided START, then, asked at START + `at` while it was down, `kind`; its restart at START+6h decides
 * (or passes over) START+1h … START+5h. Returns the times decided after START, with who decided each.
 */
async function restartAfter(kind: 'exit' | 'pause', at: number) {
  const tmp = tempDir('bot-pf-commands-');
  const store = CandleStore.open(path.join(tmp.dir, 'bot.db'));
  try {
    const repo = new RunRepository(store.db);
    const clock = { now: START + HOUR + 10_000 };
    const symbols = ['A/KRW', 'B/KRW'];
    const trader = new PortfolioTrader({
      repo,
      store,
      feeds: [seriesFeed(a, HOUR), seriesFeed(b, HOUR)],
      policies: portfolioRuleSource(await loadPortfolioStrategy('equal-weight'), { symbols, seed: 1, every: 1 }),
      key: { mode: 'paper', name: 'pf', exchange: 'upbit', symbol: symbols.join(','), timeframe: '1h' },
      symbols,
      costs: [COSTS, COSTS],
      band: 0,
      balance: 10_000_000,
      historyCandles: 5,
      start: START,
      clock: () => clock.now,
      logger: quietLogger(),
    });
    await trader.tick();
    const run = repo.list()[0];
    requestCommand(store.db, { runId: run.id, kind, requestedBy: 'token:ci', now: START + at });
    clock.now = START + 6 * HOUR + 10_000;
    const report = await trader.tick();
    const decided = repo.decisions(run.id).filter((d) => d.ts > START);
    return { report, decided: decided.map((d) => [(d.ts - START) / HOUR, d.policy]), state: repo.list()[0] };
  } finally {
    store.close();
    tmp.cleanup();
  }
}

test('portfolio paper: an exit asked during the downtime sells at the first candle time closing after it', async () => {
  const { decided } = await restartAfter('exit', 3.5 * HOUR);
  assert.deepEqual(
    decided.map(([h, by]) => [h, by === 'manual-exit']),
    [
      [1, false],
      [2, false],
      [3, true],
      [4, false],
      [5, false],
    ],
    'START+3h closes at START+4h, the first close after the exit asked at START+3h30',
  );
});

test('portfolio paper: a pause asked during the downtime passes over the times closing after it', async () => {
  const { decided, report, state } = await restartAfter('pause', 3.5 * HOUR);
  assert.deepEqual(
    decided.map(([h]) => h),
    [1, 2],
  );
  assert.equal(report.acted, 2);
  assert.equal(report.paused, true);
  assert.equal(state.lastTs, START + 5 * HOUR, 'the times after the pause passed over');
});
