/**
 * Candles 0…t of a series as a policy may see them: views of copies that hold only the candles revealed so far, so a
 * rule reaching the view's `.buffer` (a `subarray` of the whole series would hand it every later candle) finds
 * nothing after the present.
 */
import type { Candles } from '../core/candles.ts';

const COLUMNS = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;
type Column = (typeof COLUMNS)[number];

/** One column's copy: candles 0…revealed − 1, the rest of its room NaN. */
interface Revealed {
  buf: Float64Array;
  revealed: number;
}

/**
 * The revealed copies of one series, made per column when first read and appended to as t advances (room grown by
 * doubling), so cutting at every candle in turn costs O(1) per candle. Cutting below what was revealed starts a fresh
 * copy: a view handed out earlier keeps its own, which never holds more than was revealed when it was used.
 */
export class RevealedSeries {
  readonly #series: Candles;
  readonly #columns: Partial<Record<Column, Revealed>> = {};

  constructor(series: Candles) {
    this.#series = series;
  }

  /** Candles 0…end − 1, each column a view made when first read (a rule reading only `close` makes one). */
  through(end: number): Candles {
    return new CandlesThrough(this, this.#series, end);
  }

  /** Column `c` of candles 0…end − 1, a view of its revealed copy. */
  column(c: Column, end: number): Float64Array {
    const src = this.#series[c];
    let r = this.#columns[c];
    if (!r || end < r.revealed) r = this.#columns[c] = { buf: room(0, end), revealed: 0 };
    if (end > r.buf.length) {
      const buf = room(r.buf.length * 2, end);
      buf.set(r.buf.subarray(0, r.revealed));
      r.buf = buf;
    }
    if (end > r.revealed) {
      r.buf.set(src.subarray(r.revealed, end), r.revealed);
      r.revealed = end;
    }
    return r.buf.subarray(0, end);
  }
}

/** A NaN-filled copy room of at least `need` (and `want`) values. */
function room(want: number, need: number): Float64Array {
  return new Float64Array(Math.max(want, need, 16)).fill(NaN);
}

/**
 * Candles 0…end − 1 of a series, each column a view made when first read (a rule reading only `ts` or `close` at every
 * candle makes one view, not six). The series and its copies are private fields: unreachable from the policy.
 */
class CandlesThrough implements Candles {
  readonly #revealed: RevealedSeries;
  readonly #end: number;
  readonly #views: Partial<Record<Column, Float64Array>> = {};
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: string;
  // getters on the prototype, defined below for every column
  declare readonly ts: Float64Array;
  declare readonly open: Float64Array;
  declare readonly high: Float64Array;
  declare readonly low: Float64Array;
  declare readonly close: Float64Array;
  declare readonly volume: Float64Array;

  static {
    for (const c of COLUMNS) {
      Object.defineProperty(CandlesThrough.prototype, c, {
        get(this: CandlesThrough): Float64Array {
          return (this.#views[c] ??= this.#revealed.column(c, this.#end));
        },
      });
    }
  }

  constructor(revealed: RevealedSeries, series: Candles, end: number) {
    this.#revealed = revealed;
    this.#end = end;
    this.exchange = series.exchange;
    this.symbol = series.symbol;
    this.timeframe = series.timeframe;
  }
}
