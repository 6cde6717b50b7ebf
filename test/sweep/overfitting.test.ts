/**
 * The overfitting statistics against cases computed by hand (normal quantiles from a standard normal table; the
 * arithmetic is written out beside each case).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deflatedSharpe,
  expectedMaxSharpe,
  normalCdf,
  normalQuantile,
  probabilisticSharpe,
  returnMoments,
} from '../../src/market/deflated-sharpe.ts';
import { cscvBlocks, probabilityOfOverfitting } from '../../src/sweep/overfitting.ts';
import {
  rankConfigurations,
  selectionStatistics,
  verdict,
  type ConfigSummary,
  type JobOutcome,
} from '../../src/sweep/select.ts';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('normal CDF and quantile match the table', () => {
  // table: Φ(0) = 0.5, Φ(1) = 0.841345, Φ(−1.96) = 0.024998; Φ⁻¹(0.9) = 1.281552, Φ⁻¹(0.975) = 1.959964
  close(normalCdf(0), 0.5, 1e-7, 'Φ(0)');
  close(normalCdf(1), 0.841345, 1e-6, 'Φ(1)');
  close(normalCdf(-1.96), 0.024998, 1e-6, 'Φ(-1.96)');
  close(normalQuantile(0.9), 1.281552, 1e-6, 'Φ⁻¹(0.9)');
  close(normalQuantile(0.975), 1.959964, 1e-6, 'Φ⁻¹(0.975)');
  close(normalQuantile(0.001), -3.090232, 1e-6, 'Φ⁻¹(0.001)');
});

test('probabilistic Sharpe ratio, by hand', () => {
  // SR = 0.1 per period, SR* = 0, T = 101, normal returns (γ₃ = 0, γ₄ = 3):
  // denominator √(1 − 0·0.1 + (3 − 1)/4 · 0.1²) = √1.005 = 1.0024969
  // z = (0.1 − 0) · √100 / 1.0024969 = 0.9975093;  Φ(0.9975093) = 0.840741
  close(probabilisticSharpe(0.1, 0, 101, 0, 3), 0.840741, 1e-6, 'PSR');
  // a fat left tail lowers it: γ₃ = −1, γ₄ = 9: √(1 + 0.1 + 2·0.01) = √1.12 = 1.0583005; z = 1/1.0583005 = 0.9449112;
  // Φ(0.9449112) = 0.827648
  close(probabilisticSharpe(0.1, 0, 101, -1, 9), 0.827648, 1e-6, 'PSR skewed');
});

test('expected maximum Sharpe of N trials (SR₀), by hand', () => {
  // N = 10, V = 0.01 (sd 0.1), γ = 0.5772157:
  // Φ⁻¹(1 − 1/10) = Φ⁻¹(0.9) = 1.2815516;  Φ⁻¹(1 − 1/(10e)) = Φ⁻¹(0.9632121) = 1.7892418
  // SR₀ = 0.1 · (0.4227843 · 1.2815516 + 0.5772157 · 1.7892418) = 0.1 · (0.5418198 + 1.0327785) = 0.1574598
  close(expectedMaxSharpe(10, 0.01), 0.1574598, 1e-6, 'SR₀');
  assert.equal(expectedMaxSharpe(1, 0.01), 0, 'one trial: nothing selected');
});

test('deflated Sharpe ratio, by hand', () => {
  // winner's returns 0.02, −0.01, 0.02, −0.01: mean 0.005, deviations ±0.015
  //   population m₂ = 0.015² = 0.000225, sample sd = √(0.000225 · 4/3) = 0.0173205, SR = 0.005/0.0173205 = 0.2886751
  //   skewness m₃/m₂^1.5 = 0 (symmetric), kurtosis m₄/m₂² = 0.015⁴/0.015⁴ = 1
  // trials' Sharpe ratios 0.3 and 0.1: mean 0.2, sample variance (0.1² + 0.1²)/1 = 0.02, N = 2
  //   SR₀ = √0.02 · (0.4227843 · Φ⁻¹(1/2) + 0.5772157 · Φ⁻¹(1 − 1/(2e))) = 0.1414214 · (0 + 0.5772157 · 0.9004526)
  //       = 0.1414214 · 0.5197554 = 0.0735045
  //   z = (0.2886751 − 0.0735045) · √(4 − 1) / √(1 − 0 + (1 − 1)/4 · SR²) = 0.2151706 · 1.7320508 = 0.3726865
  //   DSR = Φ(0.3726865) = 0.645309
  const d = deflatedSharpe([0.02, -0.01, 0.02, -0.01], [0.3, 0.1]);
  close(d.sharpe, 0.2886751, 1e-6, 'SR');
  close(d.skewness, 0, 1e-9, 'skewness');
  close(d.kurtosis, 1, 1e-9, 'kurtosis');
  close(d.trialVariance, 0.02, 1e-12, 'V');
  close(d.expectedMax, 0.0735045, 1e-6, 'SR₀');
  close(d.dsr, 0.645309, 1e-6, 'DSR');
  assert.equal(d.trials, 2);
  assert.equal(d.observations, 4);
});

test('return moments of a skewed series, by hand', () => {
  // 0, 0, 0, 4: mean 1, deviations −1, −1, −1, 3; m₂ = (1+1+1+9)/4 = 3, m₃ = (−1−1−1+27)/4 = 6, m₄ = (1+1+1+81)/4 = 21
  // skewness 6/3^1.5 = 1.1547005, kurtosis 21/9 = 2.3333333, sample sd √(12/3) = 2, Sharpe 1/2
  const m = returnMoments([0, 0, 0, 4]);
  close(m.skewness, 1.1547005, 1e-6, 'skewness');
  close(m.kurtosis, 7 / 3, 1e-9, 'kurtosis');
  close(m.sharpe, 0.5, 1e-12, 'Sharpe');
});

test('PBO by CSCV, by hand (4 periods as 4 blocks, 3 configurations, mean return as the measure)', () => {
  //        A    B    C
  // t0     3    2    1
  // t1     3    1    2
  // t2   1.5    3    2
  // t3     4    0    1
  // halves (IS → best; OOS values → rank of the IS best, 1 = worst; ω = rank/4; λ = ln(ω/(1−ω))):
  // {0,1}: IS A 6, B 3, C 3 → A;  OOS {2,3}: A 5.5, B 3, C 3 → rank 3, ω .75, λ = ln 3
  // {0,2}: IS A 4.5, B 5, C 3 → B; OOS {1,3}: A 7, B 1, C 3 → rank 1, ω .25, λ = −ln 3   (overfit)
  // {0,3}: IS A 7, B 2, C 2 → A;  OOS {1,2}: A 4.5, B 4, C 4 → rank 3, λ = ln 3
  // {1,2}: IS A 4.5, B 4, C 4 → A; OOS {0,3}: A 7, B 2, C 2 → rank 3, λ = ln 3
  // {1,3}: IS A 7, B 1, C 3 → A;  OOS {0,2}: A 4.5, B 5, C 3 → rank 2, ω .5, λ = 0       (overfit: median)
  // {2,3}: IS A 5.5, B 3, C 3 → A; OOS {0,1}: A 6, B 3, C 3 → rank 3, λ = ln 3
  // PBO = 2 of 6 = 1/3
  const matrix = [
    [3, 2, 1],
    [3, 1, 2],
    [1.5, 3, 2],
    [4, 0, 1],
  ];
  const mean = (r: readonly number[]) => r.reduce((a, b) => a + b, 0) / r.length;
  const r = probabilityOfOverfitting(matrix, 4, mean);
  assert.equal(r.splits, 6);
  close(r.pbo, 1 / 3, 1e-12, 'PBO');
  const ln3 = Math.log(3);
  [ln3, -ln3, ln3, ln3, 0, ln3].forEach((l, i) => close(r.logits[i], l, 1e-12, `λ of split ${i + 1}`));
});

test('PBO: a configuration best everywhere is not overfit; pure noise is about one half', () => {
  const rows = 160;
  let s = 7;
  const noise = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  const good = Array.from({ length: rows }, () => [0.3 + noise() * 0.1, noise(), noise(), noise()]);
  assert.equal(probabilityOfOverfitting(good, 8).pbo, 0);
  const random = Array.from({ length: rows }, () => Array.from({ length: 10 }, noise));
  const p = probabilityOfOverfitting(random, cscvBlocks(rows)).pbo;
  assert.ok(p > 0.25 && p < 0.75, `noise PBO ${p}`);
  assert.equal(cscvBlocks(160), 16);
  assert.equal(cscvBlocks(30), 2);
  assert.equal(cscvBlocks(15), 0);
});

/** A configuration summary with one seed's validation series (NaN where a window failed: left out). */
function summary(key: string, series: number[], runs: number, failed: number): ConfigSummary {
  const empty = { mean: {}, sd: {} };
  const seedSeries = runs ? [{ seed: 1, returns: series.filter((x) => Number.isFinite(x)), times: [] }] : [];
  return {
    ...{ key, label: key, params: {}, runs, failed, planned: runs + failed, score: runs ? 1 : -Infinity },
    ...{ validation: empty, test: empty, seedSeries, validationTimes: [], complete: failed === 0 },
    ...{ validations: runs ? 1 : 0, jobTrialVariances: Array.from({ length: runs }, () => 0) },
  };
}

