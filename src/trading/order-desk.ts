/**
 * Real market orders for the portfolio live trader (issue 14), market by market: placed once under a client order id
 * and read back as the fill the exchange made — the same rules as single-market live (src/trading/live.ts, issue 18),
 * through the same look-ups (src/trading/exchange-orders.ts).
 */
import type { Exchange, Order as CcxtOrder } from 'ccxt';
import { ccxtLib } from '../data/ccxt.ts';
import type { Logger } from '../core/log.ts';
import { parseSpotSymbol } from '../core/market-symbol.ts';
import { classifyError, replyTime, shortError, withMarkets, withRetry, type RetryOptions } from '../data/exchange.ts';
import { isoTime } from '../data/timeframe.ts';
import { fillFromOrder, findOrderByClientId, isOpen, otherOrder, type Retried } from './exchange-orders.ts';
import type { ThirdFee } from './live-orders.ts';
import type { RunRepository } from './run-repository.ts';
import type { FillRecord } from './types.ts';

/**
 * The start of every client order id a run uses: its id and the random nonce drawn when it was created (trading
 * schema 8). Run ids repeat (SQLite gives a run created after `--reset` the removed run's id, another database file
 * starts at 1) and so do creation times (`--now`): an exchange refuses an id used before, and the look-up that
 * followed the refusal found the other run's order and recorded it as this run's fill. A run created before schema 8
 * keeps its creation time (base 36) in the nonce's place, so orders it has in flight are still found.
 */
export function orderIdPrefix(run: { id: number; createdAt: number; orderNonce?: string }): string {
  return `bot${run.id}-${run.orderNonce ?? Math.max(0, Math.floor(run.createdAt)).toString(36)}-`;
}

/**
 * The client order id an order row without a stored one was sent under: the format before `orderIdPrefix`
 * (trading schema 4 stores the id with the row), for an order still `submitting` across that upgrade.
 */
export function legacyOrderId(runId: number, ts: number, market?: number): string {
  return `bot${runId}-${ts}${market === undefined ? '' : `-${market}`}`;
}

/**
 * The client order id an order row was sent under, which look-ups, `bot live --settle-order` and `bot status` name
 * it by: its stored one, else (a row from before trading schema 4) legacyOrderId's, with a portfolio market's index.
 */
export function sentOrderId(
  run: { id: number; portfolio?: { symbols: readonly string[] } },
  o: { clientId: string | null; decisionTs: number; market: string },
): string {
  const symbols = run.portfolio?.symbols;
  return o.clientId ?? legacyOrderId(run.id, o.decisionTs, symbols ? symbols.indexOf(o.market) : undefined);
}

/**
 * Why the exchange refused an order in a way that comes back at every candle until something changes: too little of
 * the currency the order spends (ccxt InsufficientFunds: Upbit's `insufficient_funds_*`, Binance's -2010), or an order
 * the market's rules refuse (ccxt InvalidOrder: Binance's -1013 NOTIONAL / LOT_SIZE filters; Upbit's
 * `under_min_total_*`, which ccxt leaves a plain ExchangeError).
 */
export type RecurringRefusal = 'funds' | 'invalid';

function recurringRefusal(e: unknown): RecurringRefusal | undefined {
  const ccxt = ccxtLib();
  if (e instanceof ccxt.InsufficientFunds) return 'funds';
  if (e instanceof ccxt.InvalidOrder) return 'invalid';
  if (e instanceof ccxt.ExchangeError && /under_min_total/.test(e.message)) return 'invalid';
  return undefined;
}

/**
 * How placing an order ended: the exchange's order, a refusal (nothing placed; `recurs` when it will come back),
 * unknown (settled at a later tick; `exists`: the refusal that proves the exchange has an order under its id), or
 * an order under its id that is not the one sent (`mismatch` names both; never booked).
 */
type Placement =
  | { order: CcxtOrder }
  | { refused: string; recurs?: RecurringRefusal }
  | { unknown: string; exists?: string }
  | { mismatch: string };

/**
 * An order row still `submitting`: what was sent, when (the run's clock), any proof the exchange has it, and the
 * exchange's id for it when a reply gave one (looked up by that id first).
 */
interface SentOrder {
  clientId: string;
  exchangeId?: string | null;
  side: 'buy' | 'sell';
  quantity: number;
  createdAt: number;
  existsProof: string | null;
  /** When a look-up first missed it (the look-up's time), or null: none has yet. */
  missingSince: number | null;
}

