/**
 * What `bot status` and the API say about a paper or live run: balance, position, P&L against buy-and-hold, last
 * decisions, the serving model version (and why CURRENT's cannot take over) and the next tick; the run table.
 */
import { isoTime } from '../data/timeframe.ts';
import type { RunRepository } from './run-repository.ts';
import { lockHolder, runLockName } from './lock.ts';
import { equalWeightHoldPnl } from './portfolio-hold.ts';
import { nextTickTime } from './trader.ts';
import { withdrawnValue } from './withdrawals.ts';
import { graceEnd, NEVER_PLACED_REASON, sentOrderId, UNKNOWN_ORDER_GRACE_SECONDS, writeOffFrom } from './order-desk.ts';
import type { PortfolioRunState, RunKey, RunState } from './types.ts';
import { pendingExit } from './commands.ts';
import { servingVersion } from './unpromoted-versions.ts';
import { promotedRefusal, promotedRefusalText, type PromotedRefusal } from './promoted-refusal.ts';

export interface RunStatus {
  id: number;
  mode: string;
  name: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  policy: string;
  modelVersion: string | null;
  /**
   * A model run's home's CURRENT when it names another version than the one serving (`modelVersion`): a retrain
   * promoted it, and the run takes it over at its next tick; null otherwise.
   */
  promotedVersion: string | null;
  /** Why `promotedVersion` will not take over at the next tick (the run gave it up, or it fits another run); null. */
  promotedRefusal: PromotedRefusal | null;
  halted: string | null;
  /** Who paused the run from the dashboard and when (issue 15). */
  paused: string | null;
  /** When the run was ended for good (`--end`); null while it may trade. */
  ended: string | null;
  /**
   * The fault the run's ticks fail on since `since` (the run's clock), while they fail: fetched candles off the stored
   * series' grid, so no candle is stored or decided (each scheduled tick looks again); null once a tick succeeds.
   */
  dataFault: { message: string; since: string } | null;
  startedAt: string;
  /** The last candle the run decided: its value and `lastPrice` are at that candle's close. */
  lastCandle: string | null;
  lastPrice: number | null;
  /**
   * The newest candle passed over without a decision while paused, after `lastCandle` (the run's cursor); null once a
   * candle after it is decided. It was shown as the last candle, beside the price of an older one.
   */
  passedOver: string | null;
  cash: number;
  units: number;
  equity: number;
  initialBalance: number;
  /** (equity + withdrawn) / initial balance − 1 */
  pnl: number;
  /**
   * A live run: the value (quote currency, at the prices then) taken out of its account for funds the exchange no
   * longer held, withdrawn or spent by the user elsewhere (src/trading/withdrawals.ts); 0 when none.
   */
  withdrawn: number;
  /** Buy-and-hold from the first acted candle's close to the last one's (a portfolio: equal weights held). */
  buyHoldPnl: number | null;
  trades: number;
  /**
   * The order waiting to be filled: a paper run's for the next open, or a live run's sent with its outcome unknown
   * yet (`clientId`, `state`: it stays `submitting` until the exchange shows it or it is written off).
   */
  pendingOrder: { side: string; quantity: number; decidedAt: string; clientId?: string; state?: string } | null;
  /**
   * An exit asked and not done yet: who asked and when, and why it waits (its row's note: a sell held back or refused
   * with the exchange's reason, or more than the minimum order left after a capped sell; null before a tick saw it).
   */
  pendingExit: { requestedBy: string; requestedAt: string; waiting: string | null } | null;
  /** A live run's orders sent whose outcome is unknown yet (`submitting`), every market's. */
  inFlight: InFlightOrder[];
  /** A live run's orders the user wrote off as never placed (--never-placed), in one phrase each. */
  writtenOff: string[];
  lastDecisions: { candle: string; action: string; confidence: number; price: number; modelVersion: string | null }[];
  /**
   * When the trader acts next; null for a halted run, whose trader stopped and acts no more until a clear-halt, and
   * for a run whose process is not running (stopped or crashed): it acts at no time until started again.
   */
  nextTick: string | null;
  /** Whether a process holds the run's lock with a live heartbeat (src/trading/lock.ts). */
  running: boolean;
  /** A run not running: its process's last heartbeat, after a crash; null after a clean stop or while running. */
  lastSeen: string | null;
  /** A portfolio run's markets at the last candle time it acted on (issue 14); absent for one market. */
  positions?: { market: string; units: number; price: number; value: number; weight: number }[];
  /** A portfolio run's targets still waiting for a market's next candle. */
  waitingTargets?: { decidedAt: string; targets: number[]; waiting: string[] } | null;
}

