/**
 * One walk-forward result from consecutive backtests that carried the account from each to the next (startState):
 * part k covers candles [from_k, to_k] with to_k = from_{k+1}, so its last decision fills at the next part's first
 * candle, and that candle's close is marked by both (the later part's copy is kept).
 */
import type { BacktestResult } from '../market/backtest-engine.ts';

export function stitchResults(parts: readonly BacktestResult[], policy: string): BacktestResult {
  if (parts.length === 0) throw new Error('stitchResults: no parts');
  for (let k = 1; k < parts.length; k++) {
    if (parts[k].range.from !== parts[k - 1].range.to - 1) {
      throw new Error(
        `stitchResults: part ${k} starts at ${parts[k].range.from}, not ` +
          `at the previous part's last candle ${parts[k - 1].range.to - 1}`,
      );
    }
  }
  const first = parts[0];
  const last = parts[parts.length - 1];
  // every part but the last loses its final candle (the next part starts on it)
  const candles = (p: BacktestResult, k: number) => (k < parts.length - 1 ? p.equity.length - 1 : p.equity.length);
  const join64 = (pick: (p: BacktestResult) => Float64Array) => {
    const out = new Float64Array(parts.reduce((n, p, k) => n + candles(p, k), 0));
    let at = 0;
    parts.forEach((p, k) => {
      out.set(pick(p).subarray(0, candles(p, k)), at);
      at += candles(p, k);
    });
    return out;
  };
  const join8 = (pick: (p: BacktestResult) => Uint8Array) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + pick(p).length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(pick(p), at);
      at += pick(p).length;
    }
    return out;
  };
  return {
    policy,
    exchange: first.exchange,
    symbol: first.symbol,
    timeframe: first.timeframe,
    range: { from: first.range.from, to: last.range.to },
    initialBalance: first.initialBalance,
    timestamps: join64((p) => p.timestamps),
    close: join64((p) => p.close),
    equity: join64((p) => p.equity),
    positions: join64((p) => p.positions),
    actions: join8((p) => p.actions),
    executed: join8((p) => p.executed),
    trades: parts.flatMap((p) => p.trades),
    // the account's counters carried over: the last part's are the totals
    feesPaid: last.feesPaid,
    taxPaid: last.taxPaid,
    rejected: { ...last.rejected },
    finalValue: last.finalValue,
    stoppedAt: parts.find((p) => p.stoppedAt !== null)?.stoppedAt ?? null,
    endState: last.endState,
  };
}
