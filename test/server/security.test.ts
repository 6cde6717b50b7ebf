/**
 * The dashboard's security model (issue 15): loopback unless credentials exist, bearer tokens on every API route when
 * they do, control always authenticated, login rate-limited, CORS off, no file outside backtests/ and models/
 * (encoded dots and slashes, absolute paths, symlinks), no environment secret in any response.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { dashboardUrl, runBot, startBot } from '../trading/cli.ts';
import { paperFixture, rawGet, serve, type PaperFixture } from './fixture.ts';
import { createToken } from '../../src/server/auth.ts';

const SECRET = 'sk-live-0123456789abcdef-very-secret';
let f: PaperFixture;

before(async () => {
  process.env.UPBIT_API_SECRET = SECRET;
  f = await paperFixture();
  // the secret sits in a log line and in a report, as a careless file might hold it
  writeFileSync(
    f.logFile,
    readFileSync(f.logFile, 'utf8') + JSON.stringify({ level: 'error', message: `oops ${SECRET}` }) + '\n',
  );
  const report = path.join(f.backtestsDir, 'run-a', 'report.json');
  writeFileSync(report, readFileSync(report, 'utf8').replace('"settings":{}', `"settings":{"note":"${SECRET}"}`));
  writeFileSync(path.join(f.dir, 'outside.txt'), 'OUTSIDE-CONTENT');
  symlinkSync(path.join(f.dir, 'outside.txt'), path.join(f.backtestsDir, 'run-a', 'link.txt'));
  mkdirSync(path.join(f.dir, 'elsewhere'));
  writeFileSync(path.join(f.dir, 'elsewhere', 'x.json'), '{"outside":"OUTSIDE-CONTENT"}');
  symlinkSync(path.join(f.dir, 'elsewhere'), path.join(f.backtestsDir, 'run-a', 'linkdir'));
  symlinkSync(path.join(f.dir, 'elsewhere'), path.join(f.backtestsDir, 'escape'));
  // a model home whose version folder and CURRENT are symlinks out of models/ (an unpacked archive may hold them)
  const linked = path.join(f.modelsDir, 'linked');
  mkdirSync(path.join(linked, 'versions', 'v1'), { recursive: true });
  writeFileSync(path.join(linked, 'versions', 'v1', 'meta.json'), '{"createdAt":"2024-01-01T00:00:00Z"}');
  mkdirSync(path.join(f.dir, 'model-elsewhere'));
  writeFileSync(path.join(f.dir, 'model-elsewhere', 'meta.json'), '{"metrics":{"note":"OUTSIDE-CONTENT"}}');
  symlinkSync(path.join(f.dir, 'model-elsewhere'), path.join(linked, 'versions', 'v9'));
  writeFileSync(path.join(f.dir, 'pointer-elsewhere'), 'OUTSIDEPOINTER\n');
  symlinkSync(path.join(f.dir, 'pointer-elsewhere'), path.join(linked, 'CURRENT'));
});
after(() => {
  delete process.env.UPBIT_API_SECRET;
  f.cleanup();
});

/** A raw request: the path goes out exactly as written (fetch would normalise `..`). */
const raw = rawGet;

