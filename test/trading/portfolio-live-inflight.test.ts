/**
 * `bot live --symbols` against the fake Upbit while orders are in flight or fail: the cash a buy of the run's still
 * in flight may have spent is not spent again by another market's buy, a buy spends its planned value with Upbit's fee
 * on top within the cash, and a target whose order failed, lagged or waited for a sale's proceeds is planned again at
 * the next candle instead of dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../helpers/state-dir.ts';
import type { PortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import { portfolioRuleSource } from '../../src/trading/portfolio-policy-source.ts';
import { capturingLogger } from '../helpers/log.ts';
import { assertBooksAgree, assertHeldByRun, HOUR, setup, SYMBOLS } from './portfolio-live-setup.ts';

type Setup = Awaited<ReturnType<typeof setup>>;

/** Runs `body` on the fake exchange and a run rebalancing every `every` candles, its log lines in `lines`. */
async function onFake(every: number, body: (s: Setup, lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const s = await setup({ maxOrderValue: 1e12, maxDailyLoss: 1e12 }, every, capturingLogger(lines));
  try {
    await body(s, lines);
  } finally {
    await s.cleanup();
  }
}

/** A rule over BTC and ETH giving, at the policy's clock time t, `weights(t)` (null: keep). */
function rule(weights: (t: number) => number[] | null) {
  const strategy: PortfolioStrategy = {
    kind: 'portfolio',
    name: 'scripted',
    description: 'scripted weights',
    createPolicy: () => ({ name: 'scripted', decide: (view) => weights(view.t) }),
  };
  return portfolioRuleSource(strategy, { symbols: SYMBOLS, seed: 1, every: 1 });
}

/** No order of run `runId` was refused, and no line blames the user for funds the run's own orders hold. */
function assertNoneRefused(s: Setup, lines: readonly string[], runId: number): void {
  const refused = s.repo.orders(runId).filter((o) => o.status === 'rejected');
  assert.deepEqual(
    refused.map((o) => `${o.market} ${o.reason}`),
    [],
  );
  assert.ok(!lines.some((l) => /refused|withdrawn/.test(l)), 'no order refused, nobody blamed');
}

for (const justTheRun of [false, true]) {
  test(`live portfolio: a buy whose reply was lost holds its cash; other buys do not spend it again${
    justTheRun ? ' (the account holds just the run: none refused, nobody blamed)' : ''
  }`, () =>
    onFake(1, async (s, lines) => {
      if (justTheRun) s.book.balances.set('KRW', 10_000_000);
      const startKrw = s.book.balances.get('KRW') ?? 0;
      // 90/10 then 10/90, every candle: each decision buys with what the other market's buy was given
      const trader = s.make(
        undefined,
        rule((t) => (t % 2 === 0 ? [0.9, 0.1] : [0.1, 0.9])),
      );
      // the first BTC buy is taken but its reply lost, and it is never found by its client id: in flight for good
      s.book.loseRepliesAfterAccept = 1;
      s.book.onlyByUuid = 1;
      for (let k = 0; k < 4; k++, s.clock.now += HOUR) {
        await trader.tick();
        const reserve = startKrw - s.repo.list()[0].initialBalance;
        const krw = s.book.balances.get('KRW') ?? 0;
        assert.ok(krw >= reserve - 1, `tick ${k}: the exchange holds ${krw} KRW, below the ${reserve} outside the run`);
      }
      const run = s.repo.list()[0];
      assertNoneRefused(s, lines, run.id);
      const waits = s.repo.orders(run.id).filter((o) => o.status === 'skipped');
      assert.ok(waits.length > 0, 'buys were planned while the BTC buy was in flight');
      for (const o of waits)
        assert.match(o.reason ?? '', /^waiting for cash: .* held for this run's own buys in flight/);
      assert.ok(
        lines.some((l) => /targets of .* not reached at .*: planned again at the next candle/.test(l)),
        'one line says the targets wait',
      );
    }));
}

test('live portfolio: a buy spends its value, the fee on top, within the cash; none refused on a lag', () =>
  onFake(24, async (s, lines) => {
    s.book.balances.set('KRW', 10_000_000);
    const trader = s.make();
    // Upbit shows the orders a few look-ups late: the BTC buy is in flight when the ETH buy is sized
    s.book.lookupLag = 30;
    await trader.tick();
    s.book.lookupLag = 0;
    s.book.endLags();
    s.clock.now += HOUR;
    await trader.tick();
    const run = s.repo.list()[0];
    assertNoneRefused(s, lines, run.id);
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => o.status),
      ['filled', 'filled'],
    );
    // a half of the cash each, Upbit's fee included: the cost sent is the value bought, the fee comes on top
    for (const f of s.repo.trades(run.id))
      assert.ok(f.value + f.fee <= 5_000_000 + 1, `${f.market} spent ${f.value + f.fee}`);
    assertBooksAgree({ ...s, startKrw: 10_000_000 }, run.id);
    assertHeldByRun(s, run.id);
  }));

test('live portfolio: buys the exchange failed at every try are planned again until placed', () =>
  onFake(24, async (s, lines) => {
    const trader = s.make();
    s.book.failBeforeAccept = 1000;
    await trader.tick();
    s.book.failBeforeAccept = 0;
    assert.deepEqual(s.repo.list()[0].portfolio?.pending?.waiting, [true, true], 'the targets wait');
    // the unknown orders are written off once their grace is over; the buys go out then, not 23 candles later
    for (let k = 0; k < 3; k++) {
      s.clock.now += HOUR;
      await trader.tick();
    }
    const run = s.repo.list()[0];
    assert.equal(run.portfolio?.pending, undefined, 'the targets were reached');
    const w = s.repo.lastPositions(run.id).map((p) => p.weight);
    assert.ok(
      w.every((x) => Math.abs(x - 0.5) < 0.05),
      `equal weights: ${w.join(', ')}`,
    );
    assert.ok(lines.some((l) => /targets of .* not reached .*outcome unknown/.test(l)));
    assertBooksAgree(s, run.id);
  }));

test('live portfolio: a buy paid by a sale whose proceeds are not booked yet waits for them', () =>
  onFake(1, async (s) => {
    // 90/10, then 10/90 once, then keep: the ETH buy needs what the BTC sale brings
    const trader = s.make(
      undefined,
      rule((t) => (t === 0 ? [0.9, 0.1] : t === 1 ? [0.1, 0.9] : null)),
    );
    // the positions of a candle are recorded before its orders: the fourth shows what the third bought
    for (let k = 0; k < 4; k++, s.clock.now += HOUR) {
      // the exchange shows the second decision's sale a few look-ups late
      if (k === 1) s.book.lookupLag = 30;
      await trader.tick();
      s.book.lookupLag = 0;
      s.book.endLags();
    }
    const run = s.repo.list()[0];
    const eth = s.repo.orders(run.id).filter((o) => o.market === 'ETH/KRW' && o.side === 'buy');
    assert.equal(eth.length, 3, eth.map((o) => o.status).join(', '));
    assert.match(eth[1].reason ?? '', /^waiting for cash: .*the proceeds of its sells in BTC\/KRW not booked yet/);
    assert.equal(eth[2].status, 'filled', 'bought at the next candle');
    const w = s.repo.lastPositions(run.id).map((p) => p.weight);
    assert.ok(Math.abs(w[1] - 0.9) < 0.02, `ETH at its target: ${w.join(', ')}`);
    assertBooksAgree(s, run.id);
  }));
