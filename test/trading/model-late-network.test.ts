/**
 * A model version whose network cannot decide the run's candles, met first at a tick after ones whose candles were
 * all in its warm-up (the exchange served too few at first), is handled as at a first tick: an existing run falls back
 * on the version it served before, with the give-up stored; a clocked new run ends in one line. And a `--once` whose
 * CURRENT names a version folder deleted by hand falls back the same way. Real SQLite, real tfjs model files.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { recipeWarmup } from '../../src/agents/setup.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { log, setLogger } from '../../src/core/log.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import type { PolicyChoiceResult } from '../../src/trading/rule-policy-source.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { openTradingSession } from '../../src/trading/session.ts';
import { startTraderLoop } from '../../src/trading/loop.ts';
import { Trader } from '../../src/trading/trader.ts';
import { saveAgent, SMALL_RECIPE, spoilNetworkShape } from './agents.ts';
import { momentumSource, quietLogger, seriesFeed, tempDir } from './helpers.ts';
import { ModelRefusedError } from '../../src/core/errors.ts';
import type { PolicyHandle, PolicySource } from '../../src/trading/types.ts';
import { capturingLogger } from '../helpers/log.ts';

const HOUR = 3_600_000;
/** The candles a SMALL_RECIPE version reads before it decides one: the ticks before are all warm-up. */
const WARMUP = recipeWarmup(SMALL_RECIPE);
/** The run starts at candle 2, when the exchange has served three: every candle of its first ticks is warm-up. */
const START = 2;

