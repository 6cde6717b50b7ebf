/** The config sections that the data layer owns (`exchange`, `data`) and the settings it receives. */
import { z } from 'zod';
import { spotSymbolProblem } from '../core/market-symbol.ts';

/**
 * A market name in a file (the config's `symbol`, a recipe's or a sweep file's `symbols`): the spot-symbol parser's
 * problem, if any, is the message (`symbol: BTC/USDT:USDT is a derivative …`).
 */
export const spotSymbolField = z.string().superRefine((symbol, ctx) => {
  const problem = spotSymbolProblem(symbol);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * ccxt's credential fields (an exchange's `requiredCredentials`). Secrets come only from the environment
 * (src/core/secrets.ts), where the logger knows them and masks them; one written in a config file would be neither
 * masked nor kept out of the files a user shares, so `exchange.ccxt` refuses them.
 */
const CREDENTIAL_KEYS = [
  'apiKey',
  'secret',
  'uid',
  'login',
  'password',
  'twofa',
  'privateKey',
  'walletAddress',
  'token',
];

const ccxtOptions = z.record(z.string(), z.unknown()).superRefine((options, ctx) => {
  for (const key of CREDENTIAL_KEYS)
    if (key in options)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          'API credentials are read from the environment only (<EXCHANGE>_API_KEY and <EXCHANGE>_API_SECRET, ' +
          'or BOT_API_KEY and BOT_API_SECRET), never from a config file',
      });
});

/** Where candles come from and how hard to try. `ccxt` goes as it is to the ccxt exchange constructor. */
export const exchangeSection = z.strictObject({
  id: z.string().min(1),
  ccxt: ccxtOptions,
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