test(`no credentials: a non-loopback host is refused in one line; the API reads on loopback, control is \
refused`, async () => {
  const r = await runBot(['serve', '--host', '0.0.0.0', '--port', '0', '--db', f.dbFile], { BOT_API_PASSWORD: '' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without credentials: set BOT_API_PASSWORD/);
  const s = await serve(f);
  try {
    assert.equal((await fetch(`${s.url}/api/v1/runs`)).status, 200);
    const res = await fetch(`${s.url}/api/v1/runs/${f.runId}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"kind":"halt"}',
    });
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: string }).error, /control needs credentials/);
    assert.equal(
      (f.repo.db.prepare('SELECT count(*) AS n FROM trading_commands').get() as { n: number }).n,
      0,
      'nothing queued',
    );
  } finally {
    await s.server.close();
  }
});

test(`with credentials: every API route wants the bearer token (wrong token 401, scheme in any case); password login \
is rate-limited`, async () => {
  const s = await serve(f, { token: true, password: 'correct horse battery', host: '0.0.0.0' });
  const base = s.url.replace('0.0.0.0', '127.0.0.1');
  try {
    for (const p of [
      '/api/v1/runs',
      `/api/v1/runs/${f.runId}/decisions`,
      '/api/v1/backtests',
      '/api/v1/models',
      '/api/v1/logs',
      '/api/v1/events',
    ]) {
      assert.equal((await fetch(base + p)).status, 401, p);
      assert.equal(
        (await fetch(base + p, { headers: { authorization: 'Bearer bot_wrongwrongwrongwrong' } })).status,
        401,
        p,
      );
    }
    // the scheme is case-insensitive (RFC 7235): before, `bearer …` and `BEARER …` were refused as invalid tokens
    for (const scheme of ['Bearer', 'bearer', 'BEARER'])
      assert.equal(
        (await fetch(`${base}/api/v1/runs`, { headers: { authorization: `${scheme} ${s.token}` } })).status,
        200,
      );
    assert.equal((await fetch(`${base}/api/v1/health`)).status, 200, 'health stays open');
    const login = (password: string) =>
      fetch(`${base}/api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password }),
      });
    assert.equal((await login('wrong password')).status, 401);
    const ok = await login('correct horse battery');
    assert.equal(ok.status, 200);
    const { token } = (await ok.json()) as { token: string };
    const cmd = await fetch(`${base}/api/v1/runs/${f.runId}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"kind":"resume"}',
    });
    assert.equal(cmd.status, 202);
    assert.match(
      ((await cmd.json()) as { command: { requestedBy: string } }).command.requestedBy,
      /^session:[0-9a-f]{8}@127\.0\.0\.1$/,
    );
    let limited = 0;
    for (let k = 0; k < 6; k++) if ((await login('guess ' + k)).status === 429) limited++;
    assert.ok(limited >= 3, `login attempts beyond 5 a minute are refused (${limited} of 6)`);
    const cors = await fetch(`${base}/api/v1/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(cors.headers.get('access-control-allow-origin'), null, 'CORS is off');
  } finally {
    await s.server.close();
  }
});

test(`no file outside backtests/ and models/: dots, encoded slashes, absolute paths and symlinks are 404 or \
400`, async () => {
  const s = await serve(f);
  try {
    const attempts = [
      '/api/v1/backtests/run-a/files/../../bot.db',
      '/api/v1/backtests/run-a/files/..%2F..%2Fbot.db',
      '/api/v1/backtests/run-a/files/%2e%2e/%2e%2e/bot.db',
      '/api/v1/backtests/run-a/files/%252e%252e/%252e%252e/bot.db',
      '/api/v1/backtests/run-a/files/%252e%252e%252f%252e%252e%252fbot.db',
      '/api/v1/backtests/run-a/files/..\\..\\outside.txt',
      '/api/v1/backtests/run-a/files/%2E%2E%2F%2E%2E%2Foutside.txt',
      '/api/v1/backtests/run-a/files/..%5C..%5Coutside.txt',
      '/api/v1/backtests/run-a/files/%2Fetc%2Fpasswd',
      '/api/v1/backtests/run-a/files//etc/passwd',
      '/api/v1/backtests/..%2F..%2F/files/outside.txt',
      '/api/v1/backtests/%2e%2e/files/outside.txt',
      '/api/v1/backtests/run-a/files/link.txt',
      '/api/v1/backtests/run-a/files/linkdir/x.json',
      '/api/v1/backtests/escape/files/x.json',
      '/api/v1/models/btc-dqn/files/..%2F..%2Fapi-tokens.json',
      '/api/v1/models/..%2Fbacktests/files/run-a/report.json',
      '/api/v1/models/btc-dqn/files/%00meta.json',
      '/assets/..%2F..%2F..%2Fpackage.json',
      '/assets/%2e%2e%2fapp.ts',
    ];
    for (const p of attempts) {
      const r = await raw(s.url, p);
      assert.ok(r.status === 404 || r.status === 400, `${p} → ${r.status}`);
      assert.doesNotMatch(r.body, /OUTSIDE-CONTENT|SQLite format|root:|"version"/, p);
    }
    const files = (await (await fetch(`${s.url}/api/v1/backtests/run-a/files`)).json()) as { files: string[] };
    assert.deepEqual(files.files, ['report.json', 'trades.csv'], 'symlinks leaving the folder are not listed');
    assert.equal(
      (await raw(s.url, '/api/v1/models/btc-dqn/files/versions/v2/meta.json')).status,
      200,
      'a real file inside is served',
    );
  } finally {
    await s.server.close();
  }
});

