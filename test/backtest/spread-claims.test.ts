/**
 * Claims that a strategy beats buy-and-hold say when the difference is within the spread, or that there is none to
 * judge by: the walk-forward targets (same-windows-report.ts) and the sweep's verdict (src/sweep/select.ts) share
 * the wording (src/backtest/spread-note.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameWindowsLines, type SameWindowsJson } from '../../src/backtest/same-windows-report.ts';
import type { MetricColumns, SharpeBar } from '../../src/backtest/walk-forward-summary.ts';
import { verdict, type SelectionStatistics } from '../../src/sweep/select.ts';

const ms = (mean: number, sd: number) => ({ mean, sd });
const columns = (sharpe: [number, number], dd: [number, number]): MetricColumns => ({
  totalReturn: ms(0, 0),
  sharpe: ms(...sharpe),
  maxDrawdown: ms(...dd),
  trades: ms(1, 0),
  feesPaid: ms(0, 0),
});
const bar: SharpeBar = { randomMean: 0, sd: 0.1, bar: 0.1, met: true };

test(`walk-forward targets against buy-and-hold: "met" within the spread says so; a difference beyond it does \
not`, () => {
  const lines = (agent: MetricColumns, hold: MetricColumns) => {
    const sameWindows: SameWindowsJson = {
      ...{ windows: 2, runs: 2, randomSeeds: 10, agent, buyAndHold: hold },
      ...{ flat: hold, random: hold, smaCross: hold },
    };
    const targets = {
      sharpeMean: agent.sharpe.mean,
      sharpeNonNegative: true,
      randomPlusSd: { seedSpread: bar, pooled: bar },
      buyAndHold: { sharpe: hold.sharpe.mean, maxDrawdown: hold.maxDrawdown.mean },
      drawdownBelowBuyAndHold: agent.maxDrawdown.mean < hold.maxDrawdown.mean,
      sharpeAboveBuyAndHold: agent.sharpe.mean > hold.sharpe.mean,
    };
    return sameWindowsLines({ sameWindows, targets }).join('\n');
  };
  // two windows: Sharpe 1.31 ± 1.2 against 0.21 ± 0.5, max DD 20% ± 8% against 25% ± 10%
  const within = lines(columns([1.31, 1.2], [0.2, 0.08]), columns([0.21, 0.5], [0.25, 0.1]));
  assert.match(
    within,
    /Sharpe above buy-and-hold met \(within the spread: the difference 1\.10 is not above the sd 1\.30\)/,
  );
  assert.match(
    within,
    /max DD below buy-and-hold met \(within the spread: the difference 5\.0% is not above the sd 12\.8%\)/,
  );
  const clear = lines(columns([2.5, 0.2], [0.1, 0.01]), columns([0.2, 0.1], [0.3, 0.02]));
  assert.match(clear, /max DD below buy-and-hold met; Sharpe above buy-and-hold met$/);
});

test(`one test window: buy-and-hold's figures are single values, printed without "± 0", and the spread the \
targets judge by is the runs' alone`, () => {
  const agent = columns([1.31, 1.2], [0.2, 0.08]);
  const one = (mean: number) => ({ mean });
  const hold: MetricColumns = {
    ...{ totalReturn: one(0.3), sharpe: one(0.65), maxDrawdown: one(0.32), trades: one(1), feesPaid: one(5) },
  };
  const sameWindows: SameWindowsJson = {
    ...{ windows: 1, runs: 2, randomSeeds: 10, agent, buyAndHold: hold },
    ...{ flat: hold, random: agent, smaCross: hold },
  };
  const targets = {
    ...{ sharpeMean: 1.31, sharpeNonNegative: true, randomPlusSd: { seedSpread: bar, pooled: bar } },
    ...{ buyAndHold: { sharpe: 0.65, maxDrawdown: 0.32 }, drawdownBelowBuyAndHold: true, sharpeAboveBuyAndHold: true },
  };
  const text = sameWindowsLines({ sameWindows, targets }).join('\n');
  assert.match(text, /same windows \(Sharpe, mean ± sd; one window: [^)]*\): buy-and-hold 0\.65 \(max DD 32\.0%\), /);
  assert.match(
    text,
    /Sharpe above buy-and-hold met \(within the spread: the difference 0\.66 is not above the sd 1\.20; the other/,
  );
});

test(`the sweep's verdict on one seed and one window says there is no spread to judge by; with one beyond the \
spread it says nothing more`, () => {
  const stats: SelectionStatistics = {
    ...{ trials: 2, earlierTrials: 0, validationsPerJob: 1, complete: 2, seeds: 1, notes: [] },
  };
  const one = verdict(stats, { mean: { sharpe: 1.31 }, sd: {} }, { mean: 0.21 }).at(-1) ?? '';
  assert.equal(
    one,
    "On the test window(s) after every validation candle (nothing there informed the choice) the winner's mean " +
      "Sharpe 1.31 beats buy-and-hold's 0.21 (one run each: no spread to judge it by).",
  );
  const spread = verdict(stats, { mean: { sharpe: 1.31 }, sd: { sharpe: 0.3 } }, { mean: 0.21, sd: 0.2 }).at(-1);
  assert.match(spread ?? '', /beats buy-and-hold's 0\.21\.$/);
});
