/**
 * Files served from backtests/ and models/: an environment secret written escaped (JSON's `\u0073`, `\/`, HTML's
 * `&#45;`, `&amp;`, CSV's `""`) is masked as the plain one is, whether the JSON parses or not; a CSV keeps its fields
 * per row when a masked secret held a delimiter or a quote; a JSON file over the size limit is a one-line 413; a
 * changed file is never served from the kept masked copy; a query on a file route is refused.
 */
import assert from 'node:assert/strict';
import { renameSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileInside } from '../../src/server/inside-file.ts';
import { MAX_READ_WHOLE_BYTES, ServedJson } from '../../src/server/served-json.ts';
import { paperFixture, rawGet, serve, type PaperFixture, type Served } from './fixture.ts';

const KEY = 'sk-live-escaped/secret-0123';
const PASSWORD = 'pass"word&<more>,x';
const NUMBER = '94511000';
/** A file time in whole seconds. */
const ONE_TIME = 1_700_000_000;
let f: PaperFixture;
let s: Served;
let dir: string;

before(async () => {
  process.env.UPBIT_API_SECRET = KEY;
  process.env.BOT_API_PASSWORD = PASSWORD;
  process.env.BOT_NOTIFY_TOKEN = NUMBER;
  f = await paperFixture();
  s = await serve(f);
  dir = path.join(f.backtestsDir, 'run-a');
});
after(async () => {
  delete process.env.UPBIT_API_SECRET;
  delete process.env.BOT_API_PASSWORD;
  delete process.env.BOT_NOTIFY_TOKEN;
  delete process.env.BOT_EXTRA_TOKEN;
  await s.server.close();
  f.cleanup();
});

/** A raw request: the path goes out exactly as written (fetch would normalise it). */
const raw = (p: string) => rawGet(s.url, p);

async function served(name: string): Promise<string> {
  const r = await raw(`/api/v1/backtests/run-a/files/${name}`);
  assert.equal(r.status, 200, `${name}: ${r.body.slice(0, 200)}`);
  return r.body;
}

/** Every `\uXXXX` of the text decoded, as a lenient reader of a broken JSON file would. */
const decodeJsonEscapes = (t: string) =>
  t.replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\\\//g, '/');

test(`a secret written with JSON escapes in a served JSON file is masked where the file parses to it; in one that \
does not parse, the escaped text is masked`, async () => {
  const escaped = '\\u0073k-live-esc\\u0061ped\\/secret-0123';
  // no secret written as it is anywhere in the file: it was served as written, the key in it for any JSON reader
  writeFileSync(path.join(dir, 'escaped-only.json'), `{"note": "key ${escaped} here"}`);
  assert.equal(await served('escaped-only.json'), '{"note": "key *** here"}');
  const doc = `{"note": "key ${escaped} here", "${escaped}": 1, "pw": "pass\\u0022word&<more>,x", "n": ${NUMBER}}`;
  writeFileSync(path.join(dir, 'escaped.json'), doc);
  const parsed = JSON.parse(await served('escaped.json')) as Record<string, unknown>;
  assert.deepEqual(parsed, { note: 'key *** here', '***': 1, pw: '***', n: Number(NUMBER) });

  writeFileSync(path.join(dir, 'broken.json'), `{"note": "key ${escaped} here", "pw": "pass\\"word&<more>,x`);
  const broken = await served('broken.json');
  assert.equal(broken, '{"note": "key *** here", "pw": "***');
  assert.ok(!decodeJsonEscapes(broken).includes(KEY), broken);
});

test(`a secret written escaped in a served text or HTML page (JSON escapes in a copied log, HTML entities in a \
page) is masked`, async () => {
  writeFileSync(path.join(dir, 'copied.txt'), `{"message":"login \\u0073k-live-escaped\\/secret-0123 refused"}\n`);
  assert.equal(await served('copied.txt'), '{"message":"login *** refused"}\n');
  // escaped, it is longer than the secret: across the 64 KiB read chunks it must still be held back whole
  const pad = 'x'.repeat(65_536 - 30);
  writeFileSync(path.join(dir, 'long.txt'), `${pad}\\u0073k-live-esc\\u0061ped\\/secret-0123\nend\n`);
  assert.equal(await served('long.txt'), `${pad}***\nend\n`);
  writeFileSync(
    path.join(dir, 'page.html'),
    '<p>sk&#45;live&#x2D;escaped&#0047;secret-0123</p><p>pass&quot;word&amp;&lt;more&gt;,x</p>\n',
  );
  assert.equal(await served('page.html'), '<p>***</p><p>***</p>\n');
});

/**
 * The fields of each row of a CSV text (RFC 4180: quoted fields, `""` for a quote inside one; a quote inside an
 * unquoted field is text, as Python's csv module reads it).
 */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let start = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted) {
      if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && start) quoted = true;
    else if (c === ',' || c === '\n') {
      row.push(field);
      field = '';
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else field += c;
    start = !quoted && (c === ',' || c === '\n');
  }
  return rows;
}

