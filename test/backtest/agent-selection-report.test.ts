/**
 * The agent report's Selection section and report.json on hand-built runs (the walk-selection audit, 2026-11-28): the
 * validation → test rank correlation over what each run traded, the three scores the gate compared side by side, and
 * the windows, embargo and judge each fold really used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows } from '../../src/core/candles.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { agentReport, type SeedRun } from '../../src/backtest/agent-report.ts';
import { agentSummaryLines } from '../../src/backtest/agent-summary.ts';
import type { StoredReport } from '../../src/backtest/report.ts';
import { meanAndSd } from '../../src/backtest/baselines.ts';
import { selectionOptions, type PurgedSplit } from '../../src/agents/selection.ts';
import type { GateVerdict } from '../../src/agents/validation-gate.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import type { Fold, IndexRange } from '../../src/agents/splits.ts';
import dqnDnn from '../../strategies/dqn-dnn.ts';

const DAY = 86_400_000;
const candles = candlesFromRows(
  'test',
  'BTC/KRW',
  '1d',
  [100, 101, 102, 103].map((p, i) => ({
    ts: Date.UTC(2024, 0, 1) + i * DAY,
    open: p,
    high: p,
    low: p,
    close: p,
    volume: 1,
  })),
);
const held = runBacktest({
  ...{ candles, window: 0, range: { from: 0, to: 4 }, costs: COST_PRESETS.zero, balance: 1000 },
  ...{ sizing: { kind: 'all' }, policy: { name: 'hold', decide: () => ({ action: 'hold', confidence: 0 }) } },
});

function run(fold: number, seed: number, validationScore: number, testScore: number, gate?: GateVerdict): SeedRun {
  return {
    fold,
    seed,
    training: {
      ...{ epochs: [], bestEpoch: 1, bestSharpe: 0, bestScore: validationScore, bestMargin: 0 },
      ...{ stoppedEarly: false, seconds: 0, summaries: [] },
    },
    test: held,
    metrics: computeMetrics(held),
    validationScore,
    testScore,
    margin: 0,
    rule: { every: 1, minHold: 0 },
    engines: { single: 'js-forward', batch: 'tfjs', train: 'tfjs', refused: {} },
    ...(gate ? { gate } : {}),
  };
}

const r = (from: number, to: number): IndexRange => ({ from, to });

function report(recipe: AgentRecipe, runs: SeedRun[], folds: Fold[], splits: PurgedSplit[]) {
  const { extra } = agentReport({
    ...{ strategyName: 'dqn-dnn', seriesLabel: 'test', recipe, epochs: 1, seeds: 1, baseSeed: 1, runs, folds, splits },
    ...{ summary: meanAndSd(runs.map((x) => x.metrics)), headline: held, headlineMetrics: runs[0].metrics },
    ...{ selection: selectionOptions(recipe, 5), ensembleRuns: [], modelDir: 'models/x', backendName: 'cpu' },
    ...{ images: [], span: (x: IndexRange) => `${x.from}-${x.to}` },
  });
  const selection = extra.sections?.find((s) => s.title === 'Selection');
  const json = JSON.parse(JSON.stringify(extra.json)) as {
    agent: { selection: { rankCorrelation: number | null; used?: unknown; gate?: { rankOver?: string } } };
  };
  return { extra, selection, json };
}

const fold = (index: number): Fold => ({ index, train: r(0, 200), validation: r(200, 300), test: r(300, 400) });
const threeWindows: PurgedSplit = {
  train: [r(0, 40), r(100, 140), r(200, 240)],
  validation: [r(50, 90), r(150, 190), r(250, 300)],
  excluded: [r(40, 50), r(90, 100), r(140, 150), r(190, 200), r(240, 250)],
};
const oneWindow: PurgedSplit = { train: [r(0, 190)], validation: [r(200, 300)], excluded: [r(190, 200)] };

test(`with a gate, the validation → test Spearman ρ is over what each run traded: a run that fell back to \
buy-and-hold pairs buy-and-hold's validation score with its test score, not the agent's`, () => {
  const recipe: AgentRecipe = { ...dqnDnn.recipe, selection: { windows: 3, gate: 'selectionWindows' } };
  // agent validation scores 1, 2, 3; all fell back to buy-and-hold, whose validation scores 3, 2, 1 foretold the test
  const gate = (agentScore: number, buyAndHoldScore: number): GateVerdict => ({
    ...{ agentScore, flatScore: 0, buyAndHoldScore, fallback: 'buyAndHold' },
  });
  const runs = [run(0, 1, 1, 3, gate(1, 3)), run(0, 2, 2, 2, gate(2, 2)), run(0, 3, 3, 1, gate(3, 1))];
  const { json, selection, extra } = report(recipe, runs, [fold(0)], [threeWindows]);
  assert.equal(json.agent.selection.rankCorrelation, 1, 'the agent-score pairing gave −1');
  assert.match(selection?.text ?? '', /Spearman ρ 1\.00 between the validation score of what each run traded/);
  assert.match(selection?.text ?? '', /or for the 3 that fell back the baseline's/);
  // the terminal summary of the stored report says the same
  const stored = { extra: extra.json, settings: { seed: 1 } } as unknown as StoredReport;
  assert.ok(agentSummaryLines(stored).some((l) => /ρ 1\.00 between the validation score of what each run/.test(l)));
});

test(`the held-out-window gate: the Selection table shows the three scores the gate compared (the agent's on the \
held-out window) side by side, not the agent's selection score beside the baselines' held-out ones`, () => {
  const recipe: AgentRecipe = { ...dqnDnn.recipe, selection: { windows: 3, gate: 'heldOutWindow' } };
  const gate: GateVerdict = { agentScore: -0.737, flatScore: 0, buyAndHoldScore: -0.544, fallback: 'flat' };
  const { selection } = report(recipe, [run(0, 1, 3.516, 0, gate)], [fold(0)], [threeWindows]);
  const table = selection?.tables?.[0];
  assert.ok(table);
  const col = (name: string) => table.rows[0][table.columns.indexOf(name)];
  assert.deepEqual(['gate: agent score', 'gate: flat score', 'gate: buy-and-hold score', 'trades'].map(col), [
    '-0.737',
    '0.000',
    '-0.544',
    'flat',
  ]);
  assert.equal(col('validation score'), '3.516');
});

test(`the Selection text and report.json say what each fold used: fewer windows on a short fold, the judge \
dropped there, the embargo only where there were several windows`, () => {
  const recipe: AgentRecipe = { ...dqnDnn.recipe, selection: { windows: 3, purge: 10, embargo: 10, judge: true } };
  const runs = [run(0, 1, 1, 1), run(1, 1, 2, 2)];
  const { json, selection } = report(recipe, runs, [fold(0), fold(1)], [threeWindows, oneWindow]);
  const sel = selectionOptions(recipe, 5);
  assert.deepEqual(json.agent.selection.used, [
    { windows: 3, selectionWindows: 2, purge: 10, embargo: sel.embargo, judge: true },
    { windows: 1, selectionWindows: 1, purge: 10, embargo: 0, judge: false },
  ]);
  const text = selection?.text ?? '';
  assert.match(text, /mean over the validation windows each fold chose on \(2, 1 for folds 1 to 2\)/);
  assert.match(text, /the recipe asks 3 windows; fold 2 had too little data and used 1/);
  assert.match(text, /embargoed after each on fold 1/);
  assert.match(text, /judge window: none on fold 2 \(one validation window only\)/);
  assert.doesNotMatch(text, /mean over 3 validation window/);
});
