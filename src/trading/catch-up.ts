/**
 * A tick's catch-up after downtime (single-market and portfolio traders alike): the candle times not yet acted on,
 * oldest first, each its own transaction, with the event loop let in and a stop asked for between slices of them.
 */

/** A decision as a tick reports it. */
interface ReportedDecision {
  ts: number;
  action: string;
  confidence: number;
}

/** Candle times of a catch-up acted on between two looks at shouldStop (and at signals). */
const CATCH_UP_SLICE = 64;

/**
 * Acts on `count` candle times through `act(i)` (i = 0 the oldest), counting each in `report`. Every CATCH_UP_SLICE
 * of them it lets the event loop in and asks `shouldStop`; true stops after the time done (report.interrupted).
 */
export async function catchUp(
  count: number,
  report: { acted: number; interrupted?: boolean; decisions: ReportedDecision[] },
  shouldStop: (() => boolean) | undefined,
  act: (i: number) => ReportedDecision,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (report.acted > 0 && report.acted % CATCH_UP_SLICE === 0) {
      // every candle time is its own transaction, so a stop between two is safe and the next tick resumes exactly
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (shouldStop?.()) {
        report.interrupted = true;
        break;
      }
    }
    const decision = act(i);
    report.acted++;
    report.decisions.push(decision);
  }
}
