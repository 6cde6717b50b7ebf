/**
 * Model homes as the dashboard serves them: a page a home holds is shown, never run, in the dashboard's origin (the
 * sandbox a backtest's report page has), and a home whose `versions` is a stray file is noted apart in the list while
 * the other homes stay listed.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { servedFixture } from './fixture.ts';

const fx = servedFixture();

/** Writes `models/<name>/<parts>` (folders made). */
function writeModelFile(name: string, parts: string[], text: string): void {
  const file = path.join(fx.f.modelsDir, name, ...parts);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

test('an HTML file in a model home is served under the sandbox policy, as a backtest report page is', async () => {
  writeModelFile('btc-dqn', ['notes.html'], '<p>notes</p><script>parent.document.title = "ran"</script>');
  const r = await fetch(`${fx.s.url}/api/v1/models/btc-dqn/files/notes.html`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(
    r.headers.get('content-security-policy'),
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
  );
  const json = await fetch(`${fx.s.url}/api/v1/models/btc-dqn/files/meta.json`);
  assert.equal(json.status, 200);
  assert.equal(json.headers.get('content-security-policy'), null, 'a JSON file needs none');
});

test('a home whose versions is a file is noted apart; the other homes are still listed', async () => {
  writeModelFile('stray', ['meta.json'], JSON.stringify({ name: 'm', createdAt: '2024-03-01T00:00:00Z' }));
  writeModelFile('stray', ['versions'], 'not a folder');
  const r = await fetch(`${fx.s.url}/api/v1/models`);
  const body = (await r.json()) as { models: { name: string }[]; unreadable: { name: string; problem: string }[] };
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.deepEqual(
    body.models.map((m) => m.name),
    ['btc-dqn'],
  );
  assert.deepEqual(body.unreadable, [{ name: 'stray', problem: 'models/stray/versions is not a folder' }]);
  const one = await fetch(`${fx.s.url}/api/v1/models/stray`);
  assert.equal(one.status, 500);
  assert.deepEqual(await one.json(), { error: 'models/stray/versions is not a folder' });
});
