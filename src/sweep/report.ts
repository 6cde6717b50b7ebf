/**
 * The sweep report folder `backtests/sweep-<id>/`: report.json, a heatmap PNG per pair of swept parameters, the
 * winner's equity PNG per market and report.html (self-contained, pictures inlined), plus the console summary.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BASELINE_NAMES, type BaselineName } from '../backtest/baselines.ts';
import { rulesText, scheduleText, type ScheduleRule } from '../agents/decision-rule.ts';
import { shortSpanNote } from '../backtest/report.ts';
import { equityLinesSvg, heatmapSvg, writeSvgPng } from './charts.ts';
import { UNCOMPARED_WHY, type MeanSd } from './select.ts';
import type { SweepReport } from './summary.ts';
import { metricsToJson } from '../market/metrics.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(2)}%`);
/** Mean ± sd; an infinite mean (a run without downside among them: select.ts's meanSd) has no sd to show. */
const pm = (m: MeanSd, key: string, f: (v: number | undefined) => string = num) => {
  const v = m.mean[key];
  return v === Infinity || v === -Infinity ? String(v) : `${f(v)} ± ${f(m.sd[key])}`;
};
const value = (v: unknown) => JSON.stringify(v).replace(/"/g, '');

/** The rule(s) random traded under: one, each fold's (or job's), or none (every candle). */
function ruleText(r: { rule?: ScheduleRule; rules?: { run: string; rule: ScheduleRule }[] }): string | undefined {
  return r.rule ? scheduleText(r.rule) : r.rules ? rulesText(r.rules) : undefined;
}

/** A baseline's name in the tables: random's with the decision rule it traded under (the winner's jobs'), if any. */
function baselineLabel(r: SweepReport, n: BaselineName): string {
  const rule = ruleText(r.baselines[n]);
  return `${n.replace(/_/g, '-')}${rule ? ` (under ${rule})` : ''}`;
}

/** Random under a configuration's own rule and sizing, when the configurations' differ: its validation Sharpe. */
function randomText(c: SweepReport['leaderboard'][number]): string {
  if (!c.random) return '';
  const sizing = c.random.sizing ? `, sizing ${c.random.sizing}` : '';
  return `${pm(c.random.validation, 'sharpe')} (${ruleText(c.random) ?? 'every candle'}${sizing})`;
}

/** How the jobs went: `3/4 jobs finished, 1 failed, 2 retried` (retried: tried more than once, whatever their end). */
function jobsText(r: SweepReport): string {
  const retried = r.jobs.retried === undefined ? '' : `, ${r.jobs.retried} retried`;
  return `${r.jobs.finished}/${r.jobs.planned} jobs finished, ${r.jobs.failed} failed${retried}`;
}

/**
 * Most values of one parameter a heatmap shows: beyond it the picture is unreadable and, at 70 pixels a column, soon
 * past the 32767-pixel limit of the PNG renderer (which crashed the sweep after every job had run).
 */
const HEATMAP_MAX_VALUES = 50;

/**
 * Heatmaps: for each pair of swept keys, the mean score over configurations sharing that pair of values. The axes are
 * the values the sweep's configurations have (a random search runs a few of a grid's values), in the grid's order; a
 * pair with more than HEATMAP_MAX_VALUES of either is not drawn, and a picture that cannot be drawn is not either:
 * each is a note instead (the report is written already).
 */
async function writeHeatmaps(dir: string, r: SweepReport): Promise<{ files: string[]; notes: string[] }> {
  const axes = r.request.grid
    .map((a) => {
      const run = new Set(r.leaderboard.map((c) => value(c.params[a.key])));
      return { key: a.key, values: a.values.map(value).filter((v) => run.has(v)) };
    })
    // a key with one value is not swept: no heatmap for it
    .filter((a) => a.values.length > 1);
  const files: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < axes.length; i++) {
    for (let j = i + 1; j < axes.length; j++) {
      const [x, y] = [axes[i], axes[j]];
      const title = `heatmap ${x.key} × ${y.key}`;
      const many = [x, y].filter((a) => a.values.length > HEATMAP_MAX_VALUES);
      if (many.length) {
        const counts = many.map((a) => `${a.key} has ${a.values.length} values`).join(', ');
        notes.push(`${title} not drawn: ${counts} (at most ${HEATMAP_MAX_VALUES} per axis)`);
        continue;
      }
      const cells = y.values.map((yv) =>
        x.values.map((xv) => {
          const scores = r.leaderboard
            .filter((c) => value(c.params[x.key]) === xv && value(c.params[y.key]) === yv && c.runs > 0)
            .map((c) => c.score);
          return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : NaN;
        }),
      );
      const file = `heatmap-${x.key}-${y.key}.png`.replace(/[^A-Za-z0-9_.-]/g, '_');
      const svg = heatmapSvg({
        title: `validation score: ${x.key} × ${y.key}`,
        ...{ xLabel: x.key, yLabel: y.key, xValues: x.values, yValues: y.values, cells },
      });
      if (await drawn(path.join(dir, file), svg, title, notes)) files.push(file);
    }
  }
  return { files, notes };
}

