/** The trader: each tick acts on every closed candle not yet acted on, one SQLite transaction per candle. */
import type { CandleStore } from '../data/store.ts';
import { firstAtOrAfter, type Candles } from '../core/candles.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import type { Decision } from '../core/policy.ts';
import { RunHolder, type NewRunKind, type RunHolderOptions } from './run-holder.ts';
import { orderSide, type PaperMarket } from './paper-market.ts';
import { catchUp } from './catch-up.ts';
import { backfillSince } from './backfill.ts';
import { waitForLateCandles } from './late-candle.ts';
import { applyCommands, pendingExits, takeExits, type AskedBy } from './commands.ts';
import { SELL, type Order } from '../market/execution.ts';
import type { CandleFeed, PolicyHandle, PolicySource, RunState } from './types.ts';
import { MANUAL_EXIT, servedVersion, WARM_UP } from './served-version.ts';

export interface TraderOptions extends RunHolderOptions {
  store: CandleStore;
  feed: CandleFeed;
  market: PaperMarket;
  policies: PolicySource;
  /**
   * How long a tick looks again for the candle that should have closed when the exchange has not published it yet
   * (trading.lateCandleWaitSeconds, in ms; at most half the timeframe); 0 or absent: not at all, the next tick acts on
   * it.
   */
  lateCandleWaitMs?: number;
}

interface TickOptions {
  /** Asked between candles of a long catch-up (and the event loop let in): true stops after the candle done. */
  shouldStop?: () => boolean;
}

export interface TickReport {
  /** Closed candles the exchange returned this tick. */
  fetched: number;
  /** Candles acted on this tick (more than one after downtime). */
  acted: number;
  /** The catch-up stopped early on request; the next tick (or start) carries on from the last candle acted on. */
  interrupted?: boolean;
  /** The run is paused from the dashboard: candles that closed were passed over without a decision. */
  paused?: boolean;
  /** Newest candle acted on so far. */
  lastTs?: number;
  /** Open time of the newest closed candle in the store (the loop's ticks follow the market's candle grid). */
  newestOpen?: number;
  decisions: { ts: number; action: string; confidence: number }[];
}

/** What the loop, the session and `bot status` need of a trader: single-market or portfolio, paper or live. */
export interface RunTrader {
  tick(opts?: TickOptions): Promise<TickReport>;
  /** The run's persisted state (loaded or created on the first tick). */
  state(): RunState | undefined;
  /** Refuses what the stored run cannot do whatever a tick tries (RunRefusedError), before the first tick. */
  checkStart(): void;
  /** Removes the run this trader created if it decided nothing (run-holder.ts). */
  forgetUnstarted(): void;
}

/**
 * When the tick for the next candle close fires: on the grid of `candleTs` (a candle of the market, e.g. the last one
 * acted on: hourly candles at 09:30 close at :30, and the loop ticks there), else on the UTC grid.
 */
export function nextTickTime(now: number, timeframe: string, delaySeconds: number, candleTs = 0): number {
  const tf = timeframeMs(timeframe);
  const next = candleTs + Math.floor((now - candleTs) / tf) * tf + delaySeconds * 1000;
  return next > now ? next : next + tf;
}

/**
 * The trader: each tick pulls the newest closed candles into the store, then acts on every closed candle it has not
 * acted on yet, oldest first, one SQLite transaction per candle (fill of the previous decision at this candle's open,
 * the decision at this candle's close, the new pending order, the equity snapshot and the account together).
 * A candle's decision row is the idempotency key: a restart resumes after the last committed candle.
 */
export class Trader extends RunHolder<TraderOptions> {
  /** A single-market run resumes whatever kind of run is stored under its key, if it trades the same policy. */
  protected isOwnKind(): boolean {
    return true;
  }

  protected newRunKind(): NewRunKind {
    return { noun: 'run', markets: { symbol: this.o.key.symbol }, account: this.o.market.open(this.o.balance) };
  }

  /**
   * Pulls missing closed candles into the store, from the oldest the next decisions read that it lacks (backfill.ts);
   * exchange errors propagate after the feed's own retries. When the candle that should have closed is not published
   * yet, looks again for up to `lateCandleWaitMs` (late-candle.ts), so its decision is made in this tick.
   */
  protected async backfill(run: RunState, closedOpen: number, shouldStop?: () => boolean): Promise<number> {
    const fetched = await this.fetchMissing(run, closedOpen);
    if (run.paused) return fetched;
    const { store, key, logger } = this.o;
    return (
      fetched +
      (await waitForLateCandles({
        store,
        series: [key],
        closedOpen,
        stepMs: this.tfMs,
        notBefore: run.startTs,
        waitMs: this.o.lateCandleWaitMs ?? 0,
        fetch: (_missing, deadline) => this.fetchMissing(run, closedOpen, deadline),
        shouldStop,
        logger,
        atBound: 'the next tick acts on it',
      }))
    );
  }