test('the deflated Sharpe counts every configuration tried, failed ones included', () => {
  const up = Array.from({ length: 40 }, (_, i) => 0.01 + (i % 3) * 0.004);
  const flat = Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.003 : -0.002));
  const half = [...flat.slice(0, 20).map((x) => x * 2), ...Array.from({ length: 20 }, () => NaN)];
  const ranked = [
    summary('winner', up, 2, 0),
    summary('one-window-failed', half, 1, 1),
    summary(
      'all-failed',
      Array.from({ length: 40 }, () => NaN),
      0,
      2,
    ),
  ];
  const s = selectionStatistics(ranked);
  // before: N was the complete configurations only (1), so SR₀ = 0 and the winner was not deflated at all
  assert.equal(s.trials, 3);
  assert.equal(s.complete, 1);
  assert.equal(s.dsr?.trials, 3);
  assert.ok((s.dsr?.expectedMax ?? 0) > 0, 'SR₀ of the best of 3 is above 0');
  assert.ok(Number.isFinite(s.dsr?.trialVariance), 'the failed window does not poison the variance');
});

test('one configuration: the verdict says nothing was selected instead of "the best of 1"', () => {
  const series = Array.from({ length: 40 }, (_, i) => 0.01 + (i % 3) * 0.004);
  const s = selectionStatistics([summary('only', series, 2, 0)]);
  const lines = verdict(s, { mean: { sharpe: 1 }, sd: { sharpe: 0 } }, { mean: 0.5 });
  assert.match(lines[0], /^Only one configuration was run, so nothing was selected: probabilistic Sharpe ratio/);
  assert.ok(!lines.some((l) => /best of 1\b|after allowing for 1 configuration/.test(l)), lines.join('\n'));
});

