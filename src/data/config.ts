/** The config sections that the data layer owns (`exchange`, `data`) and the settings it receives. */
import { z } from 'zod';

/** Where candles come from and how hard to try. `ccxt` goes as it is to the ccxt exchange constructor. */
export const exchangeSection = z.strictObject({
  id: z.string().min(1),
  ccxt: z.record(z.string(), z.unknown()),
  retries: z.number().int().min(0).max(20),
  backoffMs: z.number().int().positive(),
  maxBackoffMs: z.number().int().positive(),
  timeoutMs: z.number().int().positive(),
});

export const dataSection = z.strictObject({
  /** SQLite file holding candles and trading state. */
  database: z.string().min(1),
  /** Default start of `bot data download` when nothing is stored yet. */
  since: z.string().min(1),
});

type ExchangeSection = z.infer<typeof exchangeSection>;
type DataSection = z.infer<typeof dataSection>;

/** What talking to the exchange reads from config: the `exchange` section. */
export interface ExchangeSettings {
  exchange: ExchangeSection;
}

/** The market a command works on and where its candles are stored. */
export interface MarketDataSettings extends ExchangeSettings {
  data: DataSection;
  symbol: string;
  timeframe: string;
}
