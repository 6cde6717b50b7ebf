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
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { CandleStore } from '../../src/data/store.ts';
import { sliceCandles } from '../../src/core/candles.ts';
import { log, setLogger } from '../../src/core/log.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import type { PolicyChoiceResult } from '../../src/trading/rule-policy-source.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { startTraderLoop } from '../../src/trading/loop.ts';
import { Trader } from '../../src/trading/trader.ts';
import { saveAgent, SMALL_RECIPE, spoilNetworkShape } from './agents.ts';
import { modelRunBasics, paperOnce } from './model-once.ts';
import { momentumSource, quietLogger, seriesFeed, tempDir } from './helpers.ts';
import { ModelRefusedError } from '../../src/core/errors.ts';
import type { PolicyHandle, PolicySource } from '../../src/trading/types.ts';
import { capturingLogger } from '../helpers/log.ts';

const HOUR = 3_600_000;
/** The candles a SMALL_RECIPE version reads before it decides one: the ticks before are all warm-up. */
const WARMUP = recipeWarmup(SMALL_RECIPE);
/** The run starts at candle 2, when the exchange has served three: every candle of its first ticks is warm-up. */
const START = 2;
/** A recipe reading 20 candles more than SMALL_RECIPE: its warm-up goes on past a run SMALL_RECIPE served. */
const LONGER = { ...SMALL_RECIPE, window: SMALL_RECIPE.window + 20 };
const LONGER_WARMUP = recipeWarmup(LONGER);