/**
 * What a look-up of an order left `submitting` settled: the exchange's order, another order under its id
 * (`mismatch`), proof enough that it was never placed (`absent`), or nothing yet (`unknown`: looked up again later;
 * `missingSince`, when a look-up first missed it, is for the caller to keep with the order: RunRepository.markMissing).
 */
type LookUp =
  { order: CcxtOrder } | { mismatch: string } | { absent: string } | { unknown: string; missingSince: number };

/**
 * How long an order not found under its client id stays unknown before it is written off as never placed, both from
 * when it was sent and from the first look-up that missed it, unless trading.live.unknownOrderGraceSeconds says
 * otherwise. Exchanges show an order they took within seconds (Upbit's look-up lag, Binance's -1007 "execution status
 * unknown"); ten minutes covers a slow one many times over, and the run only waits that long after a crash or a
 * lost reply, with no new order in that market meanwhile.
 */
export const UNKNOWN_ORDER_GRACE_SECONDS = 600;

/**
 * When the grace period ends for order `sent` at a look-up (at `looked`) that misses it: after both its sending and
 * the first look-up that missed it (this one when none has yet). writeOffFrom's rule, and `bot status`'s for an order
 * the exchange proved it has, which is never written off but is settled by hand once it stays missing that long.
 */
export function graceEnd(sent: Pick<SentOrder, 'createdAt' | 'missingSince'>, looked: number, graceMs: number): number {
  return Math.max(sent.createdAt, sent.missingSince ?? looked) + graceMs;
}

/**
 * From when a look-up (at `looked`) that still misses order `sent` writes it off as never placed (graceEnd);
 * undefined when the exchange proved it has the order (never written off). OrderDesk.lookUp decides by it, and
 * `bot status` and the dashboard's API show the settle-by-hand command by it, so they tell what the trader will do.
 */
export function writeOffFrom(
  sent: Pick<SentOrder, 'createdAt' | 'missingSince' | 'existsProof'>,
  looked: number,
  graceMs: number,
): number | undefined {
  if (sent.existsProof) return undefined;
  return graceEnd(sent, looked, graceMs);
}

/**
 * The reason an order left `submitting` carries once the user wrote it off (`bot live --settle-order ID
 * --never-placed`): their statement that the exchange has no such order, not the bot's finding (bot status shows it).
 */
export const NEVER_PLACED_REASON = 'written off by hand: --never-placed';

/**
 * Why a run sends no new order in `market` now: another order of its own there still `submitting` (its outcome unknown;
 * a second order could double the position), or undefined.
 */
export function inFlightHold(
  repo: RunRepository,
  runId: number,
  market: string,
  /** The order row about to be sent, itself `submitting`. */
  except?: number,
): string | undefined {
  const o = repo.orders(runId, 'submitting').find((x) => x.market === market && x.id !== except);
  return o && `held back: order ${o.clientId ?? o.id} in ${market} is still unknown (submitting)`;
}

/**
 * The quote cash a run's own buys still `submitting` may have spent, fee included (`feeRate(market)`, the rate charged
 * on top of a buy's cost: costs.ts buyFeeOnTop): sent and not
 * booked yet (a lost reply, an order the look-up does not show yet, an outcome unknown) or planned at this candle
 * and not sent yet. The exchange may have taken it while the run's cash still counts it, so buys are sized from the
 * cash less this (portfolio live runs, whose markets share one cash). `except`: the order row about to be sent.
 */
