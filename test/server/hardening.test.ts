/**
 * The server-audit findings (each test failed before its fix): percent-encoded `/api` paths skipping the bearer
 * check, DNS rebinding against a credential-less loopback server (Host not checked), environment secrets inside
 * served files (the JSON masking did not reach streamed files), event streams outliving the session that opened them,
 * fastify's own error bodies for malformed or over-long paths, and event streams without a limit; then (second
 * audit) DNS rebinding against a loopback server with credentials (the health route and login were open to it) and
 * password guessing from many addresses (the limit was per address only).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createToken, Credentials } from '../../src/server/auth.ts';
import { credentialsFor } from '../../src/server/auth.ts';
import { loadConfig } from '../../src/config/load.ts';
import { paperFixture, serve, type PaperFixture } from './fixture.ts';
import { waitFor } from '../trading/helpers.ts';

const SECRET = 'sk-live-0123456789abcdef-very-secret';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
let f: PaperFixture;

before(async () => {
  process.env.UPBIT_API_SECRET = SECRET;
  f = await paperFixture();
  const report = path.join(f.backtestsDir, 'run-a', 'report.json');
  writeFileSync(report, readFileSync(report, 'utf8').replace('"settings":{}', `"settings":{"note":"${SECRET}"}`));
  writeFileSync(path.join(f.backtestsDir, 'run-a', 'notes.txt'), `key ${SECRET}\n`);
  writeFileSync(path.join(f.backtestsDir, 'run-a', 'trades.csv'), `ts,note\n1,${SECRET}\n`);
  writeFileSync(path.join(f.backtestsDir, 'run-a', 'picture.png'), PNG);
  // a long file whose secret straddles the 64 KiB read chunks
  writeFileSync(path.join(f.backtestsDir, 'run-a', 'long.txt'), 'x'.repeat(65_536 - 10) + SECRET + '\nend\n');
});
after(() => {
  delete process.env.UPBIT_API_SECRET;
  f.cleanup();
});

interface RawReply {
  status: number;
  body: Buffer;
}

interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's own address (any 127.x.y.z on Linux): a login guesser with many addresses. */
  from?: string;
}