  /**
   * One fetch of the closed candles the store lacks, from the oldest the next decisions read (backfill.ts); a late
   * candle's look gives its `deadline` for the feed's own wait.
   */
  private async fetchMissing(run: RunState, closedOpen: number, deadline?: number): Promise<number> {
    const { store, key, feed } = this.o;
    const since = backfillSince(store, key, this.historyNeededFrom(store, key.symbol, run), this.tfMs);
    if (since > closedOpen) return 0;
    return this.fetchOrStored(store, key.symbol, closedOpen, async () => {
      const rows = await feed.fetchClosed(since, closedOpen + this.tfMs, deadline);
      const stored = this.storeFetched(store, key.symbol, rows);
      return stored + (await this.fetchEarlier(store, run, { symbol: key.symbol, feed }, deadline));
    });
  }

  /**
   * Applies the control commands asked since the last tick (src/trading/commands.ts) in one transaction with the
   * run state they change.
   */
  protected applyControl(by?: AskedBy): void {
    const { repo, clock, logger } = this.o;
    const run = this.run as RunState;
    repo.db
      .transaction(() => {
        const { run: next, applied } = applyCommands(repo, run, clock(), by);
        if (applied.length === 0) return;
        repo.saveState(next);
        this.run = next;
        for (const c of applied) logger.warn(`control: ${c.kind} by ${c.requestedBy} ${c.status} (${c.note})`);
      })
      .immediate();
  }

  /** While paused (live): the candles that closed are passed over (no decision, no order); a resume trades on. */
  protected passWhilePaused(closedOpen: number, report: TickReport): TickReport {
    const { store, key } = this.o;
    const newest = store.lastTs(key.exchange, key.symbol, key.timeframe);
    if (newest !== undefined) this.passOver(Math.min(newest, closedOpen));
    report.paused = true;
    report.lastTs = this.run?.lastTs;
    return report;
  }

  async tick(opts: TickOptions = {}): Promise<TickReport> {
    return this.runTick(() => this.leavingNoEmptyRun(() => this.step(opts)));
  }

  private async step(opts: TickOptions): Promise<TickReport> {
    const now = this.o.clock();
    // the version a model source serves this tick decides how much history the tick backfills and loads
    await this.o.policies.follow?.(this.state());
    this.run ??= this.openRun(now);
    const { closedOpen, fetched } = await this.controlAndBackfill(now, opts.shouldStop);
    const report: TickReport = { fetched, acted: 0, decisions: [], lastTs: this.run.lastTs };
    // a clock gone back before the last decided candle: no candle is new, and one line says why, as a live tick's
    if (await this.clockWentBack(closedOpen)) return report;
    const { store, key, repo } = this.o;
    const first = this.run.lastTs !== undefined ? this.run.lastTs + 1 : this.run.startTs;
    const loadFrom = this.tickLoadFrom(store, key.symbol, this.run, first);
    const candles = store.load(key.exchange, key.symbol, key.timeframe, loadFrom, closedOpen + 1);
    report.newestOpen = candles.ts.at(-1);
    const n = candles.ts.length;
    // one handle per version serving: a version promoted meanwhile takes over after the candles it saw (its `until`);
    // a command asked meanwhile applies from the first candle closing at or after it was asked (controlAt)
    let handle: { at: PolicyHandle; end: number } | undefined;
    for (let at = firstAtOrAfter(candles.ts, first); at < n && !report.interrupted;) {
      const close = candles.ts[at] + this.tfMs;
      const asked = this.controlAt(close, now);
      const next = asked === undefined ? n : firstAtOrAfter(candles.ts, asked - this.tfMs);
      const end = Math.max(next, at + 1);
      if (this.run.paused) {
        this.passOver(candles.ts[end - 1]);
        report.paused = true;
        // a policy built anew after the candles passed over, told where the last trade was (resumePolicy)
        handle = undefined;
        at = end;
        continue;
      }
      if (!handle || at >= handle.end) {
        const h = await this.handleFrom(candles, at);
        handle = { at: h, end: Math.max(h.until === undefined ? n : firstAtOrAfter(candles.ts, h.until), at + 1) };
      }
      const [start, serving] = [at, handle.at];
      const exits = pendingExits(repo, this.run.id, { close, now });
      await catchUp(Math.min(end, handle.end) - at, report, opts.shouldStop, (i) => {
        const d = this.act(candles, start + i, serving, i === 0 ? exits : []);
        return { ts: candles.ts[start + i], action: d.action, confidence: d.confidence };
      });
      at = Math.min(end, handle.end);
    }
    // the commands asked after the newest candle's close: a pause or a halt holds from the next candle on
    if (!report.interrupted) this.controlAt(undefined, now);
    if (this.run.paused) report.paused = true;
    report.lastTs = this.run.lastTs;
    return report;
  }