test(`a model home's version folder or CURRENT that is a symlink out of models/ is not read: the models routes \
show nothing of what it points at`, async () => {
  const s = await serve(f);
  try {
    for (const p of ['/api/v1/models', '/api/v1/models/linked']) {
      const r = await raw(s.url, p);
      assert.equal(r.status, 200, p);
      assert.doesNotMatch(r.body, /OUTSIDE-CONTENT|OUTSIDEPOINTER/, p);
    }
    const { model } = JSON.parse((await raw(s.url, '/api/v1/models/linked')).body) as {
      model: { current: string | null; versions: { version: string }[] };
    };
    assert.deepEqual(
      model.versions.map((v) => v.version),
      ['v1'],
    );
    assert.equal(model.current, null);
  } finally {
    await s.server.close();
  }
});

test('a secret in the environment never appears in any response', async () => {
  const s = await serve(f);
  try {
    const paths = [
      '/api/v1/logs?level=debug',
      '/api/v1/backtests/run-a',
      '/api/v1/backtests',
      '/api/v1/runs',
      '/api/v1/health',
      `/api/v1/runs/${f.runId}`,
    ];
    for (const p of paths) {
      const body = (await raw(s.url, p)).body;
      assert.ok(!body.includes(SECRET), `${p} leaks the secret`);
    }
    assert.match((await raw(s.url, '/api/v1/logs?level=error')).body, /oops \*\*\*/);
  } finally {
    await s.server.close();
  }
});

test('bot serve --new-token: an empty, over-long or unprintable label is one line, exit 1, no file', async () => {
  const tokens = path.join(f.dir, 'label-tokens.json');
  const cfg = path.join(f.dir, 'label-config.json');
  writeFileSync(cfg, JSON.stringify({ server: { tokensFile: tokens }, log: { file: '' } }));
  for (const [label, error] of [
    ['', 'error: --new-token: the label is empty (give a name such as laptop)'],
    ['   ', 'error: --new-token: the label is empty (give a name such as laptop)'],
    ['x'.repeat(500), `error: --new-token: the label "${'x'.repeat(40)}…" is longer than 64 characters`],
    ['lap\u001b[2Jtop', 'error: --new-token: the label "lap\\u001b[2Jtop" has a character that is not printable'],
  ] as const) {
    const r = await runBot(['serve', '--new-token', label, '--config', cfg]);
    assert.equal(r.code, 1, label);
    assert.equal(r.stderr.trim(), error);
    assert.equal(r.stdout, '');
  }
  assert.ok(!existsSync(tokens), 'no tokens file was written');
  // a label of 64 characters with spaces and punctuation is a name; it is stored trimmed
  const ok = await runBot(['serve', '--new-token', ` my laptop (${'é'.repeat(50)}) `, '--config', cfg]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(readFileSync(tokens, 'utf8'), new RegExp(`"label": "my laptop \\(${'é'.repeat(50)}\\)"`));
});

/** A config file naming `<prefix>-tokens.json`, and the token `bot serve --new-token laptop` printed for it. */
async function newTokenCli(prefix: string): Promise<{ tokens: string; cfg: string; token: string }> {
  const tokens = path.join(f.dir, `${prefix}-tokens.json`);
  const cfg = path.join(f.dir, `${prefix}-config.json`);
  writeFileSync(cfg, JSON.stringify({ server: { tokensFile: tokens }, log: { file: '' } }));
  const made = await runBot(['serve', '--new-token', 'laptop', '--config', cfg]);
  assert.equal(made.code, 0, made.stderr);
  return { tokens, cfg, token: made.stdout.trim() };
}

test(`bot serve: --new-token prints a token once and stores only its hash; the server starts and answers; bad flags \
are one line`, async () => {
  const { tokens, cfg, token } = await newTokenCli('cli');
  assert.match(token, /^bot_[A-Za-z0-9_-]{43}$/);
  const stored = readFileSync(tokens, 'utf8');
  assert.ok(!stored.includes(token), 'the token itself is not stored');
  assert.match(stored, /"label": "laptop"/);
  const badPort = await runBot(['serve', '--port', 'http', '--config', cfg]);
  assert.equal(badPort.code, 1);
  assert.equal(badPort.stderr.trim(), 'error: --port: "http" is not a port (0-65535)');

  const bot = startBot(['serve', '--port', '0', '--db', f.dbFile, '--config', cfg, '--log-level', 'warn']);
  try {
    const url = await dashboardUrl(bot);
    assert.equal((await fetch(`${url}/api/v1/runs`)).status, 401, 'a token exists, so the API wants it');
    const runs = await fetch(`${url}/api/v1/runs`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await runs.json()) as { runs: unknown[] }).runs.length, 1);
    const page = await fetch(`${url}/`);
    assert.match(await page.text(), /<title>/);
  } finally {
    bot.child.kill('SIGTERM');
    const r = await bot.done;
    assert.equal(r.code, 0, r.stderr);
  }
});

