import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { UserError } from '../../src/core/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-config-'));
function configFile(content: unknown): string {
  const f = path.join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(content));
  return f;
}

test('default config validates and names Upbit BTC/KRW 1h', () => {
  const c = loadConfig();
  assert.equal(c.exchange.id, 'upbit');
  assert.equal(c.symbol, 'BTC/KRW');
  assert.equal(c.timeframe, '1h');
});

test('a config file layers over the default and flags over both', () => {
  const f = configFile({ timeframe: '1d', account: { balance: 123456 } });
  const c = loadConfig({ configFile: f, overrides: { timeframe: '4h' } });
  assert.equal(c.timeframe, '4h');
  assert.equal(c.account.balance, 123456);
  assert.equal(c.account.feeRate, 0.0005);
});

test('an unknown key is named in a one-line error', () => {
  const f = configFile({ exchange: { colour: 'red' } });
  assert.throws(
    () => loadConfig({ configFile: f }),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /exchange\.colour: unknown key/);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
});

test('a misspelt key is told the key it probably meant, at the top level and inside a section', () => {
  // a typo used to get "unknown key" and nothing more
  assert.throws(
    () => loadConfig({ configFile: configFile({ acount: { balance: 1000 } }) }),
    (e: unknown) => e instanceof UserError && /acount: unknown key, did you mean account\?$/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ configFile: configFile({ account: { minOrderVal: 10 } }) }),
    /account\.minOrderVal: unknown key, did you mean minOrderValue\?$/,
  );
  // nothing close: no guess
  assert.throws(
    () => loadConfig({ configFile: configFile({ exchange: { colour: 'red' } }) }),
    /exchange\.colour: unknown key$/,
  );
});

test('a config file that does not exist is "no such file", a folder is named as one', () => {
  const missing = path.join(dir, 'nope.json');
  assert.throws(
    () => loadConfig({ configFile: missing }),
    (e: unknown) => e instanceof UserError && e.message === `config file ${missing}: no such file`,
  );
  assert.throws(() => loadConfig({ configFile: dir }), /is a folder, not a JSON file$/);
});

test('a wrong type and a bad value are named', () => {
  assert.throws(
    () => loadConfig({ configFile: configFile({ account: { balance: 'lots' } }) }),
    /account\.balance: .*number/,
  );
  assert.throws(() => loadConfig({ configFile: configFile({ account: { feeRate: -1 } }) }), /account\.feeRate/);
  assert.throws(
    () => loadConfig({ configFile: configFile({ timeframe: 'hourly' }) }),
    /timeframe: expected a timeframe/,
  );
  // "0h" passed the schema and failed later, after `bot data gaps` had opened (and created) the store
  assert.throws(() => loadConfig({ overrides: { timeframe: '0h' } }), /timeframe: expected a timeframe/);
});

test('trading.lateCandleWaitSeconds defaults to 60 s; a negative, fractional or over-600 value is named', () => {
  assert.equal(loadConfig().trading.lateCandleWaitSeconds, 60);
  for (const bad of [-1, 1.5, 601, 'soon'])
    assert.throws(
      () => loadConfig({ configFile: configFile({ trading: { lateCandleWaitSeconds: bad } }) }),
      /trading\.lateCandleWaitSeconds/,
    );
});

test('a config file that is not JSON (YAML, say) is refused in one line', () => {
  const f = path.join(dir, 'config.yaml');
  writeFileSync(f, 'exchange:\n  id: upbit\n');
  // V8's message quotes the start of the file, newline included: it used to print as two lines
  assert.throws(
    () => loadConfig({ configFile: f }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.startsWith(`config file ${f} is not valid JSON (config files are JSON, not YAML): `) &&
      !e.message.includes('\n'),
  );
});

test('API credentials in exchange.ccxt are refused in one line naming the key, without echoing the value', () => {
  for (const key of ['apiKey', 'secret', 'password']) {
    const secret = 'sk-live-0123456789abcdef';
    assert.throws(
      () => loadConfig({ configFile: configFile({ exchange: { ccxt: { [key]: secret } } }) }),
      (e: unknown) =>
        e instanceof UserError &&
        e.message.includes(`: exchange.ccxt.${key}: API credentials are read from the environment only`) &&
        !e.message.includes(secret) &&
        !e.message.includes('\n'),
    );
  }
});

test('ccxt options pass through as an object', () => {
  const c = loadConfig({ overrides: { exchange: { ccxt: { urls: { api: { public: 'http://127.0.0.1:1' } } } } } });
  assert.deepEqual(c.exchange.ccxt, { urls: { api: { public: 'http://127.0.0.1:1' } } });
});
