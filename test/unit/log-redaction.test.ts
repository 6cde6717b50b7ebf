import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ccxtLib } from '../../src/data/ccxt.ts';
import { closeLogger, createLogger } from '../../src/core/log.ts';
import { redactSecrets } from '../../src/core/redact.ts';

const ccxt = ccxtLib();

/**
 * What a logger writing to a new file writes, with `name` set to `secret` in the environment while it logs: the
 * file's text and what reached stderr.
 */
async function logged(
  name: string,
  secret: string,
  logs: (logger: ReturnType<typeof createLogger>) => void,
): Promise<{ text: string; consoleText: string }> {
  process.env[name] = secret;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bot-log-')), 'bot.log');
  const captured: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (captured.push(String(chunk)), true)) as typeof write;
  try {
    const logger = createLogger({ level: 'debug', file, cap: { maxBytes: 1 << 20, maxFiles: 2 } });
    logs(logger);
    await closeLogger(logger);
  } finally {
    process.stderr.write = write;
    delete process.env[name];
  }
  return { text: readFileSync(file, 'utf8'), consoleText: captured.join('') };
}

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

test(`the logger masks a secret nested deeper than a few levels, and an entry with a cycle is masked and written \
whole, on console and in the file`, async () => {
  const secret = 'deep-secret-value-4711';
  const { text, consoleText } = await logged('TESTEXCHANGE_API_SECRET', secret, (logger) => {
    // 8 levels of objects and arrays down to the secret: the masking walk stopped at 6 and wrote it as it was
    let deep: unknown = { note: `key ${secret} refused`, price: 94511000 };
    for (let i = 0; i < 8; i++) deep = i % 2 ? [deep] : { inner: deep };
    const cyclic: Record<string, unknown> = { note: `again ${secret}` };
    cyclic.self = cyclic;
    logger.warn('deep', { deep });
    logger.warn('cyclic', { cyclic, shared: [deep, deep] });
  });
  assert.ok(!text.includes(secret), text);
  // the console line is JSON.stringify's: a cycle left in the masked copy threw out of logger.warn
  assert.ok(!consoleText.includes(secret), consoleText);
  assert.match(consoleText, /warn cyclic \{"cyclic":\{"note":"again \*\*\*","self":"\[Circular\]"\}/);
  const [first, second] = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  let inner: unknown = first.deep;
  for (let i = 7; i >= 0; i--) inner = i % 2 ? (inner as unknown[])[0] : (inner as { inner: unknown }).inner;
  assert.deepEqual(inner, { note: 'key *** refused', price: 94511000 });
  assert.deepEqual(second.cyclic, { note: 'again ***', self: '[Circular]' });
  assert.deepEqual((second.shared as unknown[])[1], first.deep, 'an object logged twice is written twice');
});

test(`a Date in a log entry is written as JSON.stringify writes it, its ISO time, with a secret in a toJSON \
masked`, async () => {
  const secret = 'json-secret-value-4711';
  process.env.TESTEXCHANGE_API_SECRET = secret;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bot-log-')), 'bot.log');
  try {
    const logger = createLogger({ level: 'debug', file, cap: { maxBytes: 1 << 20, maxFiles: 2 }, console: false });
    const own = { toJSON: () => ({ note: `own ${secret}` }) };
    const broken = {
      note: 'kept',
      toJSON: () => {
        throw new Error('no');
      },
    };
    logger.info('dated', { at: new Date(0), own, broken });
    await closeLogger(logger);
  } finally {
    delete process.env.TESTEXCHANGE_API_SECRET;
  }
  const entry = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // the walk copied a Date's own fields, none: `{}`
  assert.equal(entry.at, '1970-01-01T00:00:00.000Z');
  assert.deepEqual(entry.own, { note: 'own ***' });
  assert.deepEqual(entry.broken, { note: 'kept' }, 'a toJSON that throws leaves the fields');
});

test(`a secret written URL-encoded (encodeURIComponent's form or the stricter query-string one) or in base64 \
(standard, padded or not, and URL-safe) is masked on the command line's output and in the log; a short extra secret \
only as it is`, async () => {
  // a base64-looking key, as some exchanges issue, with a character encodeURIComponent leaves as it is
  const secret = 'Kx+9/ab=Q!z(7)~é';
  const url = encodeURIComponent(secret);
  const strict = 'Kx%2B9%2Fab%3DQ%21z%287%29~%C3%A9';
  const base64 = Buffer.from(secret).toString('base64');
  const base64url = Buffer.from(secret).toString('base64url');
  assert.notEqual(url, secret);
  assert.notEqual(url, strict);
  assert.notEqual(base64.replace(/=+$/, ''), base64url);
  process.env.OTHER_TOKEN = secret;
  try {
    assert.equal(
      redactSecrets(`GET /api?key=${url}&sig=1 failed`),
      'GET /api?key=***&sig=1 failed',
      'encodeURIComponent',
    );
    assert.equal(redactSecrets(`GET /api?key=${strict}&sig=1`), 'GET /api?key=***&sig=1', 'query-string encoding');
    assert.equal(redactSecrets(`Basic ${base64}`), 'Basic ***=', 'base64, masked up to its padding');
    assert.equal(redactSecrets(`token ${base64url} x`), 'token *** x', 'URL-safe base64');
    // a short extra secret is no word to mask encoded: its base64 could be any short run of letters
    assert.equal(redactSecrets(`a ${Buffer.from('abc').toString('base64')} abc`, ['abc']), 'a YWJj ***');
  } finally {
    delete process.env.OTHER_TOKEN;
  }
  const { text: fileText, consoleText } = await logged('OTHER_TOKEN', secret, (logger) =>
    logger.error(`fetch failed: https://x.test/api?key=${url}`, { header: `Basic ${base64}` }),
  );
  for (const text of [fileText, consoleText]) {
    assert.match(text, /api\?key=\*\*\*/);
    assert.match(text, /Basic \*\*\*=/);
    for (const form of [url, base64.replace(/=+$/, '')]) assert.ok(!text.includes(form), text);
  }
});
