/** An unknown exchange.id stops a trading session before its database is opened (made). */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { UserError } from '../../src/core/errors.ts';
import { openPortfolioSession } from '../../src/trading/portfolio-session.ts';
import { openTradingSession } from '../../src/trading/session.ts';
import { quietLogger, tempDir } from './helpers.ts';

test('an unknown exchange.id is one line and leaves no database behind (one market and a portfolio)', async () => {
  const tmp = tempDir();
  try {
    const database = path.join(tmp.dir, 'runs', 'bot.db');
    const config = loadConfig({ overrides: { exchange: { id: 'nosuchex' }, data: { database }, log: { file: '' } } });
    const unknown = (e: unknown) =>
      e instanceof UserError && /^exchange\.id: unknown exchange "nosuchex"/.test(e.message);
    const common = {
      config,
      logger: quietLogger(),
      mode: 'paper' as const,
      name: 'x',
      clock: () => Date.UTC(2024, 0, 2),
    };
    await assert.rejects(openTradingSession({ ...common, policy: { strategy: 'sma-cross' } }), unknown);
    await assert.rejects(
      openPortfolioSession({
        ...common,
        symbols: ['A/KRW', 'B/KRW'],
        every: 20,
        band: 0.01,
        strategy: 'equal-weight',
      }),
      unknown,
    );
    // the database (and its folder) used to be made before the exchange was looked up
    assert.equal(existsSync(path.dirname(database)), false);
  } finally {
    tmp.cleanup();
  }
});
