/**
 * A broken model folder is one line and a non-zero exit before any candle is read, any request reaches the exchange
 * or the database is made, for ensembles (each member's network against the recipe) and portfolio models, in `bot
 * paper --model`, `bot live --model`, and for portfolio models in `bot backtest --model` and `bot predict --model`
 * (src/agents/model-folder-check.ts). They used to be found at the first decision, after candles were fetched and
 * stored and the run made (session 39). A home holding another version to fall back on is left to the late path.
 * Real tfjs model files, the real CLI against the fake Upbit (its requests counted).
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkModelFolder, checkModelStart } from '../../src/agents/model-folder-check.ts';
import { marketOf } from '../../src/agents/model-market.ts';
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { saveAgentModel } from '../../src/agents/save.ts';
import { createNet, networkSpec, prepareData } from '../../src/agents/setup.ts';
import { UserError } from '../../src/core/errors.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { pairRecipe } from '../agents/portfolio-helpers.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { saveAgent, savePortfolioModel, SMALL_RECIPE } from './agents.ts';
import { runBot, writeFakeExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const make = (seed: number, symbol: string, startPrice: number) =>
  syntheticCandles({ seed, count: 360, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 10, symbol, startPrice });
const btc = { ...make(61, 'BTC/KRW', 50_000_000), exchange: 'upbit' };
const eth = { ...make(62, 'ETH/KRW', 3_000_000), exchange: 'upbit' };
const xrp = { ...make(63, 'XRP/KRW', 3_000), exchange: 'upbit' };
const NOW = btc.ts[btc.ts.length - 1] + HOUR + 10_000;
const env = { UPBIT_API_KEY: 'test-access-key-123', UPBIT_API_SECRET: 'test-secret-key-456' };
const tmp = tempDir('bot-model-start-');
let fake: FakeUpbit;
let cfg: string;

before(async () => {
  // it serves nothing: a start refused at its model must not ask it anything
  fake = await startFakeUpbit({ now: () => NOW });
  cfg = writeFakeExchangeConfig(tmp.dir, fake, { ml: { backend: 'wasm' } });
  await initBackend('auto');
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

/** An ensemble of three seeded SMALL_RECIPE networks (vote) saved in `dir`, as `bot backtest --ensemble` saves one. */
async function saveEnsemble(dir: string): Promise<void> {
  const prepared = prepareData(SMALL_RECIPE, btc, { from: recipeWarmup(SMALL_RECIPE), to: btc.ts.length });
  const nets = [1, 2, 3].map((seed) => createNet(networkSpec(SMALL_RECIPE, prepared, seed), false));
  try {
    await saveAgentModel(dir, nets[0].model, SMALL_RECIPE, prepared, {
      name: 'ens',
      strategy: 'dqn-dnn',
      seed: 1,
      learner: { kind: 'dqn', extraState: {}, bestEpoch: 0, epochs: 0, ensemble: { kind: 'vote', margins: [0, 0, 0] } },
      members: nets.slice(1).map((n) => n.model),
      trainingWindow: { from: '', to: '' },
      market: marketOf(btc),
      dataHash: '',
      metrics: {},
      codeVersion: 'test',
    });
  } finally {
    for (const n of nets) n.dispose();
  }
}

/** An ensemble whose second member's network was saved for a window one candle longer (its files swapped in). */
async function spoiltMemberEnsemble(dir: string): Promise<void> {
  await saveEnsemble(dir);
  const longer = path.join(tmp.dir, `${path.basename(dir)}-longer`);
  await saveAgent(longer, 'seeded', btc, { ...SMALL_RECIPE, window: SMALL_RECIPE.window + 1 });
  copyFileSync(path.join(longer, 'model.json'), path.join(dir, 'member1.model.json'));
  copyFileSync(path.join(longer, 'model.weights.bin'), path.join(dir, 'member1.weights.bin'));
}

type Meta = { models: string[]; scaler: unknown[]; learner: { recipe: { window: number } } };
function editMeta(dir: string, edit: (m: Meta) => void): void {
  const file = path.join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Meta;
  edit(meta);
  writeFileSync(file, JSON.stringify(meta));
}

/** A portfolio model trading BTC/KRW and ETH/KRW and reading XRP/KRW, saved in `dir`. */
const savePortfolio = (dir: string) => savePortfolioModel(dir, pairRecipe(), [btc, eth, xrp], 'upbit');

const refused = (dir: string, re: RegExp) =>
  assert.throws(
    () => checkModelFolder(dir),
    (e: Error) => e instanceof UserError && !e.message.includes('\n') && re.test(e.message),
  );

