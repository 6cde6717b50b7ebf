/**
 * A file in backtests/ or models/ is opened only as the file its folder check found (openInside): one with another
 * hard link (which may be a second name of a file anywhere of the user's) is a one-line 403 naming it and why, left
 * out of the folder's list, and marks a model version unreadable; a symlink or another file put in its place after
 * the check is not opened.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileInside, openInside } from '../../src/server/inside-file.ts';
import { rawGet, servedFixture } from './fixture.ts';

const fx = servedFixture();
/** Another temp folder, outside backtests/ and models/, holding what a link may point at. */
const elsewhere = mkdtempSync(path.join(tmpdir(), 'bot-elsewhere-'));
after(() => rmSync(elsewhere, { recursive: true, force: true }));
const raw = (p: string) => rawGet(fx.s.url, p);

/** A file outside the served folders, `text` in it. */
function outsideFile(name: string, text: string): string {
  const file = path.join(elsewhere, name);
  writeFileSync(file, text);
  return file;
}

test(`a hard link in backtests/ to a file elsewhere is a one-line 403 naming it, whatever its type, and is not \
listed; a normal file beside it is still served`, async () => {
  const run = path.join(fx.f.backtestsDir, 'run-a');
  for (const name of ['stolen.txt', 'stolen.csv', 'stolen.json', 'stolen.png']) {
    linkSync(outsideFile(name, '{"x":"OUTSIDE-CONTENT"}'), path.join(run, name));
    const r = await raw(`/api/v1/backtests/run-a/files/${name}`);
    assert.equal(r.status, 403, `${name}: ${r.body}`);
    assert.deepEqual(JSON.parse(r.body), {
      error: `backtests/run-a/${name} has 2 hard links: not served (it may be a file from elsewhere)`,
    });
    assert.doesNotMatch(r.body, /OUTSIDE-CONTENT|bot-elsewhere/);
  }
  const files = JSON.parse((await raw('/api/v1/backtests/run-a/files')).body) as { files: string[] };
  assert.deepEqual(files.files, ['report.json', 'trades.csv'], 'hard links are not listed');
  for (const name of ['report.json', 'trades.csv']) {
    assert.equal((await raw(`/api/v1/backtests/run-a/files/${name}`)).status, 200, name);
  }
});

test(`a model version whose meta.json is a hard link is listed unreadable, named, and its file route is a \
403`, async () => {
  const v9 = path.join(fx.f.modelsDir, 'btc-dqn', 'versions', 'v9');
  mkdirSync(v9);
  linkSync(outsideFile('meta.json', '{"createdAt":"OUTSIDE-CONTENT"}'), path.join(v9, 'meta.json'));
  const r = await raw('/api/v1/models/btc-dqn');
  assert.equal(r.status, 200, r.body);
  const { model } = JSON.parse(r.body) as { model: { versions: { version: string; unreadable?: string }[] } };
  assert.deepEqual(
    model.versions.find((v) => v.version === 'v9'),
    {
      version: 'v9',
      createdAt: null,
      metrics: null,
      unreadable: 'models/btc-dqn/versions/v9/meta.json has 2 hard links: not served (it may be a file from elsewhere)',
    },
  );
  assert.doesNotMatch(r.body, /OUTSIDE-CONTENT/);
  assert.equal((await raw('/api/v1/models/btc-dqn/files/versions/v9/meta.json')).status, 403);
  assert.equal((await raw('/api/v1/models/btc-dqn/files/versions/v2/meta.json')).status, 200, 'a real file inside');
});

test(`openInside opens only the file the check found: a symlink put in its place is refused by the open itself, \
another file or a folder swapped for a symlink is refused by the handle's check`, async () => {
  const root = fx.f.backtestsDir;
  const dir = path.join(root, 'swap');
  mkdirSync(dir);
  const outside = outsideFile('swap.txt', 'OUTSIDE-CONTENT');
  const refused = async (found: ReturnType<typeof fileInside>, why: RegExp) => {
    assert.ok(found);
    await assert.rejects(openInside(found, 'backtests/swap/a.txt'), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 404);
      assert.match(e.message, why);
      return true;
    });
  };
  const replaced = /^backtests\/swap\/a\.txt was replaced while it was opened: not served$/;

  writeFileSync(path.join(dir, 'a.txt'), 'inside');
  const checked = fileInside(root, ['swap', 'a.txt']);
  const handle = await openInside(checked!, 'backtests/swap/a.txt');
  assert.equal((await handle.readFile('utf8')).toString(), 'inside', 'the file checked is opened');
  await handle.close();

  // the last component swapped for a symlink to a file outside, between the check and the open (the file checked
  // kept aside, so no new file takes its inode number)
  renameSync(path.join(dir, 'a.txt'), path.join(dir, 'kept.txt'));
  symlinkSync(outside, path.join(dir, 'a.txt'));
  await refused(checked, replaced);
  // refused by the open itself (O_NOFOLLOW): the same symlink, for a check that saw the very file it points at, in a
  // folder that holds it, so nothing but the open can tell
  const target = fileInside(elsewhere, ['swap.txt']);
  await refused(target && { ...target, file: path.join(dir, 'a.txt') }, replaced);

  // another file at the path (another inode)
  rmSync(path.join(dir, 'a.txt'));
  writeFileSync(path.join(dir, 'a.txt'), 'inside');
  await refused(checked, replaced);

  // the folder swapped for a symlink to a folder outside holding a file of that name
  const fresh = fileInside(root, ['swap', 'a.txt']);
  renameSync(dir, path.join(root, 'swap-old'));
  mkdirSync(path.join(elsewhere, 'swap'));
  writeFileSync(path.join(elsewhere, 'swap', 'a.txt'), 'OUTSIDE-CONTENT');
  symlinkSync(path.join(elsewhere, 'swap'), dir);
  await refused(fresh, replaced);

  // a check that raced and stat'ed the file outside itself: the open file is not under the folder
  const raced = fileInside(elsewhere, ['swap.txt']);
  await refused(raced && { ...raced, realRoot: fresh!.realRoot }, replaced);
});
