/** A trading session: the policy chosen (rule or saved model), the database, the run's lock and the trader. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Exchange } from 'ccxt';
import { CandleStore } from '../data/store.ts';
import { retryOptionsFrom } from '../data/exchange.ts';
import { portfolioModelSymbols } from '../agents/portfolio-model-symbols.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { loadStrategy, ruleSizing, trainingFlags } from '../agents/strategy.ts';
import type { TradingSettings } from './config.ts';
import { exchangeFeed } from './feed.ts';
import { acquireLock, runLockName, type Lock } from './lock.ts';
import { accountKey, accountLockFile, lockLiveAccount } from './account-lock.ts';
import { accountClaimant, claimedAccountError } from './account-claims.ts';
import { credentialsFromEnv } from '../core/secrets.ts';
import { pointedModel } from '../agents/model-pointer.ts';
import { savedModelCosts } from '../agents/model-costs.ts';
import { checkBalance, runCosts, type CostsFrom } from '../market/costs.ts';
import { PaperMarket } from './paper-market.ts';
import { rulePolicySource, type PolicyChoiceResult } from './rule-policy-source.ts';
import { RunRepository, runStored, storedRun } from './run-repository.ts';
import { runSettings } from './run-settings.ts';
import { endedRunError } from './end-run.ts';
import { Trader, type RunTrader } from './trader.ts';
import { LiveTrader } from './live.ts';
import { checkExchangeClock, checkOrderCap } from './live-start.ts';
import type { CandleFeed, RunKey, RunState, TradingMode } from './types.ts';
import { runKey } from './run-key.ts';
import { checkStoredSeries, runExchange, storedFeed } from './run-exchange.ts';
import { withExchangeFeeSide } from './exchange-fee-side.ts';
import { eitherNotBoth } from '../core/flag-conflicts.ts';

interface PolicyChoice {
  strategy?: string;
  model?: string;
  seed?: number;
}

/**
 * `--strategy <rule>` or `--model <folder>` (default: the config's backtest strategy) as a policy source and its
 * sizing; `clock`: the trader's, which times the retries of a model version given up on.
 */
async function resolvePolicy(
  config: TradingSettings,
  choice: PolicyChoice,
  clock: () => number,
): Promise<PolicyChoiceResult> {
  const seed = choice.seed ?? config.backtest.seed;
  if (choice.model) {
    // the model code, and TensorFlow.js with it, loads for model runs only: a rule strategy's run does not pay for it
    const { modelPolicySource } = await import('./model-policy-source.ts');
    // a CURRENT naming a deleted folder is the source's to handle: an existing run falls back on its last version
    const traded = portfolioModelSymbols(pointedModel(choice.model).dir);
    if (traded)
      throw new UserError(
        `--model ${choice.model} is a portfolio model trading ${traded.join(',')}: give --symbols ${traded.join(',')}`,
      );
    return modelPolicySource(choice.model, config, clock);
  }
  const name = choice.strategy ?? config.backtest.strategy;
  const strategy = await loadStrategy(name);
  if (strategy.kind !== 'rule') {
    // bot backtest trains and saves the model (downloading candles when none are stored); bot retrain needs a stored
    // history and a champion to beat, so it is not the first step
    const train = trainingFlags(name, strategy.name);
    const home = path.join(config.agent.modelsDir, train.home);
    throw new UserError(
      `strategy "${name}" is a learning agent: train and save a model of it first ` +
        `(bot backtest ${train.flags} writes ${home}), then trade it with --model ${home}`,
    );
  }
  return {
    source: rulePolicySource(strategy, seed),
    sizing: ruleSizing(config.backtest),
    ...runCosts('config', config.account),
  };
}

/** What a paper or live command asks of its run, one market or a portfolio alike (open-run.ts passes it on). */
export interface RunStartOptions {
  config: TradingSettings;
  logger: Logger;
  mode: TradingMode;
  name: string;
  /** `--balance` was given: resuming a run that started with another balance is refused, not ignored. */
  balanceGiven?: boolean;
  start?: number;
  clock: () => number;
  /** Forget an existing run of this key first. */
  reset?: boolean;
  /** Clear a halted run's kill-switch reason (live). */
  clearHalt?: boolean;
  /** Let this live run trade an exchange account another live run trades (src/trading/account-lock.ts). */
  sharedAccount?: boolean;
  /** A paper replay on a fixed clock (--now): the stored candles when the exchange cannot be reached or answer. */
  replay?: boolean;
  /** What `clock` is in the clock checks' lines ('--now' or this machine's clock), src/trading/live-start.ts. */
  clockFrom?: string;
  /** Live: the flag or config key that set trading.live.maxOrderValue, for the cap check's line. */
  maxOrderFrom?: string;
  /**
   * Called once the start's bad input is checked (flags, config, the policy loaded), before the exchange's clock is
   * checked or the database opened: from there an error ends a run, which the CLI logs to the file (markRunUnderWay).
   */
  inputChecked?: () => void;
}

