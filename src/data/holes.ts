/**
 * Which gaps of a series are holes, candles missing where its market usually has one (an exchange down, an interval
 * without trades), rather than the market's closed hours (a stock market's nights, weekends and lunch breaks), for
 * `bot chart`'s notice that a window it draws side by side is not contiguous (audit of chart images, session 39).
 *
 * The data layer keeps no market calendar (`bot data gaps` lists session gaps as gaps), so the series is its own: a
 * gap is closed hours when the same stretch of the week, between the candles either side of it, holds no candle in
 * more than 1 − USUAL_SHARE of the series' other weeks (those with candles, the stretch within the series' span); else
 * it is a hole, named whole. Holidays on a weekday the market trades are holes by this rule (nothing in the data tells
 * them from a day's outage); a series of a single week has no other week to go by, so each of its gaps is a hole, as
 * `bot data gaps` has it; so is every gap of candles a week or longer, and a gap of a week or more. The whole series
 * is used, later weeks too: this is a note for people, never a model's input.
 */
import { firstAtOrAfter } from '../core/candles.ts';
import { gapAfter, type GapRange } from './gap-range.ts';
import { stepSlack, timeframeMs } from './timeframe.ts';

const WEEK = 7 * 86_400_000;

/**
 * The share of other weeks holding a candle in a gap's stretch of the week that makes it the market's usual hours:
 * high, so that a stretch a daylight saving change moves in and out of a stock market's session in UTC (traded in
 * some of the year's weeks) reads as closed, while an exchange trading around the clock has candles there nearly
 * every week.
 */
const USUAL_SHARE = 0.9;

/** The holes among the gaps between candles `first` … `last` (indices) of a series, oldest first. */
type HolesIn = (first: number, last: number) => GapRange[];

/** A series' hole finder: `ts` its candles' open times (ascending), `timeframe` theirs. */
export function seriesHoles(ts: Float64Array, timeframe: string): HolesIn {
  const step = timeframeMs(timeframe);
  // a gap's stretch runs from its first missing candle to the next candle, both taken the importer's slack early (an
  // hour for daily candles: other weeks' candles may sit an hour off across a daylight saving change)
  const slack = stepSlack(step);
  const start = ts[0];
  const end = ts[ts.length - 1] + step;
  const candlesIn = (from: number, to: number) => firstAtOrAfter(ts, to) - firstAtOrAfter(ts, from);
  const isHole = (g: GapRange): boolean => {
    if (step >= WEEK || g.to - g.from >= WEEK) return true;
    const from = g.from - slack;
    const to = g.to - slack;
    let weeks = 0;
    let traded = 0;
    // the same stretch k weeks before or after, wholly within the series, in a week with candles
    for (let k = Math.ceil((start - from) / WEEK); to + k * WEEK <= end; k++) {
      const d = k * WEEK;
      if (k === 0 || candlesIn(from + d - WEEK / 2, from + d + WEEK / 2) === 0) continue;
      weeks++;
      if (candlesIn(from + d, to + d) > 0) traded++;
    }
    return weeks === 0 || traded >= USUAL_SHARE * weeks;
  };
  return (first, last) => {
    const holes: GapRange[] = [];
    for (let i = Math.max(first, 0) + 1; i <= last; i++) {
      const g = gapAfter(ts[i - 1], ts[i], step);
      if (g && isHole(g)) holes.push(g);
    }
    return holes;
  };
}
