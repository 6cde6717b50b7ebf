/**
 * Secret masking keeps the dashboard's JSON valid: an environment secret of digits that also appears as a number in
 * the data (a price, a timestamp) stays a number in API answers, log entries and server-sent events, while a secret
 * inside a string is still masked; a served JSON report stays JSON too, byte for byte but for the masked string, and
 * so does `bot status --json`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runBot } from '../trading/cli.ts';
import { HOUR, paperFixture, serve, type PaperFixture, type Served } from './fixture.ts';

let f: PaperFixture;
let s: Served;

before(async () => {
  f = await paperFixture();
  s = await serve(f);
});
after(async () => {
  delete process.env.BOT_API_PASSWORD;
  await s.server.close();
  f.cleanup();
});

async function getText(p: string): Promise<string> {
  const r = await fetch(s.url + p);
  assert.equal(r.status, 200, p);
  return r.text();
}

test('a secret equal to a number in the data leaves API answers valid JSON, the number as it was', async () => {
  const plain = await getText(`/api/v1/runs/${f.runId}/equity?limit=1`);
  const price = (JSON.parse(plain) as { points: { price: number }[] }).points[0].price;
  assert.ok(String(price).length >= 8, `price ${price} is long enough to count as a secret`);
  process.env.BOT_API_PASSWORD = String(price);
  try {
    for (const p of [`/api/v1/runs/${f.runId}/equity?limit=1`, '/api/v1/runs', `/api/v1/runs/${f.runId}`]) {
      const body = await getText(p);
      assert.doesNotThrow(() => JSON.parse(body), `${p} is not JSON: ${body.slice(0, 200)}`);
    }
    assert.equal(await getText(`/api/v1/runs/${f.runId}/equity?limit=1`), plain);
  } finally {
    delete process.env.BOT_API_PASSWORD;
  }
});

test('a log entry holding the secret as a number is kept; the secret inside its message is masked', async () => {
  process.env.BOT_API_PASSWORD = '94511000';
  try {
    appendFileSync(
      f.logFile,
      JSON.stringify({ level: 'error', message: 'login 94511000 failed', price: 94511000 }) + '\n',
    );
    const body = JSON.parse(await getText('/api/v1/logs?level=error')) as { entries: Record<string, unknown>[] };
    const last = body.entries[body.entries.length - 1];
    assert.deepEqual({ message: last.message, price: last.price }, { message: 'login *** failed', price: 94511000 });
  } finally {
    delete process.env.BOT_API_PASSWORD;
  }
});

test('a server-sent event whose timestamp equals a secret still parses', async () => {
  const next = Number(f.repo.list()[0].lastTs) + HOUR;
  process.env.BOT_API_PASSWORD = String(next);
  try {
    const frames = new Promise<string>((resolve, reject) => {
      const req = http.get(`${s.url}/api/v1/events`, (res) => {
        let buf = '';
        let advanced = false;
        res.on('data', (d: Buffer) => {
          buf += d.toString();
          if (/^: connected$/m.test(buf) && !advanced) {
            advanced = true;
            f.advance(1).catch(reject);
          }
          const decision = /^event: decision\ndata: (.*)$/m.exec(buf);
          if (decision) {
            req.destroy();
            resolve(decision[1]);
          }
        });
      });
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    });
    const data = JSON.parse(await frames) as { ts: number };
    assert.equal(data.ts, next);
  } finally {
    delete process.env.BOT_API_PASSWORD;
  }
});

test(`a served report.json holding a number equal to the secret stays JSON, as written but for the masked string; \
a CSV beside it is masked as text`, async () => {
  const dir = path.join(f.backtestsDir, 'run-a');
  const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
  report.settings = { note: 'key 94511000 here', price: 94511000 };
  // laid out as a person reads it, with an id beyond a double's precision: neither is rewritten when served
  const written = JSON.stringify(report, null, 2).replace(
    '"price": 94511000',
    '"price": 94511000, "id": 12345678901234567890123',
  );
  writeFileSync(path.join(dir, 'report.json'), written);
  writeFileSync(path.join(dir, 'notes.csv'), 'price,note\n94511000,key 94511000\n');
  process.env.BOT_API_PASSWORD = '94511000';
  try {
    const body = await getText('/api/v1/backtests/run-a/files/report.json');
    assert.doesNotThrow(() => JSON.parse(body), `the served report is not JSON: ${body.slice(0, 300)}`);
    assert.equal(body, written.replace('key 94511000 here', 'key *** here'));
    assert.equal(await getText('/api/v1/backtests/run-a/files/notes.csv'), 'price,note\n***,key ***\n');
  } finally {
    delete process.env.BOT_API_PASSWORD;
  }
});

test(`bot status --json masks a secret quoted in a halt reason; a price equal to another secret stays a \
number`, async () => {
  const plain = await runBot(['status', '--json', '--db', f.dbFile]);
  assert.equal(plain.code, 0, plain.stderr);
  const price = (JSON.parse(plain.stdout) as { lastDecisions: { price: number }[] }).lastDecisions[0].price;
  assert.ok(String(price).length >= 8, `price ${price} is long enough to count as a secret`);
  const key = 'sk-live-status-secret-0123';
  f.repo.db.prepare('UPDATE trading_runs SET halted = ? WHERE id = ?').run(`exchange refused key ${key}`, f.runId);
  try {
    const r = await runBot(['status', '--json', '--db', f.dbFile], {
      UPBIT_API_SECRET: key,
      BOT_API_PASSWORD: String(price),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(key), r.stdout);
    const s = JSON.parse(r.stdout) as { halted: string; lastDecisions: { price: number }[] };
    assert.equal(s.halted, 'exchange refused key ***');
    assert.equal(s.lastDecisions[0].price, price);
  } finally {
    f.repo.db.prepare('UPDATE trading_runs SET halted = NULL WHERE id = ?').run(f.runId);
  }
});