test(`a served CSV keeps its fields per row: a number equal to a secret is masked as text, and a secret holding a \
comma or a quote, quoted or not, leaves its delimiters and quotes in place`, async () => {
  const csv = `ts,price,note\n1,${NUMBER},plain\n2,5,"said pass""word&<more>,x here"\n3,6,${PASSWORD}\n`;
  writeFileSync(path.join(dir, 'notes.csv'), csv);
  const body = await served('notes.csv');
  assert.equal(body, 'ts,price,note\n1,***,plain\n2,5,"said ***""***,*** here"\n3,6,***"***,***\n');
  const before = csvRows(csv);
  const after = csvRows(body);
  assert.deepEqual(
    before.map((r) => r.length),
    [3, 3, 3, 4],
  );
  assert.deepEqual(
    after.map((r) => r.length),
    [3, 3, 3, 4],
  );
  for (const field of after.flat()) assert.ok(![KEY, PASSWORD, NUMBER].some((x) => field.includes(x)), field);
});

test(`a JSON file over the size limit is a one-line 413 naming it and the limit; a query on a file route is a \
400`, async () => {
  writeFileSync(path.join(dir, 'big.json'), `"${'x'.repeat(MAX_READ_WHOLE_BYTES - 1)}"`);
  const r = await raw('/api/v1/backtests/run-a/files/big.json');
  assert.equal(r.status, 413);
  assert.deepEqual(JSON.parse(r.body), {
    error: `backtests/run-a/big.json is ${MAX_READ_WHOLE_BYTES + 1} bytes: a JSON file over 32 MiB is not served \
(masking reads it whole)`,
  });
  for (const p of ['/api/v1/backtests/run-a/files/report.json?x=1', '/api/v1/models/btc-dqn/files/CURRENT?x=1']) {
    const q = await raw(p);
    assert.equal(q.status, 400, p);
    assert.match((JSON.parse(q.body) as { error: string }).error, /^query x: /, p);
  }
});

test(`a JSON file written again in place, at the same size and with its old mtime put back, is served \
new`, async () => {
  const file = path.join(dir, 'changing.json');
  writeFileSync(file, '{"v":"AAAA"}');
  // whole seconds, which utimes sets exactly (a time read back from stat would lose its nanoseconds)
  utimesSync(file, ONE_TIME, ONE_TIME);
  assert.equal(await served('changing.json'), '{"v":"AAAA"}');
  writeFileSync(file, '{"v":"BBBB"}');
  utimesSync(file, ONE_TIME, ONE_TIME);
  assert.equal(await served('changing.json'), '{"v":"BBBB"}');
});

test(`a kept masked JSON body (its file settled) is not used once the file is replaced or the secrets \
change`, async () => {
  const json = new ServedJson();
  const later = Date.now() + 3_600_000;
  const file = path.join(dir, 'kept.json');
  writeFileSync(file, '{"v":"hello-extra-secret-1"}');
  utimesSync(file, ONE_TIME, ONE_TIME);
  // the file as the file route finds it, checked again for each request
  const found = () => fileInside(f.backtestsDir, ['run-a', 'kept.json'])!;
  assert.equal((await json.body(found(), 'kept.json', later)).toString(), '{"v":"hello-extra-secret-1"}');
  // the same size and mtime, another file: a stamp of size and mtime alone served the old body
  writeFileSync(file + '.new', '{"v":"hello-extra-secret-2"}');
  utimesSync(file + '.new', ONE_TIME, ONE_TIME);
  renameSync(file + '.new', file);
  assert.equal((await json.body(found(), 'kept.json', later)).toString(), '{"v":"hello-extra-secret-2"}');
  process.env.BOT_EXTRA_TOKEN = 'hello-extra-secret-2';
  assert.equal((await json.body(found(), 'kept.json', later)).toString(), '{"v":"***"}');
  delete process.env.BOT_EXTRA_TOKEN;
  assert.equal((await json.body(found(), 'kept.json', later)).toString(), '{"v":"hello-extra-secret-2"}');
});

test('no file outside its folder through NUL bytes, encoded dots or full-width dots', async () => {
  for (const p of [
    '/api/v1/backtests/run-a/files/report.json%00.png',
    '/api/v1/backtests/run-a%00/files/report.json',
    '/api/v1/backtests/run-a/files/.%2e/run-b/report.json',
    '/api/v1/backtests/run-a/files/%EF%BC%8E%EF%BC%8E/run-b/report.json',
    '/api/v1/backtests/run-a/files/%2e%2e%5c..%5cbot.db',
    '/api/v1/models/btc-dqn/files/%2Fetc%2Fpasswd',
    '/api/v1/models/btc-dqn/files/versions/%00',
  ]) {
    const r = await raw(p);
    assert.ok(r.status === 404 || r.status === 400, `${p} → ${r.status}`);
    assert.deepEqual(Object.keys(JSON.parse(r.body) as object), ['error'], p);
  }
});