/** A non-loopback IPv4 address of this machine, or undefined (then 127.0.0.1 with a forged Host stands in for it). */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

test(`bot serve --host 0.0.0.0: a tokens file deleted or emptied while it runs closes the API (health says auth), \
whatever Host a client sends; a new token opens it again; the start-up line names the real bind`, async () => {
  const { tokens, cfg, token: laptop } = await newTokenCli('wide');
  const bot = startBot(['serve', '--host', '0.0.0.0', '--port', '0', '--db', f.dbFile, '--config', cfg]);
  try {
    const port = new URL(await dashboardUrl(bot)).port;
    const outside = outsideAddress();
    const base = `http://${outside ?? '127.0.0.1'}:${port}`;
    // the client says it is the machine itself: that decided whether the server was open
    const get = (p: string, token?: string) =>
      raw(base, p, { host: `127.0.0.1:${port}`, ...(token ? { authorization: `Bearer ${token}` } : {}) });
    const auth = async () => (JSON.parse((await get('/api/v1/health')).body) as { auth: boolean }).auth;
    assert.equal((await get('/api/v1/runs')).status, 401);
    assert.equal((await get('/api/v1/runs', laptop)).status, 200);
    for (const edit of [() => rmSync(tokens), () => writeFileSync(tokens, '{"tokens":[]}')]) {
      edit();
      for (const p of ['/api/v1/runs', `/api/v1/runs/${f.runId}`, '/api/v1/backtests', '/api/v1/events']) {
        const r = await get(p);
        assert.equal(r.status, 401, p);
        assert.match(
          (JSON.parse(r.body) as { error: string }).error,
          new RegExp(
            '^no credentials: this server listens on 0\\.0\\.0\\.0, beyond loopback, and the tokens file ' +
              `${tokens.replace(/[.]/g, '\\.')} holds no token now`,
          ),
        );
      }
      assert.equal((await get('/api/v1/runs', laptop)).status, 401, 'the removed token is refused too');
      assert.equal(await auth(), true, 'health does not say the server is open');
    }
    const phone = createToken(tokens, 'phone').token;
    assert.equal((await get('/api/v1/runs')).status, 401);
    assert.equal((await get('/api/v1/runs', phone)).status, 200, 'a new token counts from the next request');
  } finally {
    bot.child.kill('SIGTERM');
    const r = await bot.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /dashboard listening on all interfaces \(0\.0\.0\.0:\d+; here http:\/\/127\.0\.0\.1:\d+\)/);
    assert.doesNotMatch(r.stderr, /dashboard on http:\/\/127\.0\.0\.1/);
  }
});
