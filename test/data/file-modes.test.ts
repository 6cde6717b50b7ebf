/**
 * The account database and the log file are private whatever the umask: a new folder for them is 0700, a new
 * database (with its -wal and -shm files) and a new log file 0600; a database file that exists keeps its mode.
 */
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { closeLogger, createLogger } from '../../src/core/log.ts';
import { CandleStore } from '../../src/data/store.ts';
import { tempDir } from '../trading/helpers.ts';

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

test('with umask 022, a new .bot/ is 0700 and bot.db, its -wal and -shm, and bot.log are 0600', async () => {
  const tmp = tempDir('bot-modes-');
  const old = process.umask(0o022);
  try {
    const folder = path.join(tmp.dir, '.bot');
    const db = path.join(folder, 'bot.db');
    const store = CandleStore.open(db);
    store.upsert('upbit', 'BTC/KRW', '1h', [{ ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 }]);
    // before: 755 and 644, as the umask left them
    assert.deepEqual([mode(folder), mode(db), mode(`${db}-wal`), mode(`${db}-shm`)], ['700', '600', '600', '600']);
    store.close();

    const logDir = path.join(tmp.dir, 'logs');
    const logFile = path.join(logDir, 'bot.log');
    const logger = createLogger({ level: 'info', file: logFile, console: false, cap: { maxBytes: 1e6, maxFiles: 2 } });
    logger.info('hello');
    await closeLogger(logger);
    assert.deepEqual([mode(logDir), mode(logFile)], ['700', '600']);

    // a file the user made keeps the mode they gave it
    const own = path.join(tmp.dir, 'own.sqlite');
    writeFileSync(own, '', { mode: 0o640 });
    CandleStore.open(own).close();
    assert.equal(mode(own), '640');
  } finally {
    process.umask(old);
    tmp.cleanup();
  }
});