/** A model home `models/<name>` whose first version ('initial') sells, a store, and a paper trader per process. */
async function lateSetup(name: string) {
  const tmp = tempDir('bot-late-network-');
  const { candles, config } = modelRunBasics(tmp.dir);
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
  /** A version `version` (of `recipe`) saved and promoted whose network does not fit its observations. */
  const promoteBroken = async (version: string, recipe = SMALL_RECIPE) => {
    const staged = stageVersion(home, version);
    await saveAgent(staged.dir, 'buy', candles, recipe);
    await spoilNetworkShape(staged.dir, candles, recipe);
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
  /** One `--once` process of the run `name` after candle k closes. */
  const once = (k: number, name?: string) => {
    clock.now = after(k);
    return paperOnce({ config, home, candles, start: START, now: clock.now, name });
  };
  return { tmp, candles, config, home, clock, after, trader, promoteBroken, lines, repo, once, close };
}

test(`a clocked process whose started version's network cannot decide the run's candles, met first after ticks all \
in its warm-up (a longer one than the run's version's), falls back on the version that served the run before with \
one line, the give-up stored with the run, as at a first tick`, async () => {
  const s = await lateSetup('late');
  try {
    // the run's first process, on 'initial': it decides past its warm-up
    const first = await modelPolicySource(s.home, s.config, () => s.clock.now);
    s.clock.now = s.after(WARMUP + 2);
    await s.trader(first).tick();
    first.source.dispose?.();
    await s.promoteBroken('network', LONGER);
    // the next process starts on 'network': its first tick is all in its warm-up, its network is met at the second
    const served = await modelPolicySource(s.home, s.config, () => s.clock.now);
    try {
      const trader = s.trader(served);
      s.clock.now = s.after(WARMUP + 3);
      await trader.tick();
      s.clock.now = s.after(LONGER_WARMUP + 5);
      // it used to throw at this tick and at every later one, the run's candles never decided
      await trader.tick();
      s.clock.now = s.after(LONGER_WARMUP + 6);
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
    const initial = (n: number) => Array.from({ length: n }, () => 'initial');
    const expected = [...initial(WARMUP + 2 - START + 1), 'network', ...initial(LONGER_WARMUP + 6 - WARMUP - 3)];
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
    const once = s.once;
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

test(`--once: a new run whose first process decided only warm-up candles, its CURRENT's network unable to decide \
them, is still a new run at the next process: refused in one line as unserved, and its row removed`, async () => {
  const s = await lateSetup('once-late');
  try {
    await s.promoteBroken('network'); // 'initial' is saved too: the home holds a version to fall back on
    const once = s.once;
    await once(START); // all warm-up: 'network' is not asked, the run is kept
    assert.equal(s.repo.list().length, 1);
    // it was refused as an existing run whose last version cannot serve, at every later process, its row kept
    for (const k of [WARMUP + 5, WARMUP + 6])
      await assert.rejects(
        once(k),
        (e: Error) =>
          e instanceof ModelRefusedError &&
          e.unserved &&
          new RegExp(`^model ${s.home}: version network cannot be loaded over the run's candles`).test(e.message),
      );
    assert.equal(s.repo.list().length, 0, 'no run left');
  } finally {
    s.close();
  }
});

test(`--once: a new run whose first process decided only warm-up candles, its CURRENT then naming a version that \
cannot even be loaded (a folder deleted by hand), is still a new run at the next process: refused in one line as \
unserved, and its row removed (it was refused as an existing run, its row kept)`, async () => {
  const s = await lateSetup('once-gone');
  try {
    await s.once(START); // all warm-up: no version served the run
    assert.equal(s.repo.list()[0].modelVersion, undefined);
    writeFileSync(path.join(s.home, 'CURRENT'), 'gone'); // 'initial' is still saved: the start does not refuse
    await assert.rejects(
      s.once(WARMUP + 5),
      (e: Error) =>
        e instanceof ModelRefusedError &&
        e.unserved &&
        new RegExp(`^model ${s.home}: version gone cannot be loaded \\(--model .*no saved model at `).test(e.message),
    );
    assert.equal(s.repo.list().length, 0, 'no run left');
    // the next process starts a new run: refused at its start, in one line naming the folder
    await assert.rejects(s.once(WARMUP + 6), (e: Error) =>
      /^--model \S+: version gone has no saved model at /.test(e.message),
    );
    assert.equal(s.repo.list().length, 0);
  } finally {
    s.close();
  }
});

test(`a version that decided the run's candles, handed fewer candles than its warm-up and window at a later tick \
(the exchange served fewer), is refused in one line naming it (ModelRefusedError, not unserved), as a portfolio's \
version is, in the process that served it and in a later one (it held them as its warm-up in the middle of the \
run)`, async () => {
  const s = await lateSetup('few');
  const isTooFew = (e: Error) =>
    e instanceof ModelRefusedError &&
    !e.unserved &&
    new RegExp(
      `^model ${s.home}: version initial cannot be loaded over the run's candles \\(10 candles, fewer than its ` +
        `features' warm-up and window need: ${WARMUP + 1}\\)$`,
    ).test(e.message);
  const few = sliceCandles(s.candles, WARMUP + 20, WARMUP + 30);
  try {
    const served = await modelPolicySource(s.home, s.config, () => s.clock.now);
    try {
      // past its warm-up: it decides, its network asked
      const decided = await served.source.forCandles(sliceCandles(s.candles, 0, WARMUP + 20));
      assert.equal(decided.version, 'initial');
      assert.equal(decided.warmup, WARMUP);
      await assert.rejects(async () => served.source.forCandles(few, 'initial'), isTooFew);
    } finally {
      served.source.dispose?.();
    }
    // a later process of the run 'initial' served
    const later = await modelPolicySource(s.home, s.config, () => s.clock.now);
    try {
      await assert.rejects(async () => later.source.forCandles(few, 'initial'), isTooFew);
      // a new run's version holds them as its warm-up (the exchange served too few at first)
      const fresh = await modelPolicySource(s.home, s.config, () => s.clock.now);
      try {
        const held = await fresh.source.forCandles(few);
        assert.ok(held.warmup >= few.ts.length, 'all warm-up');
      } finally {
        fresh.source.dispose?.();
      }
    } finally {
      later.source.dispose?.();
    }
  } finally {
    s.close();
  }
});

test(`a tick refused as unserved removes no run that traded, nor one an earlier trader created that a version \
served (holds past its warm-up); it removes a run no version served (warm-up holds only), whichever trader created \
it`, async () => {
  const s = await lateSetup('kept');
  try {
    const served = await modelPolicySource(s.home, s.config, () => s.clock.now);
    /**
     * A source deciding as momentumSource (`warmup`: candles held first; `holds`: version v1, holding past it),
     * refusing every tick once `refuse` is set.
     */
    const sourceOf = (o: { warmup?: number; holds?: boolean; refuse?: boolean }): PolicySource => ({
      label: 'strategy:momentum-test',
      forCandles(candles) {
        if (o.refuse) throw new ModelRefusedError('model: version broken cannot be loaded', true);
        const handle = momentumSource().forCandles(candles) as PolicyHandle;
        const policy = { name: 'hold-test', decide: () => ({ action: 'hold' as const, confidence: 0 }) };
        return { ...handle, warmup: o.warmup ?? 0, ...(o.holds ? { version: 'v1', policy } : {}) };
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
      // runs an earlier trader created: one a version served (holds only), one of warm-up holds only
      await s.trader({ ...served, source: sourceOf({ warmup: WARMUP, holds: true }) }, 'held').tick();
      await s.trader({ ...served, source: sourceOf({ warmup: 1e9 }) }, 'earlier').tick();
      s.clock.now = s.after(WARMUP + 61);
      trading.refuse = true;
      await assert.rejects(traded.tick(), ModelRefusedError);
      await assert.rejects(s.trader({ ...served, source: sourceOf({ refuse: true }) }, 'held').tick());
      // a `--once` whose first process only warmed up: no version served it, it is a new run refused
      await assert.rejects(s.trader({ ...served, source: sourceOf({ refuse: true }) }, 'earlier').tick());
      const names = s.repo.list().map((r) => r.name);
      assert.deepEqual(names.sort(), ['held', 'traded'], 'both kept, the warm-up one removed');
    } finally {
      served.source.dispose?.();
    }
  } finally {
    s.close();
  }
});