test('the deflated Sharpe is not computed when the data cannot support it, and says why', () => {
  const up = [0.02, -0.01, 0.02, -0.01];
  // 3 trials, one Sharpe known: V is unknown, not 0
  // (before: SR₀ = 0 and the PSR against 0, Φ(0.5) = 0.691, passed as a DSR)
  const unknownV = deflatedSharpe(up, [0.3], 3);
  assert.ok(Number.isNaN(unknownV.dsr), `DSR ${unknownV.dsr}`);
  assert.match(unknownV.missing ?? '', /3 trials, but the spread of their Sharpe ratios/);
  // returns without spread: no Sharpe ratio to test (before: PSR 0.5, read as a coin flip)
  const flat = deflatedSharpe([0, 0, 0, 0], [0.3, 0.1]);
  assert.ok(Number.isNaN(flat.dsr), `DSR ${flat.dsr}`);
  assert.match(flat.missing ?? '', /do not vary/);
  assert.match(deflatedSharpe([0.01], [0.3, 0.1]).missing ?? '', /1 return\(s\)/);
  assert.equal(deflatedSharpe(up, [0.3, 0.1]).missing, undefined, 'a case that supports it has no note');
});

test('two configurations tried, one finished: the verdict gives no deflated Sharpe ratio, and says why', () => {
  const up = Array.from({ length: 40 }, (_, i) => 0.01 + (i % 3) * 0.004);
  const s = selectionStatistics([
    summary('winner', up, 2, 0),
    summary(
      'all-failed',
      Array.from({ length: 40 }, () => NaN),
      0,
      2,
    ),
  ]);
  const lines = verdict(s, { mean: { sharpe: 1 }, sd: {} }, { mean: 0.5 });
  // before: "Deflated Sharpe ratio 1.000: after allowing for 2 configuration(s) tried, … unlikely to be luck alone"
  assert.ok(!lines.some((l) => /after allowing for/.test(l)), lines.join('\n'));
  assert.match(lines[0], /^Deflated Sharpe ratio not computed: 2 trials, but the spread of their Sharpe ratios/);
  assert.ok(
    lines.includes("Note: only 1 of the 2 configurations tried finished: the others' Sharpe ratios are unknown."),
  );
});

