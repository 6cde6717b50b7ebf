import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ccxtLib } from '../../src/data/ccxt.ts';
import { closeLogger, createLogger, redactSecrets } from '../../src/core/log.ts';

const ccxt = ccxtLib();

test(`the logger masks environment secrets in messages, metadata, errors and credential-named fields, on console and \
in the file`, async () => {
  const secret = 'zz-TOP-secret-value-123';
  process.env.TESTEXCHANGE_API_SECRET = secret;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bot-log-')), 'bot.log');
  const captured: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const capture = ((chunk: string | Uint8Array) => (captured.push(String(chunk)), true)) as typeof process.stderr.write;
  process.stderr.write = capture;
  process.stdout.write = capture;
  try {
    const logger = createLogger({ level: 'debug', file, cap: { maxBytes: 1 << 20, maxFiles: 2 } });
    const err = new ccxt.ExchangeError(`upbit {"error":{"message":"key ${secret} refused"}}`);
    logger.info(`connecting with ${secret}`);
    logger.warn('retrying', { detail: { nested: [`x${secret}x`] }, apiKey: 'plain-key-that-is-short', error: err });
    logger.error(err.message);
    await closeLogger(logger);
  } finally {
    process.stderr.write = write;
    process.stdout.write = stdoutWrite;
    delete process.env.TESTEXCHANGE_API_SECRET;
  }
  const fileText = readFileSync(file, 'utf8');
  const consoleText = captured.join('');
  assert.equal(fileText.trim().split('\n').length, 3);
  assert.match(consoleText, /connecting with \*\*\*/);
  for (const text of [fileText, consoleText]) {
    assert.ok(!text.includes(secret), text);
    assert.ok(
      !text.includes('plain-key-that-is-short'),
      'fields named like credentials are masked whatever their value',
    );
    assert.match(text, /key \*\*\* refused/);
  }
});

test('redactSecrets masks strings that bypass the logger', () => {
  process.env.OTHER_TOKEN = 'tok-0123456789';
  try {
    assert.equal(redactSecrets('error: tok-0123456789 rejected'), 'error: *** rejected');
    assert.equal(redactSecrets('short abc', ['abc']), 'short ***');
  } finally {
    delete process.env.OTHER_TOKEN;
  }
  // a secret with a quote and a backslash, inside JSON text, where both are escaped
  process.env.OTHER_TOKEN = 'tok"0123\\456';
  try {
    assert.equal(
      redactSecrets(JSON.stringify({ error: `${process.env.OTHER_TOKEN} rejected` })),
      '{"error":"*** rejected"}',
    );
    assert.equal(redactSecrets(`raw ${process.env.OTHER_TOKEN}`), 'raw ***');
  } finally {
    delete process.env.OTHER_TOKEN;
  }
});
