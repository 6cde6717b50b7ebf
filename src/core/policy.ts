/** The decision contract: actions, Decision, Observation (what a policy sees at candle t) and Policy. */
import type { Candles } from './candles.ts';

type Action = 'buy' | 'sell' | 'hold';
/** Index order used by every network head and learner: 0 buy, 1 sell, 2 hold. */
export const ACTIONS: readonly Action[] = ['buy', 'sell', 'hold'];

export interface Decision {
  action: Action;
  /** 0..1; scales the trade size under confidence sizing. */
  confidence: number;
  /** Continuous agents: fraction of portfolio value to hold in the asset (0..1). */
  targetPosition?: number;
}

/**
 * What a policy sees at candle t, after t's close. Nothing in here may depend on candles after t.
 * Rule strategies read `candles` (ObservationBuilder's end at t: `close.length` is t + 1); networks read `features` /
 * `images` and `state`.
 */
export interface Observation {
  /** Index of the candle that just closed. */
  t: number;
  candles: Candles;
  /** window × cols feature rows ending at t (oldest first), scaled; empty when the strategy uses none. */
  features: Float32Array;
  /**
   * The whole scaled feature matrix that `features` is the window at t of (row i = candle i), when the observation
   * was cut from one (ObservationBuilder's are): batched inference reads other candles' windows from it.
   */
  featureRows?: FeatureRows;
  window: number;
  cols: number;
  /** Agent state: [hold ratio, profit/loss ratio, price / average buy price − 1]. */
  state: Float32Array;
  /** Chart image sequence ending at t (frames × height × width × channels), when the strategy asks for images. */
  images?: Float32Array;
  /**
   * Fills the account has made so far (buys + sells), after any fill at t's open: lets a policy see that a trade
   * happened (a holding period counts candles from it) without seeing the account itself. Not a network input.
   */
  fills?: number;
}

/** Scaled feature rows × cols in one array, row i = candle i. */
export interface FeatureRows {
  data: Float32Array;
  cols: number;
}

export interface Policy {
  readonly name: string;
  decide(observation: Observation): Decision;
  /**
   * A run picked up by a policy that did not see its past (a restarted or cron'd trader, a model version served
   * from now on): its last trade filled in candle `lastTrade.t` of the candles the next observations are cut from
   * (negative: that many stored candles before the first of them), and the account has made `lastTrade.fills` fills
   * so far. A policy whose decisions count candles since the last trade (a decision rule's minHold) counts from
   * there, as it would have after seeing the whole run; others need not implement it.
   */
  resume?(lastTrade: LastTrade): void;
}

/** Where a run's last trade was, for Policy.resume. */
export interface LastTrade {
  t: number;
  fills: number;
}
