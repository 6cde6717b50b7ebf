/**
 * The models catalog reads meta.json and CURRENT bounded and kept (ModelFiles): a model home whose CURRENT is over the
 * limit is a one-line 413 naming it and the limit on its route, and a note in the list beside the good homes, which
 * stay listed (a meta.json over it marks only its version unreadable); a kept meta.json is the same object while its
 * file stays, a rewritten one is read again, and what is kept is masked for the secrets of the moment.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileInside } from '../../src/server/inside-file.ts';
import { listModels, ModelFiles, readModel } from '../../src/server/model-catalog.ts';
import { MAX_READ_WHOLE_BYTES } from '../../src/server/served-json.ts';
import { rawGet, servedFixture } from './fixture.ts';

/** A file time in whole seconds. */
const ONE_TIME = 1_700_000_000;
const fx = servedFixture();
/** A raw request: the path goes out exactly as written. */
const raw = (p: string) => rawGet(fx.s.url, p);

/** Writes `models/<name>/<parts>` (folders made); returns its path. */
function writeModelFile(name: string, parts: string[], text: string): string {
  const file = path.join(fx.f.modelsDir, name, ...parts);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A meta.json as bot backtest writes it, its createdAt and metrics, `extra` fields beside. */
const metaText = (createdAt: string, totalReturn: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'm', strategy: 'dqn-dnn', createdAt, metrics: { test: { totalReturn } }, ...extra });

test(`a model home whose CURRENT is over the size limit is a one-line 413 naming the file and the limit on its \
route, noted in the list beside the good homes; a meta.json over it (the initial model's or an old version's) marks \
that version unreadable, named, and the home and its other versions are still listed`, async () => {
  const padding = 'x'.repeat(MAX_READ_WHOLE_BYTES);
  const huge = writeModelFile('huge', ['meta.json'], metaText('2024-03-01T00:00:00Z', 0.1, { padding }));
  writeModelFile('huge', ['versions', 'v2', 'meta.json'], metaText('2024-03-03T00:00:00Z', 0.3));
  writeModelFile('huge', ['CURRENT'], 'v2\n');
  writeModelFile('old-huge', ['meta.json'], metaText('2024-03-01T00:00:00Z', 0.1));
  const old = writeModelFile(
    'old-huge',
    ['versions', 'v1', 'meta.json'],
    metaText('2024-03-02T00:00:00Z', 0, { padding }),
  );
  writeModelFile('old-huge', ['versions', 'v2', 'meta.json'], metaText('2024-03-03T00:00:00Z', 0.2));
  writeModelFile('old-huge', ['CURRENT'], 'v2\n');
  writeModelFile('long-pointer', ['meta.json'], metaText('2024-03-01T00:00:00Z', 0.1));
  const pointer = writeModelFile('long-pointer', ['CURRENT'], `initial\n${padding}`);
  const size = (file: string) => statSync(file).size;
  const over = (file: string) => `${size(file)} bytes, over the 32 MiB the dashboard reads whole`;
  const r0 = await raw('/api/v1/models/long-pointer');
  assert.equal(r0.status, 413, r0.body.slice(0, 200));
  assert.deepEqual(JSON.parse(r0.body), {
    error: `models/long-pointer/CURRENT is ${size(pointer)} bytes: a CURRENT over 32 MiB is not read (it names one \
version)`,
  });
  type Entry = {
    name: string;
    current: string | null;
    versions: { version: string; createdAt: string | null; unreadable?: string }[];
    meta: { createdAt: string } | null;
  };
  const homes: [string, [string, string | null, string | undefined][]][] = [
    [
      'huge',
      [
        ['initial', null, `models/huge/meta.json is ${over(huge)}`],
        ['v2', '2024-03-03T00:00:00Z', undefined],
      ],
    ],
    [
      'old-huge',
      [
        ['initial', '2024-03-01T00:00:00Z', undefined],
        ['v1', null, `models/old-huge/versions/v1/meta.json is ${over(old)}`],
        ['v2', '2024-03-03T00:00:00Z', undefined],
      ],
    ],
  ];
  const lines = (m: Entry) => m.versions.map((v) => [v.version, v.createdAt, v.unreadable]);
  for (const [name, versions] of homes) {
    const r = await raw(`/api/v1/models/${name}`);
    assert.equal(r.status, 200, `${name}: ${r.body.slice(0, 200)}`);
    const { model } = JSON.parse(r.body) as { model: Entry };
    assert.deepEqual(lines(model), versions, name);
    assert.equal(model.current, 'v2', name);
    assert.equal(model.meta?.createdAt, '2024-03-03T00:00:00Z', `${name}: the serving version's meta is read`);
  }
  const r = await raw('/api/v1/models');
  assert.equal(r.status, 200, r.body.slice(0, 200));
  const list = JSON.parse(r.body) as { models: Entry[]; unreadable: { name: string; problem: string }[] };
  assert.deepEqual(
    list.models.map((m) => [m.name, m.current]),
    [
      ['btc-dqn', 'v2'],
      ['huge', 'v2'],
      ['old-huge', 'v2'],
    ],
  );
  for (const [name, versions] of homes) {
    assert.deepEqual(lines(list.models.find((m) => m.name === name)!), versions, name);
  }
  assert.deepEqual(list.unreadable, [
    { name: 'long-pointer', problem: `models/long-pointer/CURRENT is ${over(pointer)}` },
  ]);
  assert.equal((await raw('/api/v1/models/btc-dqn')).status, 200, 'a good home still answers');
});

