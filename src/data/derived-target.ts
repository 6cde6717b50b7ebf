/**
 * The refusal to write fetched or imported candles into a series `bot data derive` built: every writer of real
 * prices (`bot data download` and `import`, downloadToStore's other callers, a paper or live trader's backfill)
 * checks it before it asks the exchange or writes anything.
 */
import { UserError } from '../core/errors.ts';
import type { CandleStore } from './store.ts';

class DerivedTargetError extends UserError {
  override name = 'DerivedTargetError';
}

/**
 * Throws DerivedTargetError when `series` holds a derived series: real prices under its "derived" label would mix two
 * kinds of candles, and the next derive would replace the whole series, the real ones with it, without a word. A
 * download into a derived series that shares a real market's name (`BTC/KRW` derived from an index) got that market's
 * prices. `then`: what to do instead (default: derive it again, or download/import under another --symbol).
 */
export function refuseDerivedTarget(
  store: CandleStore,
  series: { exchange: string; symbol: string; timeframe: string },
  verb: 'download' | 'import',
  then = `\`bot data derive\` rebuilds it from its index, or ${verb} under another --symbol`,
): void {
  const { exchange, symbol, timeframe } = series;
  const label = store.label(exchange, symbol, timeframe);
  if (label === undefined) return;
  throw new DerivedTargetError(
    `${exchange} ${symbol} ${timeframe} is ${label}: ${verb === 'import' ? 'an' : 'a'} ${verb} into it would mix ` +
      `real prices with derived ones; nothing stored: ${then}`,
  );
}
