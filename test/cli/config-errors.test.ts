import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerData } from '../../src/cli/commands/data.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { runBot, runBots } from './run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-cli-config-'));
function configFile(name: string, content: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify(content));
  return f;
}

test('config errors through the real CLI: one line naming the key, non-zero exit', async () => {
  const db = path.join(dir, 'x.db');
  const cases: [string[], RegExp][] = [
    [['--config', configFile('unknown.json', { exchange: { colour: 'red' } })], /exchange\.colour: unknown key/],
    [['--config', configFile('type.json', { exchange: { retries: 'many' } })], /exchange\.retries: .*number/],
    [['--config', configFile('value.json', { exchange: { backoffMs: -5 } })], /exchange\.backoffMs: Too small/],
    // as --balance refuses it: 1e308 used to run and print a total return of Infinity and a volatility of NaN
    [
      ['--config', configFile('huge.json', { account: { balance: 1e308 } })],
      /account\.balance: at most 1000000000000000/,
    ],
  ];
  const results = await runBots(cases.map(([args]) => ({ args: ['data', 'list', '--db', db, ...args] })));
  results.forEach((r, i) => {
    assert.notEqual(r.code, 0, `case ${i} exits non-zero`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `case ${i}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0], /^error: config error \(/);
    assert.match(lines[0], cases[i][1]);
    assert.equal(r.stdout, '');
  });
});

test('every data subcommand has --help naming its options', async () => {
  const spawned = await runBot(['data', 'download', '--help']);
  assert.equal(spawned.code, 0, spawned.stderr);
  assert.match(spawned.stdout, /Usage: bot data download[\s\S]*--since <date>[\s\S]*--until <date>[\s\S]*--db <file>/);

  const program = new Command('bot');
  registerData(program);
  const data = program.commands.find((c) => c.name() === 'data')!;
  const help = Object.fromEntries(data.commands.map((c) => [c.name(), c.helpInformation()]));
  assert.deepEqual(Object.keys(help).sort(), ['derive', 'download', 'export', 'gaps', 'import', 'list']);
  // `bot data --help` named every subcommand's job but derive's
  assert.match(data.description(), /derive leveraged or inverse series/);
  for (const [name, text] of Object.entries(help)) {
    assert.match(text, /-h, --help/, name);
    assert.match(text, /--db <file>/, `${name} touches the database`);
  }
  assert.match(help.list, /--json/);
  assert.match(help.gaps, /--json/);
  assert.match(
    help.import,
    /<file>[\s\S]*--tz <zone>[\s\S]*--exchange <id>[\s\S]*--symbol <symbol>[\s\S]*--timeframe <tf>/,
  );
  assert.match(help.export, /--out <file>/);
  assert.match(help.derive, /--from <symbol>[\s\S]*--leverage <K>[\s\S]*--fee-annual <F>/);
});

test('flag mistakes stop in one line and leave the working folder as it was (no .bot/, database, report)', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-cli-untouched-'));
  // an exchange nothing listens on: a check that came too late fails fast instead of reaching the internet
  const offline = {
    exchange: { ccxt: { urls: { api: { public: 'http://127.0.0.1:1' } } }, retries: 1, backoffMs: 1, maxBackoffMs: 2 },
  };
  writeFileSync(path.join(cwd, 'offline.json'), JSON.stringify(offline));
  // minimums from elsewhere than account.minOrderValue (0 here): a preset, a market's entry, a recipe, --market-costs
  const account = (a: Record<string, unknown>) => JSON.stringify({ ...offline, account: a });
  writeFileSync(path.join(cwd, 'preset.json'), account({ preset: 'upbit-krw' }));
  writeFileSync(path.join(cwd, 'no-min.json'), account({ minOrderValue: 0 }));
  writeFileSync(
    path.join(cwd, 'entry.json'),
    account({ minOrderValue: 0, markets: { 'BBB/KRW': { minOrderValue: 7000 } } }),
  );
  const dqn = JSON.stringify(path.join(PROJECT_ROOT, 'strategies/dqn-dnn.ts'));
  writeFileSync(
    path.join(cwd, 'upbit-dqn.ts'),
    // its own name: a file from elsewhere named as a shipped strategy is refused before the balance is checked
    `import dqn from ${dqn};\n` +
      "export default { ...dqn, name: 'upbit-dqn', recipe: { ...dqn.recipe, costs: 'upbit-krw' } };\n",
  );
  writeFileSync(path.join(cwd, 'report.json'), '{}');
  writeFileSync(path.join(cwd, 'config.yaml'), 'exchange:\n  id: upbit\n');
  mkdirSync(path.join(cwd, 'charts'));
  // a portfolio model's folder, as bot predict tells one (the refusal below comes before its files are read)
  mkdirSync(path.join(cwd, 'models/pf'), { recursive: true });
  writeFileSync(path.join(cwd, 'models/pf/meta.json'), '{ "portfolio": true }');
  const before = readdirSync(cwd, { recursive: true }).sort();
  const rule = ['--sample', '--strategy', 'sma-cross'];
  const paper = ['paper', '--once', '--strategy', 'random', '--config', 'offline.json'];
  const live = ['live', '--once', '--strategy', 'random', '--confirm-live', '--config', 'offline.json'];
  const noCandles = ['--sample', '--from', '2024-01-01', '--to', '2024-01-10'];
  const twoMarkets = ['--symbols', 'AAA/KRW,BBB/KRW', '--strategy', 'equal-weight'];
  // config/default.json's minimum (Upbit KRW's) names itself and the settings that choose a market's own
  const DEFAULT_MINIMUM = "account\\.minOrderValue, config/default\\.json's Upbit KRW minimum";
  const CHOOSE =
    ", or choose your market's costs: account\\.preset \\(krx-stock, zero\\) or account\\.minOrderValue in a " +
    '--config file';
  const tooSmall = (what: string, from = DEFAULT_MINIMUM, min = 5000) =>
    new RegExp(
      `^error: ${what} 1 is below the minimum order value ${min} \\(${from}\\): ` +
        `no order could be placed; raise --balance or account\\.balance${from === DEFAULT_MINIMUM ? CHOOSE : ''}$`,
    );
  const cases: [string[], RegExp][] = [
    // checked after the logger was set up, which made .bot/ for its file
    [['backtest', ...rule, '--seed', '-1'], /^error: --seed must be a whole number ≥ 0, got "-1"$/],
    // not checked at all: the run started with a NaN seed
    [[...paper, '--seed', 'abc'], /^error: --seed must be a whole number ≥ 0, got "abc"$/],
    // ignored without --retrain
    [[...paper, '--retrain-strategy', 'dqn-dnn'], /^error: --retrain-strategy names what --retrain CRON trains/],
    // read by no single-market or rule run, which ran without them
    [
      ['backtest', ...rule, '--seeds', '3'],
      /^error: --seeds is for agent strategies, not sma-cross \(a rule strategy\)$/,
    ],
    // a portfolio rule strategy trains nothing either: it ran as if the flag had not been given
    [
      ['backtest', '--sample', '--strategy', 'equal-weight', '--epochs', '2'],
      /^error: --epochs is for agent strategies, not equal-weight \(a rule strategy\)$/,
    ],
    [['backtest', ...twoMarkets, '--name', 'x'], /^error: --name is for agent strategies, not equal-weight \(a rule/],
    [['backtest', ...rule, '--band', '0.5'], /^error: --band is for portfolios: give --symbols BTC\/KRW,ETH\/KRW$/],
    [['backtest', '--sample', '--model', 'models/x', '--epochs', '3'], /^error: --epochs is for training: use it with/],
    // found out after the backtest, with a stack trace
    [['backtest', ...rule, '--out', 'report.json'], /^error: --out report\.json is a file; give a folder/],
    [['sweep', '--strategy', 'dqn-dnn', '--grid', 'window=5', '--sample', '--out', 'report.json'], /is a file/],
    // found out after drawing, in the image library's three lines
    [
      ['chart', '--sample', '--out', 'charts'],
      /^error: --out charts is a folder; give a file name, e\.g\. charts\/chart\.png$/,
    ],
    // a day off the calendar used to start a download from March 1
    [['data', 'download', '--since', '2024-02-30', '--config', 'offline.json'], /^error: --since: "2024-02-30" is not/],
    // read-only commands created the mistyped database
    [['data', 'export', '--db', 'typo.db'], /^error: no stored candles for upbit BTC\/KRW 1h; see `bot data list`$/],
    [['data', 'gaps', '--db', 'typo.db'], /^error: no stored candles for upbit BTC\/KRW 1h/],
    [['data', 'list', '--db', 'typo.db'], /^$/],
    [['backtest', ...rule, '--config', 'config.yaml'], /^error: config file config\.yaml is not valid JSON \(config/],
    // ignored: the sample is S&P 500 1d and a file's candles come from no exchange
    [['backtest', ...rule, '--timeframe', '1h'], /^error: --timeframe does not apply to --sample \(the bundled S&P/],
    [['backtest', ...rule, '--symbol', 'ETH/KRW'], /^error: --symbol does not apply to --sample \(the bundled S&P/],
    [['backtest', '--data', 'c.csv', '--exchange', 'binance'], /^error: --exchange does not apply to --data FILE/],
    // the series is named after the file: report.json's symbol was its stem, --symbol read by nothing
    [['backtest', '--data', 'c.csv', '--symbol', 'BTC/KRW'], /^error: --symbol does not apply to --data FILE \(the/],
    // a portfolio backtest or a portfolio model's predict read nothing of --symbol: it ran over other markets
    [['backtest', ...twoMarkets, '--symbol', 'AAA/KRW'], /^error: use either --symbol \(one market\) or --symbols \(a/],
    [
      ['backtest', '--sample', '--strategy', 'equal-weight', '--symbol', 'BTC/KRW'],
      /^error: --symbol is for one market; a portfolio backtest trades --symbols A,B \(or its model's or recipe's/,
    ],
    [
      ['predict', '--model', 'models/pf', '--symbol', 'BTC/KRW', '--config', 'offline.json'],
      /^error: --symbol is for one market; portfolio model models\/pf reads the markets it was trained on: drop/,
    ],
    [[...paper, ...twoMarkets, '--symbol', 'AAA/KRW'], /^error: use either --symbol \(one market\) or --symbols/],
    // an ensemble of one seed, and a billion epochs read from exponent notation
    [
      ['backtest', '--sample', '--strategy', 'dqn-dnn', '--ensemble', 'vote', '--seeds', '1'],
      /^error: --ensemble vote trades a fold's seeds as one model: give --seeds 2 or more$/,
    ],
    [['backtest', '--sample', '--strategy', 'dqn-dnn', '--ensemble', 'mean'], /give --seeds 2 or more$/],
    // refused only once the ensemble was built: after every seed had trained, in a half-written run folder
    [
      ['backtest', '--sample', '--strategy', 'ppo-continuous', '--seeds', '2', '--ensemble', 'vote', '--epochs', '1'],
      /^error: --ensemble vote needs discrete actions \(this recipe has a continuous head\): use mean$/,
    ],
    // refused only after the download (here: of an exchange nothing listens on), the disk and tfjs (audit, session 38)
    [
      ['backtest', '--strategy', 'finrl-dnn', '--seeds', '2', '--ensemble', 'vote', '--config', 'offline.json'],
      /^error: --ensemble needs one learner per fold; this recipe chooses among several \(learnerChoice\)$/,
    ],
    // a rule strategy was asked for --seeds 2, then told --seeds is for agent strategies
    [['backtest', ...rule, '--ensemble', 'vote'], /^error: --ensemble needs an agent strategy, not sma-cross$/],
    // the line said "letters, digits, ., _ or -" and refused the "." it allowed as a first character
    [
      ['backtest', '--sample', '--strategy', 'dqn-dnn', '--name', '.hidden', '--log-level', 'error'],
      /^error: --name "\.hidden" must start with a letter or digit and hold only letters, digits, \., _ or - \(it/,
    ],
    [[...paper, '--name', '.hidden'], /^error: --name "\.hidden" must start with a letter or digit and hold only/],
    [
      ['backtest', '--sample', '--strategy', 'equal-weight', '--name', '.hidden'],
      /^error: --name "\.hidden" must start with a letter or digit and hold only/,
    ],
    [
      ['sweep', '--sample', '--strategy', 'dqn-dnn', '--grid', 'window=3,4', '--name', '.hidden'],
      /^error: --name "\.hidden" must start with a letter or digit and hold only/,
    ],
    // a mistyped folder used to be made, and an empty dashboard served from a new database in it
    [['serve', '--db', 'no/such/bot.db', '--port', '0'], /^error: --db no\/such\/bot\.db: no folder \S*no\/such \(/],
    // Number('') is 0: an empty --decisions showed none
    [['status', '--decisions', '', '--db', 'typo.db'], /^error: --decisions must be a whole number ≥ 0, got ""$/],
    // no database: no runs to list, not an error, and the file is not made
    [['status', '--json', '--db', 'typo.db'], /^$/],
    [['status', '--db', 'typo.db'], /^$/],
    [
      ['backtest', '--sample', '--strategy', 'dqn-dnn', '--epochs', '1e9'],
      /^error: --epochs must be a whole number ≥ 1, got "1e9"$/,
    ],
    // a billion epochs (or seeds, or folds) ran: bounded, one line naming the limit (checked before the data, which
    // here has no candles in the range: the runs stop at once either way)
    [
      ['backtest', ...noCandles, '--strategy', 'dqn-dnn', '--epochs', '1000000000'],
      /^error: --epochs 1000000000 is over the limit of 100000$/,
    ],
    [
      ['backtest', ...noCandles, '--strategy', 'dqn-dnn', '--seeds', '1001'],
      /^error: --seeds 1001 is over the limit of 1000$/,
    ],
    [
      ['backtest', ...noCandles, '--strategy', 'dqn-dnn', '--folds', '1001'],
      /^error: --folds 1001 is over the limit of 1000$/,
    ],
    [
      ['backtest', ...noCandles, '--strategy', 'ppo-etf-pair', '--epochs', '100001'],
      /^error: --epochs 100001 is over the limit/,
    ],
    [
      ['retrain', '--strategy', 'dqn-dnn', '--epochs', '100001', '--config', 'offline.json'],
      /^error: --epochs 100001 is over/,
    ],
    // a portfolio run accepted --ensemble and ignored it
    [
      ['backtest', '--sample', '--strategy', 'ppo-etf-pair', '--ensemble', 'vote', '--seeds', '1'],
      /^error: --ensemble is for one market; a portfolio run trades its first seed \(leave out --ensemble\)$/,
    ],
    // a balance below the minimum order was refused on one-market backtests only; the others ran to rejections
    [['backtest', '--sample', '--strategy', 'equal-weight', '--balance', '1'], tooSmall('balance')],
    [[...paper, '--balance', '1'], tooSmall('balance')],
    [[...paper, ...twoMarkets, '--balance', '1'], tooSmall('balance')],
    // at or just over the minimum, the fee on top left every buy under it: 0 trades and only rejections, exit 0
    [
      ['backtest', ...rule, '--balance', '5000'],
      new RegExp(
        '^error: balance 5000 less the 0\\.05% fee buys at most 4997\\.50, below the minimum order value 5000 ' +
          `\\(${DEFAULT_MINIMUM}\\): no order could be placed; raise --balance or account\\.balance${CHOOSE}$`,
      ),
    ],
    [
      ['backtest', ...rule, '--balance', '5001'],
      /^error: balance 5001 less the 0\.05% fee buys at most 4998\.50, below/,
    ],
    [[...paper, ...twoMarkets, '--balance', '5002'], /^error: balance 5002 less the 0\.05% fee buys at most 4999\.50/],
    [[...live, '--balance', '5000'], /^error: balance cap 5000 less the 0\.05% fee buys at most 4997\.50, below/],
    // live: the balance is the most the run may use
    [[...live, '--balance', '1'], tooSmall('balance cap')],
    [[...live, ...twoMarkets, '--balance', '1'], tooSmall('balance cap')],
    // the line named account.minOrderValue or the account's preset wherever the minimum came from
    [[...paper, '--balance', '1', '--config', 'preset.json'], tooSmall('balance', 'account\\.preset upbit-krw')],
    [
      [...paper, ...twoMarkets, '--balance', '1', '--config', 'entry.json'],
      tooSmall('balance', 'account\\.markets\\["BBB/KRW"\\]\\.minOrderValue', 7000),
    ],
    [
      [...paper, ...twoMarkets, '--market-costs', 'AAA/KRW=upbit-krw', '--balance', '1', '--config', 'no-min.json'],
      tooSmall('balance', '--market-costs AAA/KRW'),
    ],
    [
      ['backtest', '--sample', '--strategy', 'upbit-dqn.ts', '--balance', '1', '--config', 'no-min.json'],
      tooSmall('balance', "the recipe's costs upbit-krw"),
    ],
  ];
  // live needs keys before anything else is checked; these reach no exchange
  const keys = { BOT_API_KEY: 'test-key', BOT_API_SECRET: 'test-secret' };
  const results = await runBots(
    cases.map(([args]) => ({ args, env: args[0] === 'live' ? keys : {} })),
    cwd,
  );
  results.forEach((r, i) => {
    const what = cases[i][0].join(' ');
    const expectOk = cases[i][1].source === '^$';
    assert.equal(r.code === 0, expectOk, `${what}: exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
    assert.match(r.stderr.trimEnd(), cases[i][1], what);
  });
  const list = cases.findIndex(([args]) => args.join(' ') === 'data list --db typo.db');
  assert.match(results[list].stdout, /^no candles stored in typo\.db/);
  const output = (args: string) => results[cases.findIndex(([a]) => a.join(' ') === args)].stdout;
  assert.equal(output('status --json --db typo.db'), '[]\n');
  assert.equal(output('status --db typo.db'), 'no runs (database typo.db does not exist; start one with bot paper)\n');
  assert.deepEqual(readdirSync(cwd, { recursive: true }).sort(), before, 'nothing created in the working folder');
});

test('error messages name the flag or command that helps: --serve PORT, bot live, --model', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-cli-pointers-'));
  const offline = {
    exchange: { ccxt: { urls: { api: { public: 'http://127.0.0.1:1' } } }, retries: 1, backoffMs: 1, maxBackoffMs: 2 },
    log: { file: '' },
  };
  writeFileSync(path.join(cwd, 'offline.json'), JSON.stringify(offline));
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    const paper = ['paper', '--strategy', 'random', '--serve', String(port), '--config', 'offline.json'];
    const busy = await runBot([...paper, '--log-level', 'error'], {}, cwd);
    assert.equal(busy.code, 1);
    // paper's flag is --serve PORT; there is no --port to choose another with
    assert.equal(busy.stderr, `error: port ${port} on 127.0.0.1 is in use: choose another with --serve PORT\n`);
  } finally {
    holder.close();
  }
  const live = await runBot(['status', '--live', '--config', 'offline.json'], {}, cwd);
  // no runs to list is an answer, not an error
  assert.equal(live.code, 0, live.stderr);
  assert.equal(live.stdout, 'no live runs in .bot/bot.db (start one with bot live)\n');
  const retrain = await runBot(['retrain', '--config', 'offline.json'], {}, cwd);
  assert.equal(retrain.code, 1);
  assert.equal(retrain.stderr, 'error: give --model FOLDER (the model to retrain) or --strategy NAME\n');
});