/** A model home `models/<name>` whose first version ('initial') sells, a store, and a paper trader per process. */
async function lateSetup(name: string) {
  const tmp = tempDir('bot-late-network-');
  const candles = syntheticCandles({ seed: 8, count: 300, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
  const config = loadConfig({
    overrides: {
      data: { database: path.join(tmp.dir, 'bot.db') },
      log: { file: '' },
      trading: { historyCandles: 120 },
    },
  });
  const store = CandleStore.open(config.data.database);
  const home = path.join(tmp.dir, 'models', name);
  await saveAgent(home, 'sell', candles);
  const clock = { now: 0 };
  /** The time of the tick after candle k closes. */
  const after = (k: number) => candles.ts[k] + HOUR + 1000;
  const key = { mode: 'paper' as const, name: 'model', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };
  const trader = (served: PolicyChoiceResult, name = key.name) =>
    new Trader({
      repo: new RunRepository(store.db),
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(served.costs, served.sizing),
      policies: served.source,
      key: { ...key, name },
      balance: config.account.balance,
      historyCandles: config.trading.historyCandles,
      start: candles.ts[START],
      clock: () => clock.now,
      logger: quietLogger(),
    });
  /** A version `version` saved and promoted whose network does not fit its observations. */
  const promoteBroken = async (version: string) => {
    const staged = stageVersion(home, version);
    await saveAgent(staged.dir, 'buy', candles);
    await spoilNetworkShape(staged.dir, candles);
    staged.commit();
    promoteVersion(home, version);
  };
  const lines: string[] = [];
  const previous = log();
  setLogger(capturingLogger(lines));
  const close = () => {
    setLogger(previous);
    store.close();
    tmp.cleanup();
  };
  const repo = new RunRepository(store.db);
  return { tmp, candles, config, home, clock, after, trader, promoteBroken, lines, repo, close };
}

test(`a clocked process whose started version's network cannot decide the run's candles, met first after ticks all \
in its warm-up, falls back on the version the run served before with one line, the give-up stored with the run, as \
at a first tick`, async () => {
  const s = await lateSetup('late');
  try {
    // the run's first process, on 'initial': its tick is all warm-up
    const first = await modelPolicySource(s.home, s.config, () => s.clock.now);
    s.clock.now = s.after(START);
    await s.trader(first).tick();
    first.source.dispose?.();
    await s.promoteBroken('network');
    // the next process starts on 'network': its first tick is all warm-up, its network is met at the second
    const served = await modelPolicySource(s.home, s.config, () => s.clock.now);
    try {
      const trader = s.trader(served);
      s.clock.now = s.after(START + 1);
      await trader.tick();
      s.clock.now = s.after(WARMUP + 5);
      // it used to throw at this tick and at every later one, the run's candles never decided
      await trader.tick();
      s.clock.now = s.after(WARMUP + 6);
      await trader.tick();
    } finally {
      served.source.dispose?.();
    }
    const said = s.lines.filter((l) => l.includes('version network'));
    assert.equal(said.length, 2, s.lines.join(''));
    assert.match(said[1], /tried again in 2h/, 'its 1-hour wait over, tried again at the next tick as at a first');
    assert.match(
      said[0],
      /version network cannot be loaded over the run's candles \(its network cannot decide them: .*\); still serving/,
    );
    const run = s.repo.list()[0];
    const versions = s.repo.decisions(run.id).map((d) => d.modelVersion);
    const expected = ['initial', 'network', ...Array.from({ length: WARMUP + 6 - START - 1 }, () => 'initial')];
    assert.deepEqual(versions, expected, 'the version served before decides from the tick that met the network');
    assert.equal(s.repo.get(run.id).modelRefusal?.version, 'network', 'the give-up is stored with the run');
  } finally {
    s.close();
  }
});

test(`a clocked new run whose version's network cannot decide its candles, met first after ticks all in warm-up, \
ends in one line naming the model folder, as at a first tick (logged and tried again at every tick)`, async () => {
  const s = await lateSetup('late-new');
  try {
    await s.promoteBroken('network');
    const served = await modelPolicySource(s.home, s.config, () => s.clock.now);
    const fns: (() => Promise<void>)[] = [];
    s.clock.now = s.after(START);
    let firstTick!: () => void;
    const firstDone = new Promise<void>((r) => (firstTick = r));
    const loop = startTraderLoop({
      onTick: () => firstTick(),
      onTickError: () => firstTick(),
      trader: s.trader(served),
      expression: '0 0 * * * *',
      logger: quietLogger(),
      handleSignals: false,
      schedule: (_expr, _name, fn) => {
        fns.push(fn);
        return { stop: async () => {}, nextRun: () => null };
      },
    });
    try {
      await firstDone; // the first tick runs at once: all warm-up, it succeeds
      s.clock.now = s.after(WARMUP + 5);
      await Promise.all(fns.map((f) => f()));
      // a loop the tick did not end is stopped here: its reason says which
      const end = await Promise.race([loop.done, loop.stop().then(() => loop.done)]);
      assert.equal(end.reason, 'refused', JSON.stringify(end));
      assert.match(
        end.message ?? '',
        new RegExp(`^model ${s.home}: version network cannot be loaded over the run's candles \\(its network cannot`),
      );
      // a run left with its warm-up decisions: its next start resumed it on the broken version, nothing before it
      assert.equal(s.repo.list().length, 0, 'no run left');
    } finally {
      await loop.stop();
      served.source.dispose?.();
    }
  } finally {
    s.close();
  }
});

test(`--once whose CURRENT names a version folder deleted by hand: an existing run's last served version decides with \
one line, the give-up stored; a new run is refused in one line naming the folder`, async () => {
  const s = await lateSetup('gone');
  try {
    const once = async (k: number, name = 'model') => {
      s.clock.now = s.after(k);
      const session = await openTradingSession({
        config: s.config,
        logger: quietLogger(),
        mode: 'paper',
        name,
        clock: () => s.clock.now,
        start: s.candles.ts[START],
        policy: { model: s.home },
        feed: seriesFeed(s.candles, HOUR),
      });
      try {
        session.trader.checkStart();
        await session.trader.tick();
      } finally {
        session.close();
      }
    };
    await once(WARMUP + 5);
    await s.promoteBroken('network'); // a second version, then CURRENT pointed at a folder that is not there
    writeFileSync(path.join(s.home, 'CURRENT'), 'gone');
    // the start exited 1 when it resolved the model, before any tick: the run's candles went undecided
    await once(WARMUP + 6);
    await once(WARMUP + 7);
    await once(WARMUP + 8);
    const said = s.lines.filter((l) => l.includes('version gone'));
    assert.equal(said.length, 3, s.lines.join(''));
    const givenUp = /version gone cannot be loaded \(.*version gone has no saved model at .*\); still serving initial/;
    for (const line of said.slice(0, 2)) assert.match(line, givenUp);
    assert.match(said[1], /tried again in 2h/, 'its 1-hour wait over, tried again');
    assert.match(said[2], /version gone is skipped, as this run gave it up; still serving initial/);
    const run = s.repo.list()[0];
    const last = s.repo.decisions(run.id).slice(-3);
    assert.deepEqual(
      last.map((d) => d.modelVersion),
      ['initial', 'initial', 'initial'],
    );
    assert.equal(s.repo.get(run.id).modelRefusal?.version, 'gone', 'the give-up is stored with the run');
    await assert.rejects(once(WARMUP + 9, 'new'), (e: Error) =>
      new RegExp(`^--model ${s.home}: version gone has no saved model at ${s.home}`).test(e.message),
    );
    assert.equal(s.repo.list().length, 1, 'no new run left');
  } finally {
    s.close();
  }
});

test(`a tick refused as unserved removes no run that traded, nor one an earlier trader created (warm-up holds \
only): only a run this trader created that never traded`, async () => {
  const s = await lateSetup('kept');
  try {
    const served = await modelPolicySource(s.home, s.config, () => s.clock.now);
    /** A source deciding as momentumSource (`warmup`: candles held first), refusing every tick once `refuse` is set. */
    const sourceOf = (o: { warmup?: number; refuse?: boolean }): PolicySource => ({
      label: 'strategy:momentum-test',
      forCandles(candles) {
        if (o.refuse) throw new ModelRefusedError('model: version broken cannot be loaded', true);
        const handle = momentumSource().forCandles(candles) as PolicyHandle;
        return { ...handle, warmup: o.warmup ?? 0 };
      },
    });
    try {
      s.clock.now = s.after(WARMUP + 60);
      // a run this trader created that traded
      const trading = { refuse: false };
      const traded = s.trader({ ...served, source: sourceOf(trading) }, 'traded');
      await traded.tick();
      const id = s.repo.list().find((r) => r.name === 'traded')?.id ?? -1;
      assert.ok(s.repo.orders(id).length > 0, 'it traded');
      // a run an earlier trader created, warm-up holds only
      await s.trader({ ...served, source: sourceOf({ warmup: 1e9 }) }, 'earlier').tick();
      s.clock.now = s.after(WARMUP + 61);
      trading.refuse = true;
      await assert.rejects(traded.tick(), ModelRefusedError);
      await assert.rejects(s.trader({ ...served, source: sourceOf({ refuse: true }) }, 'earlier').tick());
      const names = s.repo.list().map((r) => r.name);
      assert.deepEqual(names.sort(), ['earlier', 'traded'], 'both kept');
    } finally {
      served.source.dispose?.();
    }
  } finally {
    s.close();
  }
});