/** A raw request: the path and Host go out exactly as written (fetch would normalise them). */
function raw(url: string, p: string, o: RawRequest = {}): Promise<RawReply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: p,
        method: o.method ?? 'GET',
        headers: o.headers,
        ...(o.from ? { localAddress: o.from } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => {
          chunks.push(d);
          // the event stream never ends: its first frame is enough
          if (String(res.headers['content-type']).startsWith('text/event-stream')) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const login = (url: string, password: string, headers: Record<string, string> = {}, from?: string) =>
  raw(url, '/api/v1/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ password }),
    from,
  });

test('with credentials, a percent-encoded /api path is not a way around the bearer check', async () => {
  const s = await serve(f, { token: true, password: 'correct horse battery' });
  try {
    for (const p of [
      '/%61pi/v1/runs',
      '/ap%69/v1/logs?level=debug',
      '/%61%70%69/v1/backtests',
      '/%61pi/v1/backtests/run-a/files/report.json',
      '/%61pi/v1/events',
    ]) {
      for (const method of ['GET', 'HEAD']) {
        const r = await raw(s.url, p, { method });
        assert.equal(r.status, 401, `${method} ${p} → ${r.status} ${r.body.toString().slice(0, 60)}`);
      }
    }
    const ok = await raw(s.url, '/%61pi/v1/runs', { headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(ok.status, 200, 'the same path with the token is answered');
    assert.equal((await raw(s.url, '/%61pi/v1/health')).status, 200, 'health stays open');
  } finally {
    await s.server.close();
  }
});

test(`without credentials (loopback only), a request naming another host is refused: a DNS-rebinding page \
reads nothing`, async () => {
  const s = await serve(f);
  const port = new URL(s.url).port;
  try {
    for (const host of [`evil.example:${port}`, 'evil.example', `192.168.1.20:${port}`, `127.0.0.1.evil.example`]) {
      for (const p of ['/api/v1/runs', '/api/v1/logs', '/api/v1/events', '/']) {
        const r = await raw(s.url, p, { headers: { host } });
        assert.equal(r.status, 403, `Host ${host} ${p} → ${r.status}`);
        assert.match(r.body.toString(), /^\{"error":"host [^"\n]+ is not a loopback name[^\n]*"\}$/);
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, `LOCALHOST:${port}`]) {
      assert.equal((await raw(s.url, '/api/v1/runs', { headers: { host } })).status, 200, `Host ${host}`);
    }
  } finally {
    await s.server.close();
  }
  const open = await serve(f, { token: true, host: '0.0.0.0' });
  try {
    const base = open.url.replace('0.0.0.0', '127.0.0.1');
    const r = await raw(base, '/api/v1/runs', {
      headers: { host: 'bot.lan:8080', authorization: `Bearer ${open.token}` },
    });
    assert.equal(r.status, 200, 'with credentials any name reaches the server (the token guards it)');
  } finally {
    await open.server.close();
  }
});

test(`with credentials on 127.0.0.1, a request naming another host is refused too: a DNS-rebinding page neither \
reads the open health route nor tries passwords`, async () => {
  const s = await serve(f, { password: 'right-password' });
  const port = new URL(s.url).port;
  try {
    const session = JSON.parse((await login(s.url, 'right-password')).body.toString()) as { token: string };
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const bearer = { host, authorization: `Bearer ${session.token}` };
      for (const p of ['/api/v1/health', '/api/v1/runs', '/'])
        assert.equal((await raw(s.url, p, { headers: bearer })).status, 403, `Host ${host} ${p}`);
      const tried = await login(s.url, 'right-password', { host });
      assert.equal(tried.status, 403, `Host ${host} login`);
      assert.match(tried.body.toString(), /^\{"error":"host [^"\n]+ is not a loopback name[^\n]*"\}$/);
    }
    assert.equal((await raw(s.url, '/api/v1/health', { headers: { host: `localhost:${port}` } })).status, 200);
  } finally {
    await s.server.close();
  }
});

test(`password guessing from many addresses stops after 20 failures a minute in all: every login then gets 429 \
before its password is checked (the right one too); tokens and sessions keep working`, async () => {
  const s = await serve(f, { password: 'right-password' });
  try {
    const session = JSON.parse((await login(s.url, 'right-password')).body.toString()) as { token: string };
    // five a minute from each address (the per-address limit), four addresses: twenty failures
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'])
      for (let i = 0; i < 5; i++) assert.equal((await login(s.url, `guess-${from}-${i}`, {}, from)).status, 401);
    for (const password of ['another-guess', 'right-password']) {
      const r = await login(s.url, password, {}, '127.0.0.6');
      assert.equal(r.status, 429, `${password} from a fresh address`);
      assert.equal(r.body.toString(), '{"error":"too many attempts: wait a minute"}');
    }
    const runs = await raw(s.url, '/api/v1/runs', { headers: { authorization: `Bearer ${session.token}` } });
    assert.equal(runs.status, 200, 'a session made before still reads');
  } finally {
    await s.server.close();
  }
});

test('a secret from the environment inside a served file is masked; binary files are sent byte for byte', async () => {
  const s = await serve(f);
  try {
    for (const name of ['report.json', 'notes.txt', 'trades.csv', 'long.txt']) {
      const r = await raw(s.url, `/api/v1/backtests/run-a/files/${name}`);
      assert.equal(r.status, 200, name);
      const text = r.body.toString();
      assert.ok(!text.includes(SECRET), `${name} leaks the secret`);
      assert.match(text, /\*\*\*/, `${name} shows the mask`);
    }
    const long = (await raw(s.url, '/api/v1/backtests/run-a/files/long.txt')).body.toString();
    assert.equal(long, 'x'.repeat(65_536 - 10) + '***\nend\n', 'the long file whole, its secret masked');
    const png = await raw(s.url, '/api/v1/backtests/run-a/files/picture.png');
    assert.equal(png.status, 200);
    assert.deepEqual(png.body, PNG);
  } finally {
    await s.server.close();
  }
});

test('an event stream opened with a session token ends when the session expires', async () => {
  let now = Date.now();
  const credentials = new Credentials({
    password: 'correct horse battery',
    tokens: [],
    sessionHours: 1,
    clock: () => now,
  });
  const { server, url } = await serve(f, { credentials, pollMs: 50 });
  try {
    const login = await fetch(`${url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'correct horse battery' }),
    });
    const { token } = (await login.json()) as { token: string };
    const frames: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      http.get(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', (d: Buffer) => frames.push(d.toString()));
        res.on('end', resolve);
        res.on('close', resolve);
      });
      setTimeout(() => reject(new Error(`stream still open; got ${JSON.stringify(frames)}`)), 5000).unref();
    });
    await waitFor(() => /: connected/.test(frames.join('')) || undefined, 5000, 'the stream to connect');
    now += 2 * 3_600_000; // the one-hour session is over
    await f.advance(1); // the trader decides: an event the expired session must not see
    await ended;
    assert.doesNotMatch(frames.join(''), /event: decision/);
    const after = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401, 'the expired token opens no new stream');
  } finally {
    await server.close();
  }
});

test('event streams are capped (server.maxEventStreams): one more gets a one-line 503', async () => {
  const s = await serve(f, { maxEventStreams: 2 });
  const open: http.ClientRequest[] = [];
  /** Opens a stream and resolves with its status once the first bytes (or the whole refusal) arrived. */
  const stream = () =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(`${s.url}/api/v1/events`, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
          if (res.statusCode === 200) resolve({ status: 200, body });
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      open.push(req);
    });
  try {
    assert.equal((await stream()).status, 200);
    assert.equal((await stream()).status, 200);
    const refused = await stream();
    assert.equal(refused.status, 503);
    assert.deepEqual(JSON.parse(refused.body), {
      error: 'events: 2 event streams are open (server.maxEventStreams); close one',
    });
    open[0].destroy();
    await new Promise((r) => setTimeout(r, 200)); // the server sees the close
    assert.equal((await stream()).status, 200, 'a closed stream frees its place');
    const bad = await fetch(`${s.url}/api/v1/runs`);
    assert.equal(bad.status, 200, 'other routes are not affected');
  } finally {
    for (const r of open) r.destroy();
    await s.server.close();
  }
});

test("a malformed %-escape or an over-long path segment is the usual one-line error, not fastify's own", async () => {
  const s = await serve(f);
  try {
    for (const [p, status, error] of [
      ['/api/v1/runs/%ZZ', 400, 'path: not a valid URL (a malformed %-escape?)'],
      ['/api/v1/backtests/run-a/files/%E0%A4%A', 400, 'path: not a valid URL (a malformed %-escape?)'],
      [`/api/v1/models/${'a'.repeat(1500)}`, 414, 'path: a segment is too long'],
    ] as const) {
      const r = await raw(s.url, p);
      assert.equal(r.status, status, p.slice(0, 60));
      assert.deepEqual(JSON.parse(r.body.toString()), { error }, p.slice(0, 60));
    }
  } finally {
    await s.server.close();
  }
});

test('a token made while an open server runs closes it at once; a token removed stops working', async () => {
  const config = loadConfig({ overrides: { server: { tokensFile: path.join(f.dir, 'live-tokens.json') } } });
  const tokensFile = config.server.tokensFile;
  // what bot serve builds: no BOT_API_PASSWORD, no tokens file yet
  const { server, url } = await serve(f, { credentials: credentialsFor(config, {}) });
  try {
    const runs = (token?: string) =>
      fetch(`${url}/api/v1/runs`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) => r.status);
    const health = async () => ((await (await fetch(`${url}/api/v1/health`)).json()) as { auth: boolean }).auth;
    assert.equal(await runs(), 200, 'open without credentials, as started');
    assert.equal(await health(), false);
    // bot serve --new-token laptop, in another process: the running server stayed open until restarted
    const laptop = createToken(tokensFile, 'laptop').token;
    assert.equal(await runs(), 401);
    assert.equal(await runs(laptop), 200);
    assert.equal(await health(), true);
    const phone = createToken(tokensFile, 'phone').token;
    const file = JSON.parse(readFileSync(tokensFile, 'utf8')) as { tokens: { label: string }[] };
    writeFileSync(tokensFile, JSON.stringify({ tokens: file.tokens.filter((t) => t.label !== 'laptop') }));
    assert.equal(await runs(laptop), 401, 'a token taken out of the file is refused');
    assert.equal(await runs(phone), 200);
    // a hand edit that breaks the file never opens the server: the tokens last read still hold
    writeFileSync(tokensFile, '{"tokens": [');
    assert.equal(await runs(), 401);
    assert.equal(await runs(phone), 200);
  } finally {
    await server.close();
  }
});

test(`a query on the event stream, login or a command is a one-line 400, as on every other API route (it was \
ignored)`, async () => {
  const s = await serve(f, { password: 'hunter22-password', token: true });
  const auth = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
  try {
    for (const [p, method, body] of [
      ['/api/v1/events?x=1', 'GET', undefined],
      ['/api/v1/login?x=1', 'POST', JSON.stringify({ password: 'hunter22-password' })],
      [`/api/v1/runs/${f.runId}/commands?x=1`, 'POST', JSON.stringify({ kind: 'pause' })],
    ] as const) {
      const r = await raw(s.url, p, { method, headers: auth, body });
      assert.equal(r.status, 400, p);
      assert.match((JSON.parse(r.body.toString()) as { error: string }).error, /^query x: /, p);
    }
  } finally {
    await s.server.close();
  }
});