interface TradingSessionOptions extends RunStartOptions {
  policy: PolicyChoice;
  /** Candle source; default: the configured ccxt exchange. */
  feed?: CandleFeed;
}

export interface TradingSession {
  store: CandleStore;
  repo: RunRepository;
  trader: RunTrader;
  lock: Lock;
  key: RunKey;
  close(): void;
}

interface SessionBase {
  config: TradingSettings;
  logger: Logger;
  key: RunKey;
  clock: () => number;
  /** Forget an existing run of this key first. */
  reset?: boolean;
  /** Clear a halted run's kill-switch reason (live). */
  clearHalt?: boolean;
  /** Let this live run trade an exchange account another live run trades (src/trading/account-lock.ts). */
  sharedAccount?: boolean;
  /** What a new run's balance (live: its cap) is checked against: a resumed run trades its stored account. */
  newRunCosts: CostsFrom | readonly CostsFrom[];
  /** The series a run on a stored-only origin replays from the store (run-exchange.ts): each must hold candles. */
  replays?: readonly string[];
}

/**
 * Opens the database, takes the run's lock, applies --reset / --clear-halt and builds the trader with `build` (one
 * market or a portfolio). The session's close releases all of it and the policy source; so does a failure here.
 */
export function openSession(
  o: SessionBase,
  source: { checkNewRun?(): void; dispose?(): void },
  build: (store: CandleStore, repo: RunRepository) => RunTrader,
): TradingSession {
  const { config, key } = o;
  // a new run's balance below the minimum order would only be refused orders: one line, and before a database file
  // is made; not on a resumed run, which trades its stored account, not account.balance
  const checkNewRun = () => checkBalance(config.account, o.newRunCosts, balanceLabel(key.mode));
  checkRunInNewFile(config, o.newRunCosts, key.mode);
  const apiKey = key.mode === 'live' ? credentialsFromEnv(key.exchange)?.apiKey : undefined;
  // a state folder that cannot hold the account lock is one line before a database file is made
  if (apiKey && !o.sharedAccount) accountLockFile();
  const store = CandleStore.open(config.data.database);
  let lock: Lock | undefined;
  let accountLock: Lock | undefined;
  try {
    // before the lock, --reset or a new run: a replay of nothing would only leave a run behind
    if (o.replays) checkStoredSeries(store, config.exchange.id, o.replays, config.timeframe);
    // a live run commits an order as `submitting` before it goes out (live.ts): that commit must outlast a power cut,
    // or the restarted run knows nothing of an order the exchange has. The store's WAL with synchronous=NORMAL may
    // lose the last commits to a power cut (sqlite.org/pragma.html#pragma_synchronous); FULL syncs the WAL at each one.
    if (key.mode === 'live') store.db.pragma('synchronous = FULL');
    const apiUrls = (config.exchange.ccxt as { urls?: unknown } | undefined)?.urls;
    const account = apiKey ? accountKey(key.exchange, apiUrls, apiKey) : undefined;
    const repo = new RunRepository(store.db, { accountKey: account });
    const runName = runLockName(key);
    lock = acquireLock(store.db, runName, config.trading.lockStaleSeconds * 1000);
    const existing = repo.find(key);
    // first: an ended run never trades again, whoever else claims its account now
    if (existing?.endedAt !== undefined && !o.reset) throw endedRunError(existing);
    if (apiKey && account && !o.sharedAccount) {
      accountLock = lockLiveAccount(
        { exchange: key.exchange, apiUrls, apiKey, run: runName, dbFile: config.data.database },
        config.trading.lockStaleSeconds * 1000,
      );
      // a run that is not running still holds its cash and position (account-claims.ts)
      const claimant = accountClaimant(store.db, account, key);
      if (claimant) throw claimedAccountError(key.exchange, claimant, path.resolve(config.data.database));
    } else if (key.mode === 'live' && o.sharedAccount) {
      o.logger.warn(
        '--allow-shared-account: other live runs may trade this account; each counts its own cash and loss',
      );
    }
    // before --reset removes the run; the policy's refusal as checkNewRunPolicy's, for a file it could not read
    if (!existing || o.reset) {
      checkNewRun();
      source.checkNewRun?.();
    }
    if (o.reset && existing) {
      repo.remove(existing.id);
      o.logger.warn(`--reset: removed the ${key.mode} run "${key.name}" (${existing.policy})`);
    } else if (o.clearHalt && existing?.halted) {
      o.logger.warn(`--clear-halt: trading resumes after "${existing.halted}"`);
      repo.saveState({ ...existing, halted: undefined });
    }
    if (account) repo.claimAccount(key, account);
    const trader = build(store, repo);
    // a stored run that cannot trade this way is one line before any tick (a clocked loop retried it forever)
    trader.checkStart();
    const held = lock;
    const heldAccount = accountLock;
    return {
      store,
      repo,
      trader,
      lock: held,
      key,
      close() {
        // a live run created by this start that never decided (its start failed: the exchange did not answer, …)
        // has traded nothing: it leaves no run behind, nor the claim on the account its row holds
        if (key.mode === 'live') trader.forgetUnstarted();
        source.dispose?.();
        heldAccount?.release();
        held.release();
        store.close();
      },
    };
  } catch (e) {
    source.dispose?.();
    accountLock?.release();
    lock?.release();
    store.close();
    throw e;
  }
}