test('a configuration that held no position: no "50% confidence", the verdict says its returns do not vary', () => {
  const s = selectionStatistics([
    summary(
      'flat',
      Array.from({ length: 40 }, () => 0),
      2,
      0,
    ),
  ]);
  const lines = verdict(s, { mean: { sharpe: 0 }, sd: {} }, { mean: 0.5 });
  assert.ok(!lines.some((l) => /confidence/.test(l)), lines.join('\n'));
  assert.match(lines[0], /^Probabilistic Sharpe ratio not computed: the returns do not vary/);
});

/** A finished job of a configuration: its validation Sharpe (the ranking score), returns and epoch trial Sharpes. */
function job(configKey: string, seed: number, sharpe: number, returns: number[], trialSharpes: number[]): JobOutcome {
  const jobId = `${configKey}-${seed}`;
  const result = {
    ...{ jobId, validation: { sharpe }, test: { sharpe: 0 }, validationReturns: returns, trialSharpes, testEquity: [] },
    training: { bestEpoch: 1, bestSharpe: sharpe, stoppedEarly: false, seconds: 0, epochs: [] },
    ...{ modelHash: '', backend: 'cpu', worker: 'test:1', code: '', seconds: 0 },
  };
  return { jobId, configKey, params: {}, label: configKey, market: 0, fold: 0, seed, result };
}

const window4 = [{ market: 0, fold: 0, length: 4 }];
const up = [0.02, -0.01, 0.02, -0.01];

