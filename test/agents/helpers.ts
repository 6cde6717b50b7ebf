import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import winston from 'winston';
import type { Logger } from '../../src/core/log.ts';

/** Default config with test-friendly agent settings; no log file. */
export function testConfig(agent: Partial<Config['agent']> = {}, extra: Record<string, unknown> = {}): Config {
  return loadConfig({
    overrides: {
      log: { level: 'warn', file: '' },
      ml: { backend: 'wasm' },
      agent: { patience: 0, summaryEvery: 0, validateEvery: 1, ...agent },
      ...extra,
    },
  });
}

export function quietLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
