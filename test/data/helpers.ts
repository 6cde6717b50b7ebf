import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { FakeUpbit } from '../fake-exchange/server.ts';

export function tempDir(prefix = 'bot-data-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Config pointing ccxt at the fake exchange, with quick retries and a database in `dir`. */
export function fakeConfig(
  fake: FakeUpbit | { url: string },
  dir: string,
  exchange: Record<string, unknown> = {},
): Config {
  return loadConfig({
    overrides: {
      exchange: {
        ccxt: { urls: { api: { public: fake.url, private: fake.url } } },
        retries: 4,
        backoffMs: 5,
        maxBackoffMs: 20,
        timeoutMs: 2000,
        ...exchange,
      },
      data: { database: path.join(dir, 'bot.db') },
      log: { level: 'error', file: '' },
    },
  });
}