/**
 * What every trader (one market or a portfolio, paper or live) takes from the config and the session's options, so a
 * trading setting reaches both kinds of run or neither; `exchange`: the one its candles come from, whose clock every
 * tick's clock check reads (src/trading/live-start.ts).
 */
export function traderSettings(
  o: {
    config: TradingSettings;
    start?: number;
    balanceGiven?: boolean;
    clock: () => number;
    clockFrom?: string;
    logger: Logger;
    replay?: boolean;
  },
  exchange: Exchange | undefined,
) {
  const { trading, account } = o.config;
  return {
    exchange,
    retry: retryOptionsFrom(o.config),
    clockFrom: o.clockFrom,
    balance: account.balance,
    balanceGiven: o.balanceGiven,
    historyCandles: trading.historyCandles,
    lateCandleWaitMs: trading.lateCandleWaitSeconds * 1000,
    start: o.start,
    clock: o.clock,
    logger: o.logger,
    replay: o.replay,
  };
}

/** What a live trader (one market or a portfolio) takes besides a paper trader's settings (traderSettings). */
export function liveTraderSettings(o: Pick<RunStartOptions, 'config'>) {
  return { caps: o.config.trading.live };
}

const CAP_KEY = 'trading.live.maxOrderValue';

/** The balance check of a run in a database file not made yet (a new run, so no stored account it would trade). */
function checkRunInNewFile(config: TradingSettings, costs: CostsFrom | readonly CostsFrom[], mode: TradingMode) {
  if (!existsSync(path.resolve(config.data.database))) checkBalance(config.account, costs, balanceLabel(mode));
}

/**
 * The cost preset a policy choice trades under ('config': the account's), read without loading a network: a saved
 * model's from its meta.json (savedModelCosts), so its minimum order is known before TensorFlow starts.
 */
export function choiceCostsName(choice: { strategy?: string; model?: string }): string {
  eitherNotBoth(['--strategy NAME', choice.strategy], ['--model DIR', choice.model]);
  return choice.model ? savedModelCosts(pointedModel(choice.model).dir) : 'config';
}

/**
 * The start's checks of bad input against the costs it will trade with (`costs`, from choiceCostsName): a live
 * run's order cap (src/trading/live-start.ts), then a new run's balance. Before the policy is loaded (a model's
 * network in TensorFlow), the database opened or the exchange asked.
 */
export function startInputChecks(o: RunStartOptions, costs: CostsFrom | readonly CostsFrom[]): void {
  if (o.mode === 'live') checkOrderCap(o.config.trading.live.maxOrderValue, costs, o.maxOrderFrom ?? CAP_KEY);
  checkRunInNewFile(o.config, costs, o.mode);
}

