/**
 * An exchange's own closes may jump over 100× from one candle to the next (a redenomination, a listing's first
 * candles, a bad print). The 100× refusal against stored neighbours (src/data/fit.ts) is for files of another market
 * or currency; a paper run against the fake Upbit (real ccxt, real SQLite) whose exchange makes such a jump used to
 * fail every tick on it, forever (session 38's audit). It now stores the exchange's candle with one warning naming it,
 * and refuses only a jump from stored candles the exchange did not serve, naming the command that fetches them again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candleRows, type Candles } from '../../src/core/candles.ts';
import { downloadToStore } from '../../src/data/download.ts';
import { capturingLogger } from '../helpers/log.ts';
import { HOUR, liveSetup } from './live-setup.ts';

/** `candles` with every price from candle `at` on divided by `by` (a redenomination on the exchange). */
function jumpedAt(candles: Candles, at: number, by: number): Candles {
  const cut = (a: Float64Array) => a.map((v, i) => (i >= at ? v / by : v));
  const { open, high, low, close } = candles;
  return { ...candles, open: cut(open), high: cut(high), low: cut(low), close: cut(close) };
}

/** The logged lines (capturingLogger's JSON) at `level`, as their messages. */
function said(lines: string[], level: string): string[] {
  return lines
    .map((l) => JSON.parse(l) as { level: string; message: string })
    .filter((l) => l.level === level)
    .map((l) => l.message);
}

test(`a paper run whose exchange's closes jump 1000× from one candle to the next stores the new candle with one \
warning naming it and decides on it, instead of failing every tick`, async () => {
  const lines: string[] = [];
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, { logger: capturingLogger(lines) });
  try {
    s.fake.setSeries('KRW-BTC', jumpedAt(s.candles, 101, 1000));
    const trader = s.makePaper();
    await trader.tick(); // decides up to candle 100, the last before the jump
    const run = s.repo.list()[0];
    const before = s.repo.decisionCount(run.id);
    for (let k = 0; k < 3; k++) {
      s.clock.now += HOUR;
      await trader.tick();
    }
    const closes = s.store.load('upbit', 'BTC/KRW', '1h');
    const at = closes.ts.indexOf(s.candles.ts[101]);
    assert.ok(at > 0, 'the candle after the jump is stored');
    assert.equal(closes.close[at], s.candles.close[101] / 1000, "with the exchange's close");
    assert.equal(s.repo.decisionCount(run.id), before + 3, 'each new candle decided');
    const jumps = said(lines, 'warn').filter((m) => m.includes('× apart'));
    assert.equal(jumps.length, 1, `one warning: ${JSON.stringify(jumps)}`);
    assert.match(
      jumps[0],
      new RegExp(
        `^the exchange's candle ${new Date(s.candles.ts[101]).toISOString().replace('.000Z', 'Z')} closes at \\S+ ` +
          "and the stored upbit BTC/KRW 1h candle \\S+ before it at \\S+: \\d+× apart: stored as the exchange's own",
      ),
    );
  } finally {
    await s.cleanup();
  }
});

test(`a jump from stored candles the exchange did not serve is refused, naming the download that fetches them \
again; after it the paper tick stores the jump and decides`, async () => {
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 });
  try {
    s.fake.setSeries('KRW-BTC', jumpedAt(s.candles, 101, 1000));
    // the candles up to 100 stored without a download record (as ticks stored them before they kept one)
    s.store.upsert('upbit', 'BTC/KRW', '1h', candleRows(s.candles).slice(60, 101));
    const trader = s.makePaper();
    s.clock.now += HOUR;
    let message = '';
    await assert.rejects(
      () => trader.tick(),
      (e: Error) => ((message = e.message), /\d+× apart.*not stored, no decision this tick/.test(e.message)),
    );
    const since = new Date(s.candles.ts[100]).toISOString().replace('.000Z', 'Z');
    const command = `bot data download --exchange upbit --symbol BTC/KRW --timeframe 1h --since ${since}`;
    assert.ok(message.includes(`\`${command}\` fetches them again`), message);
    const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
    const req = { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', since: Date.parse(since) };
    await downloadToStore(s.store, s.exchange, req, { retry, now: () => s.clock.now });
    await trader.tick();
    const run = s.repo.list()[0];
    assert.ok(s.repo.decisionCount(run.id) > 0, 'decided');
    const stored = s.store.load('upbit', 'BTC/KRW', '1h');
    assert.equal(stored.close[stored.ts.indexOf(s.candles.ts[101])], s.candles.close[101] / 1000);
  } finally {
    await s.cleanup();
  }
});