export function inFlightSpend(
  repo: RunRepository,
  runId: number,
  feeRate: (market: string) => number,
  except?: number,
): number {
  return repo
    .orders(runId, 'submitting')
    .filter((o) => o.side === 'buy' && o.id !== except)
    .reduce((a, o) => a + o.quantity * (1 + feeRate(o.market)), 0);
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What OrderDesk.settle read of an order that stopped working: its fill (none: nothing executed) and end state. */
export interface Settled {
  fill?: FillRecord;
  final: CcxtOrder;
  exchangeId: string;
  offBookFee: number;
  thirdFees: ThirdFee[];
  /**
   * How the fees in a third currency were valued, in one phrase: at their market's price, or (no price for one) at
   * the fee rate the caller gave (account.feeRate) of the fill's value; absent when there are none.
   */
  thirdFeeNote?: string;
}

/**
 * An order the exchange took that OrderDesk.settle could not see end: still open after its cancel (Upbit carries a
 * cancel out later and the order may execute more meanwhile), or not shown yet by a look-up by its id (an exchange
 * shows an order it took a moment later). Never booked: what it executed so far is not what it will have executed.
 */
export interface Unsettled {
  exchangeId: string;
  unsettled: string;
}

/**
 * Records on order row `orderId`, still `submitting`, that the exchange took it as its order `exchangeId`: the id
 * later look-ups ask by, and the proof that it is never written off as never placed. The caller commits.
 */
export function recordAccepted(repo: RunRepository, orderId: number, exchange: string, exchangeId: string): void {
  repo.updateOrder(orderId, 'submitting', {
    exchangeId,
    existsProof: `${exchange} accepted it as order ${exchangeId}`,
  });
}

/** The line a trader logs for an order left in flight by OrderDesk.settle (it went through: never "failed"). */
export function inFlightLine(clientId: string, u: Unsettled): string {
  return (
    `order ${clientId}: accepted by the exchange as its order ${u.exchangeId}, ${u.unsettled}: ` +
    'left in flight (submitting), settled at the next tick'
  );
}

/**
 * Exchanges that refuse an order under a client id used before, whatever became of the first: Upbit's `identifier` is
 * unique among all of an account's orders. Binance's `newClientOrderId` is unique among open orders only.
 */
const REFUSES_USED_IDS = new Set(['upbit']);

/**
 * A refusal because an order under the id exists already, on an exchange that keeps ids for good: proof the exchange
 * has that order (Upbit answers a validation_error naming the identifier; ccxt's DuplicateOrderId elsewhere).
 */
function usedIdRefusal(exchangeId: string, e: unknown): boolean {
  if (!REFUSES_USED_IDS.has(exchangeId)) return false;
  const ccxt = ccxtLib();
  if (e instanceof ccxt.DuplicateOrderId) return true;
  return e instanceof ccxt.ExchangeError && /identifier\b.*\b(already used|duplicat)/i.test(e.message);
}

/** A failure that shows the exchange turned the request away before acting on it: a rate limit (429, 418). */
function turnedAway(e: unknown): boolean {
  const status = (e as { httpStatus?: number }).httpStatus;
  const ccxt = ccxtLib();
  return e instanceof ccxt.RateLimitExceeded || e instanceof ccxt.DDoSProtection || status === 429 || status === 418;
}

export class OrderDesk {
  readonly retried: Retried;
  private readonly ex: Exchange;
  private readonly retry: RetryOptions;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollTries: number;
  private readonly graceMs: number;

  constructor(o: {
    exchange: Exchange;
    retry: RetryOptions;
    logger: Logger;
    sleep?: (ms: number) => Promise<void>;
    pollTries?: number;
    /** trading.live.unknownOrderGraceSeconds (default UNKNOWN_ORDER_GRACE_SECONDS). */
    graceSeconds?: number;
  }) {
    this.ex = o.exchange;
    this.retry = o.retry;
    this.logger = o.logger;
    this.sleep = o.sleep ?? sleepMs;
    this.pollTries = o.pollTries ?? 5;
    this.graceMs = (o.graceSeconds ?? UNKNOWN_ORDER_GRACE_SECONDS) * 1000;
    const ex = o.exchange;
    this.retried = <T>(what: string, fn: () => Promise<T>) =>
      withRetry(`${ex.id}: ${what}`, () => withMarkets(ex, fn), o.retry);
  }

  /**
   * The exchange's last price of `symbol` (its ticker), which a sell is sized against with the close (live-orders.ts
   * sellPriceBound); undefined, with one warning line, when the ticker cannot be read: the sell is then sized at the
   * close, rather than an exit or a sell held back for a price that only bounds its size.
   */
  async lastPrice(symbol: string): Promise<number | undefined> {
    try {
      const t = await this.retried(`${symbol} ticker`, () => this.ex.fetchTicker(symbol));
      const price = Number(t.last ?? t.close);
      if (Number.isFinite(price) && price > 0) return price;
      this.logger.warn(`${symbol}: the ticker gives no last price: the sell is sized at the candle's close`);
    } catch (e) {
      this.logger.warn(`${symbol}: the ticker cannot be read (${shortError(e)}): the sell is sized at the close`);
    }
    return undefined;
  }

  find(symbol: string, id: string): Promise<CcxtOrder | undefined> {
    return findOrderByClientId(this.ex, symbol, id, this.retried);
  }

  /** The exchange's order `exchangeId` (ccxt fetchOrder), or undefined when the exchange answers it has none. */
  private fetchById(symbol: string, exchangeId: string): Promise<CcxtOrder | undefined> {
    return this.retried('order', async () => {
      try {
        return await this.ex.fetchOrder(exchangeId, symbol);
      } catch (e) {
        if (e instanceof ccxtLib().OrderNotFound) return undefined;
        throw e;
      }
    });
  }

  /**
   * The order under client id `id` (asked by the exchange's id `exchangeId` first when a reply gave one), or
   * undefined only when it stayed missing through `pollTries` more looks, the settle polls' waits apart: an exchange
   * may show an order it took only a moment later, and an order written off as never placed while it exists is a
   * real position the run does not know about.
   */
  async findOrAbsent(symbol: string, id: string, exchangeId?: string | null): Promise<CcxtOrder | undefined> {
    for (let k = 0; ; k++) {
      const found =
        (exchangeId ? await this.fetchById(symbol, exchangeId) : undefined) ?? (await this.find(symbol, id));
      if (found || k >= this.pollTries) return found;
      await this.sleep(200 * (k + 1));
    }
  }

  /**
   * Settles what became of an order left `submitting`, at `now` on the run's clock. It is written off as never placed
   * only when nothing proved the exchange has it and the grace period has passed both since it was sent and since the
   * first look-up that missed it (`missingSince`, which an `unknown` answer gives the caller to keep): an order
   * written off while it exists is a real position the run does not know about, and a run restarted after a longer
   * downtime (cron's hourly `--once`) had used the grace up before its first look-up, so one pass of a few seconds
   * that missed an order the exchange showed late wrote it off. The account's balances are no proof either way: the
   * account may hold funds beyond the run's (other runs, the user's own coins) and the user may trade or withdraw
   * meanwhile, so a change of the order's size can be neither pinned on it nor ruled out.
   * The grace must have passed by the exchange's clock too (the Date header of the look-up's last reply): a tick
   * settles its orders before it checks the run's clock (src/trading/live-start.ts), and a machine clock that jumped
   * ahead (a VM resumed, a time step) would write off an order the exchange may still show. The sent time is on the
   * run's clock, which the tick that sent it had checked against the exchange's; a miss is timed on both, the earlier.
   */
  async lookUp(symbol: string, sent: SentOrder, now: number): Promise<LookUp> {
    const found = await this.findOrAbsent(symbol, sent.clientId, sent.exchangeId);
    if (found) {
      const other = otherOrder(found, sent);
      return other ? { mismatch: other } : { order: found };
    }
    // an exchange that sends no Date header leaves the run's clock alone, as the clock checks do
    const looked = Math.min(now, replyTime(this.ex) ?? now);
    const missingSince = sent.missingSince ?? looked;
    const secs = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;
    const since = `sent ${secs(looked - sent.createdAt)} ago`;
    const writeOffAt = writeOffFrom(sent, looked, this.graceMs);
    if (writeOffAt === undefined)
      return { unknown: `not found yet, but the exchange has it (${sent.existsProof}); ${since}`, missingSince };
    const missing = `missing for ${secs(looked - missingSince)}`;
    if (looked < writeOffAt) {
      const at = `written off if still missing at a look-up from ${isoTime(writeOffAt)}`;
      return { unknown: `not found yet (${since}, ${missing}; ${at})`, missingSince };
    }
    return { absent: `not on the exchange under its client id, ${since}, ${missing} (never placed)` };
  }

  /**
   * The exchange's order `exchangeId` (ccxt fetchOrder), named by the user for an order left `submitting` that no
   * look-up by its client id finds (`bot live --settle-order`): the order, as a look-up that found it would give it,
   * or why it is not booked: no order under that id (`missing`), still open (`open`), or not the order sent
   * (`mismatch` names both: another market or client id, or the side or size otherOrder checks of an order found).
   */
  async fetchSent(
    symbol: string,
    exchangeId: string,
    sent: Pick<SentOrder, 'clientId' | 'side' | 'quantity'>,
  ): Promise<{ order: CcxtOrder } | { open: string } | { mismatch: string } | { missing: string }> {
    const found = await this.fetchById(symbol, exchangeId);
    if (!found) return { missing: `${this.ex.id} has no order ${exchangeId} in ${symbol}` };
    if (found.symbol !== undefined && found.symbol !== symbol)
      return {
        mismatch: `the exchange's order ${exchangeId} is in ${found.symbol}, order ${sent.clientId} in ${symbol}`,
      };
    if (found.clientOrderId && found.clientOrderId !== sent.clientId)
      return {
        mismatch: `the exchange's order ${exchangeId} has client id ${found.clientOrderId}, not ${sent.clientId}`,
      };
    const other = otherOrder(found, sent);
    if (other) return { mismatch: other };
    if (isOpen(found)) return { open: `the exchange's order ${exchangeId} is still open: settle it after it ends` };
    return { order: found };
  }

  /**
   * Places a market order under client id `id`, never twice: after a failure the exchange is asked for the id first
   * (the order may have been taken and the reply lost). The order is sent again after a failure that turned the
   * request away (429/418), or, on an exchange that refuses a used client id for good (REFUSES_USED_IDS), after a
   * look-up that answered without it. Otherwise the outcome stays unknown and the next tick settles the order by its
   * id: Binance's client id is unique among open orders only, so once the first market order filled a resend was a
   * second order, whether the look-up failed or did not show the order yet (Binance's -1007 "execution status
   * unknown" orders can appear later). Once a try's outcome is unknown, a later refusal (the id already used, the
   * funds it took) proves nothing was placed only if the order is found missing: it stays unknown too. A refusal for
   * the id itself (usedIdRefusal) proves an order exists under it: unknown, with that proof. An order found under
   * the id that is not this one (another side or size) is a `mismatch`, never booked.
   */
  async place(symbol: string, side: 'buy' | 'sell', amount: number, id: string): Promise<Placement> {
    const ex = this.ex;
    const params = side === 'buy' ? { clientOrderId: id, cost: amount } : { clientOrderId: id };
    let mayHaveLanded = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return {
          order: await withMarkets(ex, () => ex.createOrder(symbol, 'market', side, amount, undefined, params)),
        };
      } catch (e) {
        let found: CcxtOrder | undefined;
        let looked = true;
        try {
          found = await this.find(symbol, id);
        } catch (lookup) {
          looked = false;
          this.logger.warn(`order ${id}: looking it up failed: ${shortError(lookup)}`);
        }
        if (found) {
          const other = otherOrder(found, { side, quantity: amount });
          return other ? { mismatch: other } : { order: found };
        }
        const why = shortError(e);
        if (usedIdRefusal(ex.id, e)) return { unknown: why, exists: why };
        if (classifyError(e) === 'fatal')
          return looked && !mayHaveLanded ? { refused: why, recurs: recurringRefusal(e) } : { unknown: why };
        if (!turnedAway(e)) mayHaveLanded = true;
        const resendRefusedIfLanded = looked && REFUSES_USED_IDS.has(ex.id);
        if ((mayHaveLanded && !resendRefusedIfLanded) || attempt >= this.retry.retries) return { unknown: why };
        this.logger.warn(`order ${id}: ${why}; retry ${attempt + 1}/${this.retry.retries}`);
        await this.sleep(Math.min(this.retry.maxBackoffMs, this.retry.backoffMs * 2 ** attempt));
      }
    }
  }

  /**
   * A fill's fees in a third currency (Binance's BNB) with their quote-currency value, for the daily-loss cap: each at
   * the last price of its own market against the quote (`BNB/USDT`) when the exchange lists one and answers, else, to
   * keep the cap on the safe side, the fill's value at the configured `feeRate` (the fee without a discount). Logged
   * in one line either way; the run's cash never pays them (a portfolio's units may: live-orders.ts payFromBooks).
   */
  private async valueOffBook(
    symbol: string,
    exchangeId: string,
    read: { fill?: FillRecord; unbooked?: string; offBook?: { currency: string; cost: number }[] },
    feeRate: number,
  ): Promise<{ fees: ThirdFee[]; note: string }> {
    const { quote } = parseSpotSymbol(symbol, 'market');
    const fees = read.offBook ?? [];
    const valued: ThirdFee[] = [];
    const prices: string[] = [];
    let total = 0;
    try {
      for (const f of fees) {
        const market = `${f.currency}/${quote}`;
        if (!this.ex.markets?.[market]) throw new Error(`no ${market} market`);
        const t = await this.retried(`${market} ticker`, () => this.ex.fetchTicker(market));
        const price = Number(t.last ?? t.close ?? t.bid);
        if (!(Number.isFinite(price) && price > 0)) throw new Error(`no price for ${market}`);
        total += f.cost * price;
        valued.push({ currency: f.currency, units: f.cost, value: f.cost * price });
        prices.push(`${market} at ${price}`);
      }
      this.logger.warn(
        `order ${exchangeId}: a fee of ${read.unbooked} is in neither currency of ${symbol}: ` +
          `counted as ${total} ${quote} against trading.live.maxDailyLoss, not in the run's cash`,
      );
      const note = `a fee of ${read.unbooked} valued at ${total} ${quote} by its market's price (${prices.join(', ')})`;
      return { fees: valued, note };
    } catch (e) {
      const guess = (read.fill?.value ?? 0) * feeRate;
      this.logger.warn(
        `order ${exchangeId}: a fee of ${read.unbooked} is in neither currency of ${symbol} and cannot be valued ` +
          `(${shortError(e)}): counted as ${guess} ${quote} (account.feeRate of the order) against ` +
          "trading.live.maxDailyLoss, not in the run's cash",
      );
      const note =
        `a fee of ${read.unbooked} valued at ${guess} ${quote}, account.feeRate ${feeRate} of the order's value: ` +
        `no price for it (${shortError(e)})`;
      // one fee in the usual case; several share the guess evenly
      return { fees: fees.map((f) => ({ currency: f.currency, units: f.cost, value: guess / fees.length })), note };
    }
  }

  /**
   * Waits for an order to stop working (cancelling what is left after a few looks); what it executed, if anything,
   * and, given the run's `feeRate`, its fees in a third currency (valueOffBook) and their total quote value. An order
   * no look-up by its id shows yet, or still open a few looks after its cancel (an accepted cancel takes effect
   * later on Upbit, and the order may execute more until then), is `unsettled`: never booked while open, the caller
   * leaves it in flight for the next tick's look-up.
   */
  async settle(symbol: string, placed: CcxtOrder, feeRate?: number): Promise<Settled | Unsettled> {
    const ex = this.ex;
    const exchangeId = String(placed.id);
    const fetch = () => this.fetchById(symbol, exchangeId);
    let final = placed;
    let missed = false;
    for (let k = 0; isOpen(final) && k < this.pollTries; k++) {
      await this.sleep(200 * (k + 1));
      const got = await fetch();
      missed = !got;
      final = got ?? final;
    }
    if (missed) return { exchangeId, unsettled: `not shown by ${ex.id}'s look-up by its id yet` };
    if (isOpen(final)) {
      let refused: unknown;
      try {
        await this.retried('cancel order', () => ex.cancelOrder(exchangeId, symbol));
      } catch (e) {
        // a cancel whose reply was lost is refused when retried (the order is no longer open): its state decides
        refused = e;
      }
      for (let k = 0; k <= this.pollTries; k++) {
        if (k > 0) await this.sleep(200 * k);
        final = (await fetch()) ?? final;
        if (!isOpen(final)) break;
      }
      if (isOpen(final)) {
        const cancel = refused === undefined ? 'was accepted' : `was refused (${shortError(refused)})`;
        return { exchangeId, unsettled: `still open after its cancel ${cancel}` };
      }
      if (refused !== undefined)
        this.logger.warn(`order ${exchangeId}: the cancel failed (${shortError(refused)}) but it is ${final.status}`);
    }
    let read = fillFromOrder(final);
    if (read.needsDetail) {
      final = (await fetch()) ?? final;
      read = fillFromOrder(final);
    }
    if (read.needsDetail && ex.has.fetchOrderTrades) {
      // an order read back without its trades (Binance's order query, its lists): the trades give value and fees
      const trades = await this.retried('order trades', () => ex.fetchOrderTrades(exchangeId, symbol));
      final = { ...final, trades };
      read = fillFromOrder(final);
    }
    if (read.needsDetail)
      throw new Error(`order ${exchangeId}: the exchange reports a volume executed but no value for it`);
    let thirdFees: ThirdFee[] = [];
    let thirdFeeNote: string | undefined;
    // `feeRate`: the caller books the fee's value (both live traders); without one it is only logged
    if (read.offBook && read.fill && feeRate !== undefined)
      ({ fees: thirdFees, note: thirdFeeNote } = await this.valueOffBook(symbol, exchangeId, read, feeRate));
    else if (read.unbooked)
      this.logger.warn(
        `order ${exchangeId}: a fee of ${read.unbooked} is in neither currency of ${symbol}: ` +
          "it is not booked in the run's account",
      );
    const offBookFee = thirdFees.reduce((a, f) => a + f.value, 0);
    return { fill: read.fill, final, exchangeId, offBookFee, thirdFees, ...(thirdFeeNote ? { thirdFeeNote } : {}) };
  }
}