test('ensemble members and portfolio models are checked without tfjs: each broken one is one line', async () => {
  const ens = path.join(tmp.dir, 'unit', 'ens');
  await saveEnsemble(ens);
  assert.doesNotThrow(() => checkModelFolder(ens));
  const member = path.join(tmp.dir, 'unit', 'member');
  await spoiltMemberEnsemble(member);
  const doesNotFit = "meta\\.json's recipe does not fit the saved network";
  refused(
    member,
    new RegExp(
      `^model .*member: ${doesNotFit}: recipe\\.window \\d+ × \\d+ features gives \\d+ inputs, member1\\.model`,
    ),
  );
  const lacking = path.join(tmp.dir, 'unit', 'lacking');
  await saveEnsemble(lacking);
  editMeta(lacking, (m) => (m.models = m.models.filter((k) => k !== 'member2')));
  refused(lacking, /^model .*lacking: ensemble of 3 lacks member2$/);

  const pf = path.join(tmp.dir, 'unit', 'pf');
  await savePortfolio(pf);
  assert.doesNotThrow(() => checkModelFolder(pf));
  const window = path.join(tmp.dir, 'unit', 'pf-window');
  await savePortfolio(window);
  editMeta(window, (m) => (m.learner.recipe.window += 2));
  refused(
    window,
    new RegExp(
      `^model .*pf-window: ${doesNotFit}: recipe\\.window 4 × \\d+ features × 3 series gives \\d+ inputs, model\\.json`,
    ),
  );
  const scalers = path.join(tmp.dir, 'unit', 'pf-scalers');
  await savePortfolio(scalers);
  editMeta(scalers, (m) => m.scaler.pop());
  refused(scalers, /^model .*pf-scalers: meta\.json scaler must list one scaler state per series it reads \(BTC/);
  const truncated = path.join(tmp.dir, 'unit', 'pf-truncated');
  await savePortfolio(truncated);
  truncateSync(path.join(truncated, 'model.weights.bin'), 10);
  refused(truncated, /^model .*pf-truncated: model\.weights\.bin has 10 bytes, model\.json expects \d+/);
});

test('a paper or live start refuses a broken folder only when no other version of its home can stand in', async () => {
  const plain = path.join(tmp.dir, 'start', 'plain');
  await spoiltMemberEnsemble(plain);
  assert.throws(() => checkModelStart(plain), /member1\.model\.json's network expects/);
  // a home whose CURRENT names a broken version beside a good one: a run that served that one falls back on it
  const home = path.join(tmp.dir, 'start', 'home');
  await saveAgent(home, 'sell', btc);
  const staged = stageVersion(home, 'v2');
  await spoiltMemberEnsemble(staged.dir);
  staged.commit();
  promoteVersion(home, 'v2');
  assert.doesNotThrow(() => checkModelStart(home));
});

test(`bot paper, live, backtest and predict --model refuse a broken ensemble member or portfolio model in one line, \
before any request reaches the exchange or any file is written`, async () => {
  const ens = path.join(tmp.dir, 'models', 'ens');
  await spoiltMemberEnsemble(ens);
  const pf = path.join(tmp.dir, 'models', 'pf');
  await savePortfolio(pf);
  editMeta(pf, (m) => (m.learner.recipe.window += 2));
  const db = path.join(tmp.dir, 'never.db');
  const out = path.join(tmp.dir, 'never-out');
  const member = /^error: model .*ens: meta\.json's recipe does not fit the saved network: .*member1\.model\.json's/;
  const portfolio = /^error: model .*pf: meta\.json's recipe does not fit the saved network: recipe\.window 4 × /;
  const clock = ['--now', isoTime(NOW), '--db', db, '--config', cfg];
  const symbols = ['--symbols', 'BTC/KRW,ETH/KRW'];
  const cases: [string[], RegExp][] = [
    [['paper', '--model', ens, '--once', ...clock], member],
    [['live', '--model', ens, '--once', '--confirm-live', ...clock], member],
    [['paper', '--model', pf, ...symbols, '--once', ...clock], portfolio],
    [['live', '--model', pf, ...symbols, '--once', '--confirm-live', ...clock], portfolio],
    [['backtest', '--model', pf, '--out', out, '--db', db, '--config', cfg], portfolio],
    [['predict', '--model', pf, '--db', db, '--config', cfg], portfolio],
  ];
  for (const [args, said] of cases) {
    const r = await runBot(args, env);
    const lines = r.stderr.trim().split('\n');
    assert.equal(r.code, 1, `${args.slice(0, 3).join(' ')}: ${r.stderr}`);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], said);
    assert.equal(fake.state.requests.length, 0, `${args.slice(0, 3).join(' ')}: no request reached the exchange`);
    assert.ok(!existsSync(db), `${args.slice(0, 3).join(' ')}: no database made`);
    assert.ok(!existsSync(out), `${args.slice(0, 3).join(' ')}: no report folder made`);
  }
});
