/**
 * `bot backtest --strategy FILE.ts` with a portfolio strategy file outside strategies/ (relative or absolute path): it
 * loads as a single-market file does. It used to be refused in a circle: without --symbols "trades several markets:
 * give --symbols", with them "unknown strategy" (the portfolio loader took only names in strategies/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PortfolioReport } from '../../src/backtest/portfolio-report.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from '../cli/run.ts';

const PORTFOLIO = path.resolve('src/agents/portfolio-strategy.ts');

test('a portfolio strategy .ts file anywhere: backtested by relative and absolute path', async () => {
  const dir = tempDir('bot-pffile-');
  // all in the first market, decided once: a rule a user writes beside their data
  writeFileSync(
    path.join(dir, 'peek.ts'),
    `import { fixedWeightsPolicy, type PortfolioStrategy } from ${JSON.stringify(PORTFOLIO)};\n` +
      `const s: PortfolioStrategy = {\n  kind: 'portfolio',\n  name: 'first-only',\n` +
      `  description: 'all in the first market',\n` +
      `  createPolicy: (ctx) => fixedWeightsPolicy('first-only', ctx.symbols.map((_, i) => (i === 0 ? 1 : 0)), ` +
      `Infinity),\n};\nexport default s;\n`,
  );
  for (const [name, seed] of [
    ['a', 41],
    ['b', 42],
  ] as const)
    writeFileSync(path.join(dir, `${name}.csv`), candlesToCsv(syntheticCandles({ seed, count: 300, timeframe: '1h' })));
  const flags = ['--symbols', 'A/USD,B/USD', '--data', 'a.csv,b.csv', '--log-level', 'error'];
  for (const file of ['./peek.ts', path.join(dir, 'peek.ts')]) {
    const out = path.join(dir, `run-${file.startsWith('.') ? 'rel' : 'abs'}`);
    const r = await runBot(['backtest', '--strategy', file, ...flags, '--out', out], {}, dir);
    assert.equal(r.code, 0, `${file}: ${r.stderr}`);
    assert.match(r.stdout, /first-only/);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
    assert.deepEqual(report.portfolio.symbols, ['A/USD', 'B/USD']);
    const last = report.portfolio.weights.map((w) => w[w.length - 1]);
    assert.ok(last[0] > 0.9 && last[1] === 0, `all in A/USD: ${last.join(', ')}`);
  }
  // without --symbols: one line asking for them (the portfolio loader's, not the single-market refusal's circle)
  const none = await runBot(['backtest', '--strategy', './peek.ts', '--data', 'a.csv'], {}, dir);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^error: --data a\.csv,b\.csv pairs with --symbols .*give --symbols\n$/);
  // a file that is not there: one line naming it, as for one market
  const missing = await runBot(['backtest', '--strategy', './nope.ts', ...flags], {}, dir);
  assert.match(missing.stderr, /^error: no strategy file \.\/nope\.ts\n$/);
});
