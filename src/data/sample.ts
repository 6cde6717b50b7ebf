/** The bundled sample series (S&P 500 daily from vega-datasets). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import { candlesFromRows, type Candles } from '../core/candles.ts';
import { parseCandlesCsv } from './csv.ts';

export const SAMPLE_EXCHANGE = 'sample';
export const SAMPLE_SYMBOL = 'SP500/USD';
const SAMPLE_TIMEFRAME = '1d';

/** vega-datasets' S&P 500 daily file (2000-01-03 … 2020-04-17), located through the package's own entry point. */
function sampleFile(): string {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve('vega-datasets'));
  } catch {
    throw new UserError('the bundled sample needs the vega-datasets package; run npm ci');
  }
  let dir = path.dirname(entry);
  while (path.basename(dir) !== 'vega-datasets' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'data', 'sp500-2000.csv');
}

/**
 * Whether an exchange id names an origin held only in the candle store: the bundled sample's series, stored by `bot
 * data derive --exchange sample` (or imported under it). No exchange serves them: nothing is fetched, and nothing
 * new ever arrives.
 */
export const storedOnly = (exchange: string): boolean => exchange === SAMPLE_EXCHANGE;

/** Whether a series names the bundled sample (exchange `sample`, `SP500/USD`, `1d`). */
export function isSampleSeries(exchange: string, symbol: string, timeframe: string): boolean {
  return exchange === SAMPLE_EXCHANGE && symbol === SAMPLE_SYMBOL && timeframe === SAMPLE_TIMEFRAME;
}

let cached: Candles | undefined;

/** The bundled offline sample: S&P 500 daily candles, exchange `sample`, symbol `SP500/USD`, timeframe `1d`. */
export function loadSample(): Candles {
  if (!cached) {
    const file = sampleFile();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UserError(`the bundled sample ${file} cannot be read; run npm ci`);
    }
    cached = candlesFromRows(
      SAMPLE_EXCHANGE,
      SAMPLE_SYMBOL,
      SAMPLE_TIMEFRAME,
      parseCandlesCsv(text, { timeframe: SAMPLE_TIMEFRAME, file }),
    );
  }
  return cached;
}