/**
 * Config `trading.tickDelaySeconds`, `trading.lockStaleSeconds` and `trading.live.unknownOrderGraceSeconds` (default
 * UNKNOWN_ORDER_GRACE_SECONDS): `bot status` and the dashboard pass the same ones, so both show the same.
 */
export interface StatusTiming {
  tickDelaySeconds: number;
  lockStaleSeconds: number;
  unknownOrderGraceSeconds?: number;
}

export function runStatus(
  repo: RunRepository,
  key: RunKey,
  now: number,
  decisions: number,
  timing: StatusTiming,
): RunStatus | undefined {
  const run = repo.find(key);
  if (!run) return undefined;
  // the wall clock's, as the lock's heartbeat is, not the run's (a fixed --now or a test's clock)
  const holder = lockHolder(repo.db, runLockName(run), timing.lockStaleSeconds * 1000);
  const lastEquity = repo.equity(run.id, 1)[0];
  const pf = run.portfolio;
  const part = pf ? portfolioPart(repo, run.id, pf) : undefined;
  const price = pf ? null : (lastEquity?.price ?? null);
  const equity = part
    ? pf!.account.cash + (part.positions ?? []).reduce((a, p) => a + p.value, 0)
    : price !== null
      ? run.account.cash + run.account.units * price
      : run.account.cash;
  const pending = run.pending;
  const inFlight = inFlightOrders(repo, run, now, timing.unknownOrderGraceSeconds ?? UNKNOWN_ORDER_GRACE_SECONDS);
  const quantity = pending ? (pending.order.side === 0 ? pending.order.spend : pending.order.units) : 0;
  // the run's own starting value: a live run starts from what the exchange held (issue 18), which older databases
  // recorded only in the account
  const initialBalance = run.account.initialBalance > 0 ? run.account.initialBalance : run.initialBalance;
  const withdrawn = withdrawnValue(run.account);
  const fault = repo.dataFault(run.id);
  const exit = pendingExit(repo.db, run.id);
  const promoted = run.endedAt === undefined ? promotedVersion(run, run.modelVersion) : null;
  return {
    id: run.id,
    mode: run.mode,
    name: run.name,
    exchange: run.exchange,
    symbol: run.symbol,
    timeframe: run.timeframe,
    policy: run.policy,
    modelVersion: run.modelVersion ?? null,
    promotedVersion: promoted,
    promotedRefusal: promoted !== null ? (promotedRefusal(run, promoted, now) ?? null) : null,
    halted: run.halted ?? null,
    paused: run.paused ?? null,
    ended: run.endedAt !== undefined ? isoTime(run.endedAt) : null,
    dataFault: fault ? { message: fault.fault, since: isoTime(fault.since) } : null,
    startedAt: isoTime(run.startTs),
    lastCandle: lastEquity ? isoTime(lastEquity.ts) : null,
    lastPrice: price,
    passedOver:
      run.lastTs !== undefined && (lastEquity === undefined || run.lastTs > lastEquity.ts) ? isoTime(run.lastTs) : null,
    cash: run.account.cash,
    units: run.account.units,
    equity,
    initialBalance,
    // what the user took out is not a loss of the run's
    pnl: (equity + withdrawn) / initialBalance - 1,
    withdrawn,
    // a portfolio's: equal weights bought at the first acted close and held, as the dashboard shows it
    buyHoldPnl: pf
      ? equalWeightHoldPnl(repo.db, run.id, pf.symbols, initialBalance, run.lastTs)
      : price !== null && run.startPrice
        ? price / run.startPrice - 1
        : null,
    trades: repo.trades(run.id).length,
    // a sell decided while flat (or a buy without cash) waits as an order of 0, which fills nothing: none to show
    pendingOrder:
      pending && quantity > 0
        ? { side: pending.order.side === 0 ? 'buy' : 'sell', quantity, decidedAt: isoTime(pending.decisionTs) }
        : inFlight[0]
          ? {
              side: inFlight[0].side,
              quantity: inFlight[0].quantity,
              decidedAt: inFlight[0].decidedAt,
              clientId: inFlight[0].clientId,
              state: inFlight[0].state,
            }
          : null,
    pendingExit: exit
      ? { requestedBy: exit.requestedBy, requestedAt: isoTime(exit.requestedAt), waiting: exit.note }
      : null,
    inFlight,
    writtenOff: repo
      .orders(run.id, 'cancelled')
      .filter((o) => o.reason === NEVER_PLACED_REASON)
      .map((o) => `${o.side} ${num(o.quantity)} ${o.market} as order ${sentOrderId(run, o)}: ${o.reason}`),
    lastDecisions: repo.decisions(run.id, decisions).map((d) => ({
      candle: isoTime(d.ts),
      action: d.action,
      confidence: d.confidence,
      price: d.price,
      modelVersion: d.modelVersion,
    })),
    nextTick:
      run.halted || run.endedAt !== undefined || !holder.alive
        ? null
        : isoTime(nextTickTime(now, run.timeframe, timing.tickDelaySeconds, run.lastTs)),
    running: holder.alive,
    lastSeen: !holder.alive && holder.lastSeen !== undefined ? isoTime(holder.lastSeen) : null,
    ...(part ?? {}),
  };
}