test('one configuration whose jobs chose their epoch on the validation window: deflated over them, by hand', () => {
  // each job chose between 2 epochs on the window the report scores: trial Sharpes 0.3, 0.1 and 0.2, 0.0
  //   within-job variances 0.02 and 0.02 → V = 0 (one configuration: no between part) + 0.02; N = 1 × 2
  //   SR₀ = √0.02 · 0.5772157 · Φ⁻¹(1 − 1/(2e)) = 0.0735045; the winner's returns as in the DSR case above:
  //   SR = 0.2886751, T = 4, γ₃ = 0, γ₄ = 1 → DSR = Φ((0.2886751 − 0.0735045) · √3) = 0.645309
  // before: N = 1 configuration, "nothing was selected", and the PSR against 0, Φ(0.5) = 0.691, was shown
  const ranked = rankConfigurations([job('only', 1, 1, up, [0.3, 0.1]), job('only', 2, 1, up, [0.2, 0.0])], window4);
  const s = selectionStatistics(ranked);
  assert.equal(s.validationsPerJob, 2);
  assert.equal(s.dsr?.trials, 2);
  close(s.dsr!.trialVariance, 0.02, 1e-12, 'V');
  close(s.dsr!.expectedMax, 0.0735045, 1e-6, 'SR₀');
  close(s.dsr!.dsr, 0.645309, 1e-6, 'DSR');
  const lines = verdict(s, { mean: { sharpe: 1 }, sd: {} }, { mean: 0.5 });
  assert.match(
    lines[0],
    /^Deflated Sharpe ratio 0\.645: after allowing for 2 trials \(1 configuration\(s\) tried × up to 2/,
  );
});

test('several configurations: N = configurations × validations per job, V = between + within, by hand', () => {
  // winner a: returns 0.02, −0.01, … (SR 0.2886751); b: 0.01, −0.01, … (SR 0); both jobs' trials 0.3, 0.1
  //   between = sample variance of 0.2886751 and 0 = 0.2886751² / 2 = 0.0416667; within = 0.02; V = 0.0616667
  //   N = 2 × 2 = 4: SR₀ = √V · (0.4227843 · Φ⁻¹(0.75) + 0.5772157 · Φ⁻¹(1 − 1/(4e)))
  //     = 0.2483277 · (0.4227843 · 0.6744898 + 0.5772157 · 1.3287219) = 0.2612713
  //   DSR = Φ((0.2886751 − 0.2612713) · √3) = Φ(0.0474649) = 0.518929
  // before: N = 2 and V = between only: SR₀ = √0.0416667 · 0.5772157 · 0.9004526 = 0.1060946, DSR 0.624
  const ranked = rankConfigurations(
    [job('a', 1, 2, up, [0.3, 0.1]), job('b', 1, 1, [0.01, -0.01, 0.01, -0.01], [0.3, 0.1])],
    window4,
  );
  const s = selectionStatistics(ranked);
  assert.equal(ranked[0].key, 'a');
  assert.equal(s.dsr?.trials, 4);
  close(s.dsr!.trialVariance, 0.0616667, 1e-6, 'V');
  close(s.dsr!.expectedMax, 0.2612713, 1e-6, 'SR₀');
  close(s.dsr!.dsr, 0.518929, 1e-6, 'DSR');
});

test(`PBO is left out, with a note, when the configurations were validated on other candles (their recipes split \
the folds into other epoch windows); on the same candles it is computed`, () => {
  const up = Array.from({ length: 40 }, (_, i) => 0.01 + (i % 3) * 0.004);
  const flat = Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.003 : -0.002));
  const times = (from: number) => Array.from({ length: 40 }, (_, i) => (from + i) * 3_600_000);
  const at = (c: ConfigSummary, from: number) => ({ ...c, validationTimes: times(from) });
  const same = selectionStatistics([at(summary('a', up, 1, 0), 0), at(summary('b', flat, 1, 0), 0)]);
  assert.ok(same.pbo);
  const other = selectionStatistics([at(summary('a', up, 1, 0), 0), at(summary('b', flat, 1, 0), 5)]);
  assert.equal(other.pbo, undefined);
  assert.ok(other.notes.some((n) => n.startsWith('PBO needs every configuration validated on the same candles')));
});