test(`a kept meta.json (its file settled) is read once, and one written again in place, at the same size and with \
its old mtime put back, is read new — by the model route and the list; a secret is masked in what is kept, and a \
changed secret is seen`, async () => {
  const files = new ModelFiles(() => Date.now() + 3_600_000);
  const root = fx.f.modelsDir;
  const secret = 'model-secret-4c8e1f';
  const file = writeModelFile('again', ['meta.json'], metaText('2024-04-01T00:00:00Z', 0.25, { note: secret }));
  utimesSync(file, ONE_TIME, ONE_TIME);
  process.env.BOT_API_PASSWORD = secret;
  try {
    const first = await readModel(root, 'again', files);
    assert.equal(first?.versions[0].createdAt, '2024-04-01T00:00:00Z');
    const second = await readModel(root, 'again', files);
    assert.equal(second?.versions[0].metrics, first?.versions[0].metrics, 'kept: the same parsed meta.json');
    const kept = await files.metas.read(
      fileInside(root, ['again', 'meta.json'])!,
      'models/again/meta.json',
      files.now(),
    );
    assert.equal(kept?.note, '***', 'masked as it is kept');

    writeFileSync(file, metaText('2024-04-09T00:00:00Z', 0.25, { note: secret }));
    utimesSync(file, ONE_TIME, ONE_TIME);
    assert.equal((await readModel(root, 'again', files))?.versions[0].createdAt, '2024-04-09T00:00:00Z');
    const listed = (await listModels(root, files)).models.find((m) => m.name === 'again');
    assert.equal(listed?.meta?.createdAt, '2024-04-09T00:00:00Z');
  } finally {
    delete process.env.BOT_API_PASSWORD;
  }
  const unmasked = await files.metas.read(
    fileInside(root, ['again', 'meta.json'])!,
    'models/again/meta.json',
    files.now(),
  );
  assert.equal(unmasked?.note, secret, 'the secrets changed: read again');

  // and through the server, whose kept copy of the first text must not be answered either
  const createdAt = async () =>
    (JSON.parse((await raw('/api/v1/models/again')).body) as { model: { meta: { createdAt: string } } }).model.meta
      .createdAt;
  writeFileSync(file, metaText('2024-04-01T00:00:00Z', 0.25));
  utimesSync(file, ONE_TIME, ONE_TIME);
  assert.equal(await createdAt(), '2024-04-01T00:00:00Z');
  writeFileSync(file, metaText('2024-04-09T00:00:00Z', 0.25));
  utimesSync(file, ONE_TIME, ONE_TIME);
  assert.equal(await createdAt(), '2024-04-09T00:00:00Z');
});