/** Renders one picture; a failure is a note naming it, never the end of the report. */
async function drawn(file: string, svg: string, what: string, notes: string[]): Promise<boolean> {
  try {
    await writeSvgPng(file, svg);
    return true;
  } catch (e) {
    notes.push(`${what} not drawn: ${(e as Error).message.split('\n')[0]}`);
    return false;
  }
}

function table(columns: string[], rows: string[][], cls = ''): string {
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table class="${cls}"><tr>${head}</tr>${body}</table>`;
}

function img(dir: string, file: string, alt: string): string {
  return `<img alt="${esc(alt)}" src="data:image/png;base64,${readFileSync(path.join(dir, file)).toString('base64')}">`;
}

const STYLE =
  'body{font-family:sans-serif;max-width:1150px;margin:20px auto;color:#111}' +
  'table{border-collapse:collapse;margin:8px 0 18px}' +
  'td,th{border:1px solid #d1d5db;padding:3px 8px;font-size:13px;text-align:left}th{background:#f3f4f6}\n' +
  '.warn{border:2px solid #b91c1c;padding:6px 12px;background:#fef2f2}.verdict li{margin:4px 0}' +
  'img{max-width:100%;display:block;margin:8px 0}';

const STATISTICS_TEXT =
  "The deflated Sharpe ratio (Bailey &amp; López de Prado 2014) is the probability that the winner's true Sharpe " +
  'is above what the best of the trials would reach by chance, given their number, the spread of their Sharpe ' +
  "ratios and the skewness and kurtosis of the winner's returns. PBO (Bailey, Borwein, López de Prado &amp; Zhu " +
  '2015) splits the validation candles into blocks, and for every way of choosing half of them picks the best ' +
  'configuration there and ranks it on the other half: PBO is how often it lands at or below the median.';

const NOT_FOR_SELECTION_TEXT =
  'Shown for completeness. Choosing a configuration by these numbers is tuning on the test windows and makes ' +
  'them worthless as an out-of-sample check.';

const WINDOWS_TEXT =
  "Each fold's train, validation and test windows. Training used the purged split of the fold's train + validation " +
  'span, as `bot backtest` prints it: the training segments, and the windows each epoch was scored on to choose it. ' +
  "The ranking's validation Sharpe (and the returns the deflated Sharpe and PBO read) is over those epoch windows " +
  "only, which no training segment touches: with more than one (the recipe's selection.windows) training segments " +
  "lie inside the fold's validation window, so it is not ranked on. Each job's test is over the test window.";

/** The pictures not drawn and why, if any. */
function notesHtml(notes: string[] | undefined): string {
  return notes?.length ? `<p>Pictures not drawn:</p><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
}