  /** The policy deciding `candles` from index `at` on (PolicySource.forCandles), told where the last trade was. */
  private async handleFrom(candles: Candles, at: number): Promise<PolicyHandle> {
    const run = this.run as RunState;
    const handle = await this.o.policies.forCandles(candles, run.modelVersion, run.modelRefusal, candles.ts[at]);
    if (handle.version !== run.modelVersion && run.modelVersion !== undefined) {
      this.o.logger.info('serving a new model version', { from: run.modelVersion, to: handle.version });
    }
    this.resumePolicy(handle, candles);
    return handle;
  }

  /**
   * Tells the tick's policy where the run's last trade was (Policy.resume), in the tick's candles: a policy built by
   * this process (a restart, a cron'd `--once`, a newly served version) would otherwise not know it, and a decision
   * rule's minHold let the first switch through. The order behind the last fill was decided at a stored candle and
   * filled in the next one (paper: at its open; live: during it), where a policy that saw it happen counts it from.
   */
  protected resumePolicy(handle: PolicyHandle, candles: Candles): void {
    const run = this.run as RunState;
    const policy = handle.policy;
    if (!policy.resume || candles.ts.length === 0) return;
    const decided = this.o.repo.lastFillDecisionTs(run.id);
    if (decided === undefined) return;
    const { store, key } = this.o;
    const first = candles.ts[0];
    // a decision before the loaded candles: as many stored candles before them as lie from it to the first
    const at =
      decided >= first
        ? firstAtOrAfter(candles.ts, decided)
        : -store.countIn(key.exchange, key.symbol, key.timeframe, decided, first);
    policy.resume({ t: at + 1, fills: run.account.buys + run.account.sells });
  }

  /**
   * One candle, one transaction. `exits`: exit commands to honour at this candle: the decision becomes a sell of the
   * whole position at this close, filled at the next open like any order.
   */
  private act(candles: Candles, t: number, handle: PolicyHandle, exits: readonly number[]): Decision {
    const { repo, clock } = this.o;
    const market = this.o.market.at(handle.costs);
    const run = this.run as RunState;
    const ts = candles.ts[t];
    const close = candles.close[t];
    const next: RunState = { ...run };
    const commit = repo.db.transaction(() => {
      const account = market.restore(run.account);
      if (run.pending) {
        const p = run.pending;
        const res = market.execute(account, p.order, candles.open[t]);
        if (res.fill) {
          repo.insertFill(run.id, p.orderId, ts, res.fill);
          repo.updateOrder(p.orderId, 'filled', { quantity: res.fill.units });
        } else {
          repo.updateOrder(p.orderId, 'skipped', { reason: res.skipped });
        }
        next.pending = undefined;
      }
      next.startPrice ??= close;
      let decision: Decision;
      let policyName: string;
      let order: Order | undefined;
      if (exits.length > 0) {
        decision = { action: 'sell', confidence: 1 };
        policyName = MANUAL_EXIT;
        order = account.units > 0 ? { side: SELL, spend: 0, units: account.units } : undefined;
        const note = order ? `sell ${account.units} at the open after ${isoTime(ts)}` : 'no position to exit';
        takeExits(repo, exits, note, clock());
      } else if (t < handle.warmup) {
        decision = { action: 'hold', confidence: 0 };
        policyName = WARM_UP;
      } else {
        decision = handle.policy.decide(handle.observe(t, account));
        policyName = handle.policy.name;
      }
      const decidedAt = clock();
      repo.insertDecision(run.id, ts, decision, close, policyName, handle.version, decidedAt);
      if (policyName !== MANUAL_EXIT) order = market.plan(account, decision, close, handle.sizing);
      if (order) {
        const side = orderSide(order);
        const refused = market.refuseEmpty(account, order);
        const quantity = side === 'buy' ? order.spend : order.units;
        const orderId = repo.insertOrder(run.id, ts, side, quantity, refused ? 'skipped' : 'pending', decidedAt);
        if (refused) repo.updateOrder(orderId, 'skipped', { reason: refused });
        else next.pending = { orderId, decisionTs: ts, order };
      }
      repo.insertEquity(run.id, {
        ts,
        cash: account.cash,
        units: account.units,
        price: close,
        equity: account.value(close),
      });
      next.account = account.snapshot();
      next.lastTs = ts;
      next.modelVersion = servedVersion(policyName, handle.version, run.modelVersion);
      next.modelRefusal = handle.refusal;
      repo.saveState(next);
      return decision;
    });
    const decision = commit.immediate();
    this.run = next;
    return decision;
  }
}