test(`the deflated Sharpe tests one trained model's Sharpe (each seed's, averaged over the seeds), not the Sharpe of \
the seeds' averaged returns, for the winner as for the variance across configurations; by hand`, () => {
  // a: seed 1 returns 0.02, −0.01, 0.02, −0.01 and seed 2 0.02, −0.01, −0.01, 0.02: each SR 0.2886751 (as in the DSR
  //   case above), γ₃ 0, γ₄ 1, T 4; one model's SR 0.2886751. b: 0.01, −0.01, … on both seeds, SR 0.
  //   Every job's trials 0.3, 0.1 (within 0.02), so as in the case of several configurations above: between
  //   0.0416667, V 0.0616667, N 4, SR₀ 0.2612713, DSR = Φ((0.2886751 − 0.2612713) · √3) = 0.518929
  // before: the seed-averaged returns 0.02, −0.01, 0.005, 0.005 (mean 0.005, sample sd √0.00015 = 0.0122474):
  //   SR 0.4082483, γ₄ 2, a mix no single model earns; between 0.4082483² / 2 = 0.0833333: SR₀ 0.338, DSR 0.547
  const flat = [0.01, -0.01, 0.01, -0.01];
  const ranked = rankConfigurations(
    [
      job('a', 1, 2, up, [0.3, 0.1]),
      job('a', 2, 2, [0.02, -0.01, -0.01, 0.02], [0.3, 0.1]),
      job('b', 1, 1, flat, [0.3, 0.1]),
      job('b', 2, 1, flat, [0.3, 0.1]),
    ],
    window4,
  );
  const s = selectionStatistics(ranked);
  assert.equal(ranked[0].key, 'a');
  close(s.dsr!.sharpe, 0.2886751, 1e-6, 'SR');
  close(s.dsr!.kurtosis, 1, 1e-9, 'kurtosis');
  assert.equal(s.dsr!.observations, 4);
  close(s.dsr!.trialVariance, 0.0616667, 1e-6, 'V');
  close(s.dsr!.expectedMax, 0.2612713, 1e-6, 'SR₀');
  close(s.dsr!.dsr, 0.518929, 1e-6, 'DSR');
  assert.equal(s.seeds, 2);
  const lines = verdict(s, { mean: { sharpe: 1 }, sd: {} }, { mean: 0.5 });
  assert.ok(
    lines.includes(
      "The Sharpe ratios these test are one trained model's: each seed's, averaged over the 2 seeds (not the Sharpe " +
        "of the seeds' averaged returns, a mix no single model earns).",
    ),
    lines.join('\n'),
  );
});

test(`PBO ranks each configuration by its models' mean Sharpe over seeds, not by the Sharpe of their averaged \
returns; by hand`, () => {
  // 20 candles: CSCV with 2 blocks of 10 (rows 0–9, 10–19), 2 splits. An alternating series (p, q) over 10 candles
  // has Sharpe (p + q) / |p − q| · √0.9 (mean (p+q)/2, sample sd |p−q|/2 · √(10/9)).
  //   a, both seeds, block 1: (0.03, 0.01) → 2 · 0.9487 = 1.897; block 2: seed 1 (0.06, −0.04) → 0.2 · 0.9487 =
  //   0.190, seed 2 (−0.04, 0.062) → 0.022/0.102 · 0.9487 = 0.205; one model's mean 0.197
  //   b, both seeds: block 1 (0.01, 0) → 0.949; block 2 (0.02, 0.01) → 3 · 0.9487 = 2.846
  // IS block 1: a best (1.897 > 0.949), OOS block 2: a 0.197 < b 2.846, rank 1 of 2: ω 1/3, λ < 0 (overfit)
  // IS block 2: b best, OOS block 1: b 0.949 < a 1.897, rank 1: overfit. PBO = 2/2 = 1.
  // before: a's seed-averaged block 2 (0.01, 0.011) has Sharpe 0.021/0.001 · 0.9487 = 19.9, so a was best on both
  //   halves and PBO was 0: the ranking looked stable because of a mix no single model earns
  const alternating = (p: number, q: number) => Array.from({ length: 10 }, (_, i) => (i % 2 ? q : p));
  const a1 = [...alternating(0.03, 0.01), ...alternating(0.06, -0.04)];
  const a2 = [...alternating(0.03, 0.01), ...alternating(-0.04, 0.062)];
  const b = [...alternating(0.01, 0), ...alternating(0.02, 0.01)];
  const window20 = [{ market: 0, fold: 0, length: 20 }];
  const ranked = rankConfigurations(
    [job('a', 1, 2, a1, [0.1]), job('a', 2, 2, a2, [0.1]), job('b', 1, 1, b, [0.1]), job('b', 2, 1, b, [0.1])],
    window20,
  );
  const s = selectionStatistics(ranked);
  assert.equal(s.pbo?.splits, 2);
  assert.equal(s.pbo?.pbo, 1);
});