function html(dir: string, r: SweepReport): string {
  // configurations trading by different decision rules: each row's own random beside it
  const ruled = r.leaderboard.some((c) => c.random);
  const board = r.leaderboard.map((c) => [
    String(c.rank),
    c.label,
    `${num(c.score)} ± ${num(c.scoreSd)}`,
    pm(c.validation, 'totalReturn', pct),
    pm(c.validation, 'maxDrawdown', pct),
    pm(c.validation, 'trades', (v) => num(v, 1)),
    `${c.runs}${c.failed ? ` (${c.failed} failed)` : ''}`,
    ...(ruled ? [randomText(c)] : []),
  ]);
  const baseRows = BASELINE_NAMES.map((n) => [
    'baseline',
    baselineLabel(r, n),
    pm(r.baselines[n].validation, 'sharpe'),
    pm(r.baselines[n].validation, 'totalReturn', pct),
    pm(r.baselines[n].validation, 'maxDrawdown', pct),
    pm(r.baselines[n].validation, 'trades', (v) => num(v, 1)),
    '',
    ...(ruled ? [''] : []),
  ]);
  const testCols = ['Sharpe', 'total return', 'max drawdown', 'trades'];
  const testRow = (m: MeanSd) => [
    pm(m, 'sharpe'),
    pm(m, 'totalReturn', pct),
    pm(m, 'maxDrawdown', pct),
    pm(m, 'trades', (v) => num(v, 1)),
  ];
  const d = r.statistics.dsr;
  const p = r.statistics.pbo;
  const stats = [
    ...(d
      ? [
          ['deflated Sharpe ratio (winner)', num(d.dsr)],
          ['winner Sharpe per candle (seed-averaged validation returns)', num(d.sharpe, 4)],
          ['SR₀: best of the trials by luck', num(d.expectedMax, 4)],
          [
            'trials N (configurations tried, failed ones and those of earlier sweeps on overlapping candles ' +
              'included, × epoch × margin validations per job)',
            `${d.trials} (${r.statistics.trials} configurations` +
              (r.statistics.earlierTrials ? `, ${r.statistics.earlierTrials} of them by earlier sweeps` : '') +
              `, up to ${r.statistics.validationsPerJob} per job)` +
              (r.statistics.uncompared
                ? `; not counted: ${r.statistics.uncompared.jobs} job(s) stored ${UNCOMPARED_WHY} ` +
                  `(rerun ${r.statistics.uncompared.sweeps.join(', ')} to count them)`
                : ''),
          ],
          [
            'variance of trial Sharpes V (between configurations + within a job)',
            Number.isFinite(d.trialVariance) ? d.trialVariance.toExponential(3) : '–',
          ],
          ['validation return dates T (a date in several markets counts once)', String(d.observations)],
          ['skewness', num(d.skewness)],
          ['kurtosis', num(d.kurtosis)],
        ]
      : []),
    ...(p
      ? [
          ['PBO (CSCV)', num(p.pbo)],
          ['CSCV blocks / splits', `${p.blocks} / ${p.splits}`],
        ]
      : []),
  ];
  const markets = r.markets.map((m) => esc(`${m.label}: ${m.from} … ${m.to}`)).join('; ');
  const grid =
    `${r.leaderboard.length} configurations × ${r.seeds.length} seed(s) × ` +
    `${r.markets[0]?.folds.length ?? 0} fold(s) · ${r.epochs} epochs`;
  const jobs = jobsText(r);
  const boardColumns = ['rank', 'configuration', 'validation Sharpe (mean ± sd)', 'validation return'];
  // the winner's test metrics beside the baselines' on the same windows
  const testTable = (label: string, winnerTest: MeanSd, pick: 'cleanTest' | 'test') =>
    table(
      ['', ...testCols],
      [
        [label, ...testRow(winnerTest)],
        ...BASELINE_NAMES.map((n) => [baselineLabel(r, n), ...testRow(r.baselines[n][pick])]),
      ],
    );
  const winner = r.winner
    ? `<h2>Chosen configuration: ${esc(r.winner.label)}</h2><p>Strictly out of sample: the test window(s) that ` +
      `start after every validation candle (${esc(r.winner.cleanFolds.join(', '))}), mean ± sd over seeds, ` +
      `with the baselines on the same windows:</p>
${testTable(r.winner.label, r.winner.cleanTest, 'cleanTest')}
<p>Every fold's test window (with rolling folds an earlier fold's test window is a later fold's validation window, ` +
      `which the ranking saw), mean ± sd over seeds and folds:</p>
${testTable(r.winner.label, r.winner.test, 'test')}`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>sweep ${esc(r.name)}</title>
<style>${STYLE}</style></head><body>
<h1>Sweep ${esc(r.name)} <small>(${esc(r.sweepId)})</small></h1>
<p>${esc(r.strategy)} · ${markets} · ${grid} · ${jobs}</p>
<p>${esc(r.protocol)}</p>
${r.shortWindow ? `<p>${esc(shortSpanNote(r.shortWindow))}</p>` : ''}
<h2>Verdict</h2><ul class="verdict">${r.verdict.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>
<h2>Leaderboard (validation windows; ranked by mean Sharpe after costs)</h2>
${table(
  [...boardColumns, 'max drawdown', 'trades', 'runs', ...(ruled ? ['random under its rule (validation Sharpe)'] : [])],
  [...board, ...baseRows],
)}
${winner}
${r.files.equity.map((f) => img(dir, f, 'winner equity')).join('\n')}
<h2>Overfitting statistics</h2>${table(['statistic', 'value'], stats)}
<p>${STATISTICS_TEXT}</p>
${r.files.heatmaps.length ? '<h2>Heatmaps</h2>' + r.files.heatmaps.map((f) => img(dir, f, f)).join('\n') : ''}
${notesHtml(r.chartNotes)}
<div class="warn"><h2>Test metrics of every configuration: NOT FOR SELECTION</h2><p>${NOT_FOR_SELECTION_TEXT}</p>
${table(
  ['configuration', ...testCols],
  r.testNotForSelection.map((c) => [c.label, ...testRow(c.test)]),
)}</div>
${
  r.failures.length
    ? `<h2>Failed jobs</h2>${table(
        ['configuration', 'market', 'fold', 'seed', 'attempts', 'error'],
        r.failures.map((f) => [f.label, f.market, String(f.fold), String(f.seed), String(f.attempts ?? ''), f.error]),
      )}`
    : ''
}
<h2>Windows</h2><p>${WINDOWS_TEXT}</p>${r.markets
    .map((m) =>
      table(
        ['fold', 'train', 'validation', 'test', 'training segments', 'epoch windows (ranked on)'],
        m.folds.map((f, i) => [String(i + 1), f.train, f.validation, f.test, f.trainingSegments, f.epochWindows]),
        m.label,
      ),
    )
    .join('')}
</body></html>`;
}

/**
 * report.json's text (also `bot sweep --json`). A mean over runs is written as a run's metrics are (metricsToJson):
 * an infinite one as "Infinity", not JSON's null, which would read as a missing value.
 */
export function sweepReportJson(r: SweepReport): string {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  return JSON.stringify(r, (key, v: unknown) => (key === 'mean' && isRecord(v) ? metricsToJson(v) : v), 2);
}

/**
 * The winner's equity picture of a market: `equity-winner.png`, or with several markets one per market named after
 * its symbol (`equity-winner-BTC-KRW.png`; the index for a report written before equity curves named their symbol).
 */
function equityFileName(symbol: string | undefined, markets: number, index: number): string {
  if (markets <= 1) return 'equity-winner.png';
  return `equity-winner-${symbol ? symbol.replace(/[^A-Za-z0-9]+/g, '-') : index + 1}.png`;
}

/**
 * Writes the folder; returns the report with its file names (and the notes of pictures not drawn) filled in.
 * report.json and report.html are written before any picture and again after them, so a picture that fails (a
 * renderer limit, a full disk) costs that picture, not the report.
 */
export async function writeSweepReport(dir: string, report: SweepReport): Promise<SweepReport> {
  mkdirSync(dir, { recursive: true });
  const write = (r: SweepReport) => {
    writeFileSync(path.join(dir, 'report.json'), sweepReportJson(r));
    writeFileSync(path.join(dir, 'report.html'), html(dir, r));
  };
  write({ ...report, files: { ...report.files, heatmaps: [], equity: [] } });
  const heatmaps = await writeHeatmaps(dir, report);
  const notes = [...heatmaps.notes];
  const equity: string[] = [];
  for (const [i, e] of report.equity.entries()) {
    if (e.seeds.length === 0) continue;
    const file = equityFileName(e.symbol, report.equity.length, i);
    const svg = equityLinesSvg({
      title: `winner ${report.winner?.label ?? ''} on ${e.market}: test windows vs buy-and-hold`,
      ...e,
    });
    if (await drawn(path.join(dir, file), svg, `equity picture ${file}`, notes)) equity.push(file);
  }
  const r: SweepReport = {
    ...report,
    files: { ...report.files, heatmaps: heatmaps.files, equity },
    ...(notes.length ? { chartNotes: notes } : {}),
  };
  write(r);
  return r;
}

/** The console summary: top of the leaderboard, the winner on test beside buy-and-hold, the verdict. */
export function sweepSummaryText(r: SweepReport, dir: string, top = 10): string {
  const lines = [
    `sweep ${r.name} (${r.sweepId}): ${jobsText(r)}`,
    '',
    'rank  validation Sharpe (mean ± sd)  configuration',
  ];
  for (const c of r.leaderboard.slice(0, top))
    lines.push(
      `${String(c.rank).padStart(4)}  ${`${num(c.score)} ± ${num(c.scoreSd)}`.padEnd(28)}  ` +
        `${c.label}${c.failed ? ` (${c.failed} failed)` : ''}` +
        (c.random ? `; random under its rule ${randomText(c)}` : ''),
    );
  // every baseline, as report.json and report.html have them: one may sit right beside the winner
  for (const n of BASELINE_NAMES)
    lines.push(`      ${pm(r.baselines[n].validation, 'sharpe').padEnd(28)}  ${baselineLabel(r, n)} (baseline)`);
  if (r.shortWindow) lines.push('', shortSpanNote(r.shortWindow));
  if (r.winner) {
    const bh = r.baselines.buy_and_hold;
    lines.push('', `chosen by validation: ${r.winner.label}`);
    lines.push(
      `  test after every validation candle (${r.winner.cleanFolds.join(', ')}): ` +
        `Sharpe ${pm(r.winner.cleanTest, 'sharpe')}, return ${pm(r.winner.cleanTest, 'totalReturn', pct)} ` +
        `(buy-and-hold: Sharpe ${num(bh.cleanTest.mean.sharpe)}, return ${pct(bh.cleanTest.mean.totalReturn)})`,
    );
    lines.push(
      `  test over all folds: Sharpe ${pm(r.winner.test, 'sharpe')}, ` +
        `return ${pm(r.winner.test, 'totalReturn', pct)} ` +
        `(buy-and-hold: Sharpe ${num(bh.test.mean.sharpe)}, return ${pct(bh.test.mean.totalReturn)})`,
    );
  }
  lines.push('', ...r.verdict, '', `report: ${path.resolve(dir, r.files.html)}`);
  return lines.join('\n');
}
