/** The whole config: every module's section assembled into one schema (the composition root's view). */
import { z } from 'zod';
import { mlSection } from '../nn/config.ts';
import { exchangeSection, dataSection, spotSymbolField } from '../data/config.ts';
import { accountSection } from '../market/config.ts';
import { backtestSection } from '../backtest/config.ts';
import { tradingSection } from '../trading/config.ts';
import { agentSection } from '../agents/config.ts';
import { notifySection, serverSection } from '../server/config.ts';
import { sweepSection } from '../sweep/config.ts';

const logSection = z.strictObject({
  level: z.enum(['error', 'warn', 'info', 'debug']),
  /** JSON-lines log file; empty string turns file logging off. */
  file: z.string(),
  /** The file is rotated (bot.log → bot1.log → …) before it passes this size, in bytes. */
  maxBytes: z.number().int().min(1024),
  /** Files kept, the current one included. */
  maxFiles: z.number().int().min(2),
});

export const configSchema = z.strictObject({
  exchange: exchangeSection,
  symbol: spotSymbolField,
  // a count of at least 1: "0h" used to pass here and fail later, after the store was opened
  timeframe: z.string().regex(/^[1-9]\d*[mhdw]$/, 'expected a timeframe such as 1m, 1h, 1d'),
  data: dataSection,
  log: logSection,
  account: accountSection,
  ml: mlSection,
  backtest: backtestSection,
  trading: tradingSection,
  agent: agentSection,
  server: serverSection,
  notify: notifySection,
  sweep: sweepSection,
});

export type Config = z.infer<typeof configSchema>;
