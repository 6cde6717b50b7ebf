/**
 * A user's rule strategy file through the real CLI: a decision outside the contract (an unknown action, a confidence
 * outside 0…1) stops backtest, paper and live with one line naming the strategy, the candle and the value (it used to
 * be read as hold: a run that never traded, exit 0); what the file's code throws is one line with where it came from
 * (it used to be followed by a log line holding the whole compiled file as a data: URL); a syntax error says what and
 * where (it used to say only `Transform failed with 1 error:`).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { runBot, startBot } from './cli.ts';
import { liveCliSetup } from './live-setup.ts';
import { tempDir } from './helpers.ts';

const STRATEGY = path.resolve('src/agents/strategy.ts');
const tmp = tempDir('bot-strategy-file-');
/** A folder of ES modules: there the strategy's lines are its own in a stack (elsewhere it compiles to a data: URL). */
const esm = path.join(tmp.dir, 'esm');
after(() => tmp.cleanup());
before(() => {
  mkdirSync(esm);
  writeFileSync(path.join(esm, 'package.json'), '{ "type": "module" }\n');
});

/** A rule strategy file named `name` whose policy's decide body is `decide` (createPolicy's body: `create`). */
function ruleFile(name: string, decide: string, create = '', dir = tmp.dir): string {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `import type { RuleStrategy } from ${JSON.stringify(STRATEGY)};\n` +
      `const s: RuleStrategy = {\n  kind: 'rule',\n  name: '${name}',\n  description: 'a user rule',\n` +
      `  createPolicy: () => {\n    ${create}\n` +
      `    return { name: '${name}', decide: () => { ${decide} } };\n  },\n};\nexport default s;\n`,
  );
  return file;
}

/** `s` as a regular expression that matches it alone. */
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const WHEN = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

/** Runs `bot backtest --sample` on `file`: it must stop with exit 1 and the one line `re`, writing no report. */
async function backtestStops(file: string, re: RegExp): Promise<void> {
  const out = path.join(tmp.dir, `never-${path.basename(file, '.ts')}`);
  const r = await runBot(['backtest', '--strategy', file, '--sample', '--out', out, '--log-level', 'warn'], {
    NO_COLOR: '1',
  });
  assert.equal(r.code, 1, `${file}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], re);
  assert.ok(!r.stderr.includes('data:'), r.stderr);
  assert.equal(existsSync(out), false, 'no report');
}

test('bot backtest: a bad decision stops the run in one line naming the strategy, candle and value', async () => {
  const cases: [string, string, string][] = [
    ['upper', "return { action: 'BUY', confidence: 2 } as never;", 'action "BUY" \\(allowed: buy, sell, hold\\)'],
    ['moon', "return { action: 'moon', confidence: 1 } as never;", 'action "moon" \\(allowed: buy, sell, hold\\)'],
    ['sure', "return { action: 'buy', confidence: 2 };", 'confidence 2 \\(a number from 0 to 1\\)'],
    ['nan', "return { action: 'sell', confidence: Number.NaN };", 'confidence NaN \\(a number from 0 to 1\\)'],
    ['none', "return { action: 'hold' } as never;", 'confidence undefined \\(a number from 0 to 1\\)'],
    ['far', "return { action: 'buy', confidence: 1, targetPosition: 3 };", 'targetPosition 3 \\(a number from 0'],
  ];
  await Promise.all(
    cases.map(([name, decide, what]) =>
      backtestStops(
        ruleFile(name, decide),
        new RegExp(`^error: strategy "${name}": decide at ${WHEN} returned ${what}`),
      ),
    ),
  );
});

test('bot backtest: what the strategy file throws is one line with where it came from, no data: URL', async () => {
  const boom = "throw new Error('boom in my strategy');";
  const outside = ruleFile('boom-create', "return { action: 'hold', confidence: 1 };", boom);
  const inside = ruleFile('boom-decide', "throw new Error('boom in decide');", '', esm);
  await Promise.all([
    // outside a module package the file compiles to a data: URL whose lines are not the file's: the file is named
    backtestStops(
      outside,
      new RegExp(`^error: strategy "boom-create": createPolicy threw: boom in my strategy \\(at ${esc(outside)}\\)$`),
    ),
    backtestStops(
      inside,
      new RegExp(
        `^error: strategy "boom-decide": decide at ${WHEN} threw: boom in decide \\(at ${esc(inside)}:8:\\d+\\)$`,
      ),
    ),
  ]);
});

test('bot backtest: a strategy file that does not compile names the first error, its line and column', async () => {
  const file = path.join(tmp.dir, 'syntax.ts');
  writeFileSync(file, 'const a = 1;\nconst b = 2;\nconst x y = 3;\nexport default { a, b, x };\n');
  await backtestStops(
    file,
    new RegExp(`^error: ${esc(file)} does not load: ${esc(file)}:3:8: Expected ";" but found "y"$`),
  );
});

test('bot paper and bot live: the same one line, before any order', async () => {
  const { tmp: live, now, fake, book, cfg, db } = await liveCliSetup(45, 2_000_000);
  try {
    const file = ruleFile('moon', "return { action: 'moon', confidence: 1 } as never;");
    const at = ['--strategy', file, '--once', '--now', isoTime(now), '--config', cfg, '--log-level', 'error'];
    const keys = { UPBIT_API_KEY: 'k-strategy-file', UPBIT_API_SECRET: 's-strategy-file', NO_COLOR: '1' };
    // on a clock (no --once) too: the failed tick was logged and tried again at every tick, trading nothing forever
    const clock = startBot(['paper', ...at.filter((a) => a !== '--once'), '--db', path.join(live.dir, 'clock.db')], {
      NO_COLOR: '1',
    });
    const kill = setTimeout(() => clock.child.kill('SIGKILL'), 120_000);
    // a live run with a log file: the error that ends it goes there too (before: at debug, so not at all)
    const logFile = path.join(live.dir, 'bot.log');
    const logged = path.join(live.dir, 'logged.json');
    writeFileSync(logged, JSON.stringify({ ...JSON.parse(readFileSync(cfg, 'utf8')), log: { file: logFile } }));
    const toLog = at.map((a) => (a === cfg ? logged : a));
    const runs = await Promise.all([
      runBot(['paper', ...at, '--db', db], { NO_COLOR: '1' }),
      runBot(['live', ...at, '--confirm-live', '--db', path.join(live.dir, 'live.db')], keys),
      clock.done.finally(() => clearTimeout(kill)),
    ]);
    // after the other live run: one account, one live run at a time
    const loggedRun = await runBot(
      ['live', ...toLog, '--confirm-live', '--db', path.join(live.dir, 'logged.db')],
      keys,
    );
    const line = `error: strategy "moon": decide at ${WHEN} returned action "moon" \\(allowed: buy, sell, hold\\)`;
    for (const r of [...runs.slice(0, 2), loggedRun]) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^${line}\n$`));
    }
    const entries = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; message: string });
    assert.deepEqual(
      entries.map((e) => e.level),
      ['error'],
    );
    assert.match(`error: ${entries[0].message}`, new RegExp(`^${line.replace('error: ', 'error: trading halted: ')}$`));
    // a trader on a clock stops as on any halt: the command's `trading halted: …` line, once
    const [, , onClock] = runs;
    assert.equal(onClock.code, 1, onClock.stderr);
    assert.match(onClock.stderr, new RegExp(`${line.replace('error: ', 'error: trading halted: ')}\n$`));
    assert.equal(book.orders.length, 0);
  } finally {
    await fake.close();
    live.cleanup();
  }
});