/**
 * The policy's refusal of a new run (PolicySource.checkNewRun: a saved model whose CURRENT cannot be loaded), when the
 * start is one (no run under `key` in the database, read without writing, or `--reset`): bad input, before the
 * database is opened or made and the exchange asked; the policy source is disposed when it fails. A database that
 * cannot be read so is checked once opened (openSession).
 */
export function checkNewRunPolicy(
  o: Pick<RunStartOptions, 'config' | 'reset'>,
  key: RunKey,
  source: { checkNewRun?(): void; dispose?(): void },
): void {
  if (!o.reset && runStored(path.resolve(o.config.data.database), key) !== false) return;
  try {
    source.checkNewRun?.();
  } catch (e) {
    source.dispose?.();
    throw e;
  }
}

/**
 * A live start's check of the clock against the exchange's (src/trading/live-start.ts), after the policy is loaded
 * and before the run is opened; the policy source is disposed when it fails. Nothing for a paper run.
 */
export async function liveStartChecks(
  o: RunStartOptions,
  exchange: Exchange | undefined,
  source: { dispose?(): void },
): Promise<void> {
  // (no exchange: a paper replay of a stored-only origin, run-exchange.ts)
  if (o.mode !== 'live' || !exchange) return;
  try {
    await checkExchangeClock(exchange, retryOptionsFrom(o.config), o.clock, o.clockFrom ?? "this machine's clock");
  } catch (e) {
    source.dispose?.();
    throw e;
  }
}

/** What account.balance is to a run of `mode`, in the minimum-order check: live trades at most that much. */
const balanceLabel = (mode: TradingMode): string => (mode === 'live' ? 'balance cap' : 'balance');

/**
 * The configured exchange's candles of `symbol`, retried as configured, settled for trading.tickDelaySeconds; with no
 * exchange (a stored-only origin, run-exchange.ts) the store's candles, fetching nothing.
 */
export function configFeed(
  exchange: Exchange | undefined,
  config: TradingSettings,
  symbol: string,
  clock: () => number,
): CandleFeed {
  if (!exchange) return storedFeed;
  const settleMs = config.trading.tickDelaySeconds * 1000;
  return exchangeFeed(exchange, symbol, config.timeframe, retryOptionsFrom(config), clock, settleMs);
}

/** The policy, the database, the run's lock and the one-market trader. The caller closes the session. */
export async function openTradingSession(o: TradingSessionOptions): Promise<TradingSession> {
  const { config } = o;
  const key = runKey(config, o.mode, o.name);
  // a rule's --seed is the run's (run-settings.ts): checked against the stored run before the policy loads
  const settingsOf = (stored: RunState | undefined) =>
    runSettings(key, { seed: o.policy.seed }, o.policy.model ? {} : { seed: config.backtest.seed }, stored);
  const settings = settingsOf(o.reset ? undefined : storedRun(path.resolve(config.data.database), key));
  // the run's own inputs first (a live order cap, a new run's balance): the exchange client loads ccxt, hundreds of
  // modules; an unknown exchange.id is still one line before the database is opened (made) and the policy loaded
  startInputChecks(o, runCosts(choiceCostsName(o.policy), config.account));
  const exchange = runExchange(config, o.mode);
  const policy = { ...o.policy, seed: settings.seed };
  // the costs' fee side: the exchange's market's, unless account.feeSide names one (exchange-fee-side.ts)
  const priced = withExchangeFeeSide(config, exchange, [key.symbol]);
  const { source, sizing, costs, minimumFrom, defaults } = await resolvePolicy(priced, policy, o.clock);
  checkNewRunPolicy(o, key, source);
  o.inputChecked?.();
  await liveStartChecks(o, exchange, source);
  const replays = exchange || o.feed ? undefined : [key.symbol];
  const newRunCosts = { costs, minimumFrom, defaults };
  return openSession({ ...o, config: priced, key, newRunCosts, replays }, source, (store, repo) => {
    // the same check on the opened file (the read before could not read it: a run stored since is refused here)
    settingsOf(repo.find(key));
    const traderOptions = {
      repo,
      store,
      feed: o.feed ?? configFeed(exchange, config, key.symbol, o.clock),
      market: new PaperMarket(costs, sizing),
      policies: source,
      key,
      settings,
      ...traderSettings(o, exchange),
    };
    return o.mode === 'live' && exchange
      ? new LiveTrader({ ...traderOptions, exchange, ...liveTraderSettings(o) })
      : new Trader(traderOptions);
  });
}