function portfolioPart(
  repo: RunRepository,
  runId: number,
  pf: PortfolioRunState,
): Pick<RunStatus, 'positions' | 'waitingTargets'> {
  // what the account holds now (a live run's fills land after the candle's positions row), at the last marks
  const rows = repo.lastPositions(runId);
  const held = pf.symbols.map((market, m) => {
    const units = pf.account.books[m]?.units ?? 0;
    const price = rows.find((x) => x.market === market)?.price ?? 0;
    return { market, units, price, value: units * price };
  });
  const value = pf.account.cash + held.reduce((a, p) => a + p.value, 0);
  const positions = held.map((p) => ({ ...p, weight: value > 0 ? p.value / value : 0 }));
  const p = pf.pending;
  const waitingTargets = p
    ? { decidedAt: isoTime(p.decisionTs), targets: p.targets, waiting: pf.symbols.filter((_s, m) => p.waiting[m]) }
    : null;
  return { positions, waitingTargets };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** A portfolio run's holdings: the value, cash, and one line per market with its weight. */
function portfolioLines(s: RunStatus): string[] {
  const positions = s.positions ?? [];
  const cashWeight = s.equity > 0 ? s.cash / s.equity : 0;
  const w = Math.max(...positions.map((p) => p.market.length), 4);
  const waiting = s.waitingTargets;
  return [
    // no fee, minimum order or whole shares: not the backtest's "equal weights bought and held", which pays them
    `value        ${num(s.equity)}   P&L ${pct(s.pnl)} vs equal weights held before costs ${
      s.buyHoldPnl !== null ? pct(s.buyHoldPnl) : '—'
    }   (${s.trades} trades)`,
    ...withdrawnLine(s),
    `  ${'cash'.padEnd(w)}  ${num(s.cash).padStart(16)}  ${pct(cashWeight).padStart(7)}`,
    ...positions.map(
      (p) =>
        `  ${p.market.padEnd(w)}  ${num(p.value).padStart(16)}  ${pct(p.weight).padStart(7)}` +
        `   ${p.units.toLocaleString('en-US', { maximumFractionDigits: 8 })} units @ ${num(p.price)}`,
    ),
    `waiting      ${
      waiting
        ? `targets ${waiting.targets.map((x) => pct(x)).join(' / ')} decided at ${waiting.decidedAt} close; ` +
          `${waiting.waiting.join(', ')} fill at their next open`
        : 'none'
    }`,
    ...s.inFlight.map((o) => `in flight    ${inFlightText(o)}`),
    ...settleLines(s),
  ];
}
const num = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** An exit asked and not done yet, and why it waits; none: no line. */
function exitLine(s: RunStatus): string[] {
  const e = s.pendingExit;
  if (!e) return [];
  return [`EXITING: asked by ${e.requestedBy} at ${e.requestedAt}; ${e.waiting ?? 'sold at the next candle'}`];
}

/** A live run's funds taken out for what the exchange no longer held (src/trading/withdrawals.ts); none: no line. */
function withdrawnLine(s: RunStatus): string[] {
  return s.withdrawn > 0
    ? [`withdrawn    ${num(s.withdrawn)} taken out of the run: the exchange no longer held it (not a loss)`]
    : [];
}

/** The next tick, or why there is none: halted, or the run's process is not running. */
function nextTickText(s: RunStatus): string {
  if (s.nextTick) return s.nextTick;
  if (s.ended) return '— (ended)';
  if (s.halted) return '— (halted)';
  return `— (not running${s.lastSeen ? `; last seen ${s.lastSeen}` : ''})`;
}

/** A live order sent whose outcome is not known yet (trading_orders row `submitting`). */
interface InFlightOrder {
  market: string;
  side: string;
  quantity: number;
  decidedAt: string;
  /** The client id it was sent under: its row's, or before trading schema 4 the legacy one (sentOrderId). */
  clientId: string;
  state: string;
  /**
   * The exchange's id for it when the exchange accepted it (its reply gave one: recordAccepted), else null: such an
   * order is the exchange's, and the trader's next look-up by that id settles it (still open or not shown yet).
   */
  exchangeOrderId: string | null;
  /**
   * The command that settles it by hand once the exchange's order history is checked (--settle-order), when no look-up
   * will: the exchange refused a resend for its id (no id of the exchange's kept to look it up by), or it has been
   * missing past the grace period by the trader's rule (since it was sent and since the first look-up that missed it:
   * graceEnd), an order the exchange accepted included (never written off, it would stay in flight for good); else
   * null.
   */
  settle: string | null;
}

/**
 * `bot live` flags naming `run` and its order `clientId`, to settle it as the exchange's order history says: by its id
 * there (`exchangeId`, the one its reply gave, when it accepted the order), or as never placed.
 */
function settleCommand(run: RunState, clientId: string, exchangeId?: string): string {
  const market = run.portfolio ? `--symbols ${run.portfolio.symbols.join(',')}` : `--symbol ${run.symbol}`;
  const by = exchangeId
    ? `--exchange-order-id ${exchangeId} (once its history shows it; --never-placed if it executed nothing)`
    : "--exchange-order-id ID (the exchange's id; --never-placed if it has none)";
  return (
    `bot live --name ${run.name} --exchange ${run.exchange} ${market} --timeframe ${run.timeframe} ` +
    `--settle-order ${clientId} ${by}`
  );
}

/**
 * Since when a look-up has missed an order, and from when one that still misses it writes it off (as the trader's
 * log line says); nothing for an order the exchange proved it has (`writeOff` undefined: never written off).
 */
function missingText(missingSince: number | null, writeOff: number | undefined): string {
  if (writeOff === undefined) return '';
  if (missingSince === null) return ', no look-up has missed it yet';
  const from = `written off if still missing at a look-up from ${isoTime(writeOff)}`;
  return `, missing since ${isoTime(missingSince)}, ${from}`;
}

function inFlightOrders(repo: RunRepository, run: RunState, now: number, graceSeconds: number): InFlightOrder[] {
  return repo.orders(run.id, 'submitting').map((o) => {
    // a row from before trading schema 4 stores no client id: it was sent, and is settled, under the legacy one
    const clientId = sentOrderId(run, o);
    const sent = `sent ${isoTime(o.createdAt)}`;
    const base = { market: o.market, side: o.side, quantity: o.quantity, decidedAt: isoTime(o.decisionTs), clientId };
    // accepted under an id of the exchange's: never written off (writeOffFrom), and each tick looks it up by that id;
    // one no look-up has shown past the trader's grace (graceEnd) is the user's to settle from the exchange's history
    if (o.existsProof && o.exchangeId) {
      const accepted = `accepted by ${run.exchange} as order ${o.exchangeId}`;
      const missing = o.missingSince !== null && now >= graceEnd(o, now, graceSeconds * 1000);
      const state = missing
        ? `submitting: ${accepted}, missing since ${isoTime(o.missingSince!)}: no look-up shows it, ${sent}`
        : `submitting: ${accepted}, waiting to settle (the next tick settles it), ${sent}`;
      const settle = missing ? settleCommand(run, clientId, o.exchangeId) : null;
      return { ...base, state, exchangeOrderId: o.exchangeId, settle };
    }
    // as a look-up now would time it: one that found no earlier miss starts the grace from now
    const writeOff = writeOffFrom(o, now, graceSeconds * 1000);
    return {
      ...base,
      state:
        `submitting: outcome unknown${o.existsProof ? ', the exchange has it' : ''}, ${sent}` +
        missingText(o.missingSince, writeOff),
      exchangeOrderId: null,
      settle: writeOff === undefined || now >= writeOff ? settleCommand(run, clientId) : null,
    };
  });
}

/** How to settle by hand each order in flight no look-up will settle: the command, once the exchange is checked. */
const settleLines = (s: RunStatus): string[] => [
  ...s.inFlight.flatMap((o) => (o.settle ? [`settle by hand once checked on the exchange: ${o.settle}`] : [])),
  ...s.writtenOff.map((x) => `written off  ${x}`),
];

/** A live order in flight, in one phrase: side, amount (a buy's in quote currency), client id and state. */
const inFlightText = (o: InFlightOrder) =>
  `${o.side} ${num(o.quantity)} ${o.market} as order ${o.clientId} (${o.state})`;

/** A pending order's amount: a buy's is the cash it spends, named in the quote currency (`buy for 9,206,282 KRW`). */
const pendingAmount = (o: { side: string; quantity: number }, symbol: string) =>
  o.side === 'buy' ? `buy for ${num(o.quantity)} ${symbol.split('/')[1] ?? ''}`.trim() : `${o.side} ${num(o.quantity)}`;

/**
 * The version a model run's home names in CURRENT when it is not `serving`; null when it is, or the home cannot be
 * read. The home is the one the run stored by its real path (RunState.modelHome); a run from before it stored one
 * names it only in its policy `model:<home>`, the path as given, read from the working folder (from another folder,
 * `bot status` read another home, or none).
 */
function promotedVersion(run: Pick<RunState, 'policy' | 'modelHome'>, serving: string | undefined): string | null {
  if (!run.policy.startsWith('model:') || serving === undefined) return null;
  const current = servingVersion(run.modelHome ?? run.policy.slice('model:'.length));
  return current !== undefined && current !== serving ? current : null;
}

export function formatStatus(s: RunStatus): string {
  const version =
    (s.modelVersion ? ` @ ${s.modelVersion}` : '') +
    (s.promotedVersion ? ` (CURRENT is now ${s.promotedVersion}: ${promotedRefusalText(s.promotedRefusal)})` : '');
  const price = s.lastPrice !== null ? ` @ ${num(s.lastPrice)}` : '';
  const passed = s.passedOver ? ` (passed over up to ${s.passedOver})` : '';
  const buyHold = s.buyHoldPnl !== null ? pct(s.buyHoldPnl) : '—';
  const order = s.pendingOrder;
  const pending =
    s.inFlight.length > 0
      ? s.inFlight.map(inFlightText).join('; ')
      : order
        ? `${pendingAmount(order, s.symbol)} (decided at ${order.decidedAt} close, fills at the next open)`
        : 'none';
  const lines = [
    `${s.mode} run "${s.name}"  ${s.exchange} ${s.symbol} ${s.timeframe}  ${s.policy}${version}`,
    ...(s.ended ? [`ENDED at ${s.ended} (--end): trades no more`] : []),
    ...(s.halted ? [`HALTED: ${s.halted}`] : []),
    ...(s.paused ? [`PAUSED: ${s.paused}`] : []),
    ...exitLine(s),
    ...(s.dataFault ? [`NO DECISIONS since ${s.dataFault.since}, each tick looks again: ${s.dataFault.message}`] : []),
    `started      ${s.startedAt}   last candle ${s.lastCandle ?? '—'}${passed}   next tick ${nextTickText(s)}`,
    ...(s.positions
      ? portfolioLines(s)
      : [
          `balance      ${num(s.cash)} cash + ${s.units} units${price} = ${num(s.equity)}`,
          `P&L          ${pct(s.pnl)} vs buy-and-hold ${buyHold}   (${s.trades} trades)`,
          ...withdrawnLine(s),
          `pending      ${pending}`,
          ...settleLines(s),
        ]),
    'last decisions:',
    ...s.lastDecisions.map(
      (d) =>
        `  ${d.candle}  ${d.action.padEnd(4)} ${d.confidence.toFixed(2)}  @ ${num(d.price)}` +
        (d.modelVersion ? `  (${d.modelVersion})` : ''),
    ),
  ];
  return lines.join('\n');
}

/** What the run table says after a run's name: why it trades not, or fails its ticks; nothing while it trades. */
function runFlag(s: RunStatus): string {
  if (s.ended) return ' (ENDED)';
  if (s.halted) return ' (HALTED)';
  if (s.paused) return ' (PAUSED)';
  return s.dataFault ? ' (NO DECISIONS)' : '';
}

/** One line per run: what `bot status` prints when the database holds several runs and none was named. */
export function formatRunTable(rows: RunStatus[]): string {
  const header = ['run', 'market', 'policy', 'value', 'P&L', 'last decision', 'next tick'];
  const cells = rows.map((s) => {
    const last = s.lastDecisions[s.lastDecisions.length - 1];
    return [
      `${s.mode} ${s.name}${runFlag(s)}`,
      `${s.exchange} ${s.symbol} ${s.timeframe}`,
      `${s.policy}${s.modelVersion ? ` @ ${s.modelVersion}` : ''}`,
      num(s.equity),
      pct(s.pnl),
      last ? `${last.candle} ${last.action}` : '—',
      s.nextTick ?? (s.halted && !s.ended ? '—' : nextTickText(s)),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
