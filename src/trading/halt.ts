/** Stopping a live run after recording the orders it sent (the halt itself is core's HaltError). */
import { HaltError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { shortError } from '../data/exchange.ts';

/**
 * Stops a halted live run, after recording the orders it already sent: it places nothing, but an order left
 * `submitting` by a lost reply would otherwise stay out of the account, and out of `bot status`, for as long as the
 * halt lasts. `settleSubmitting` settles them and returns its notes; a failure there is logged and the run still stops.
 */
export async function haltAfterSettling(
  reason: string,
  settleSubmitting: () => Promise<string[]>,
  logger: Logger,
): Promise<never> {
  try {
    for (const note of await settleSubmitting()) logger.warn(`reconcile: ${note}`);
  } catch (e) {
    logger.error(`halted; orders left submitting are settled at the next start: ${shortError(e)}`);
  }
  throw new HaltError(reason);
}
