/**
 * A model version reaches the disk before CURRENT names it: the order of the fsyncs and renames a save and a promotion
 * make, read from the real node:fs calls (traced, not replaced), since a power cut cannot be staged in a test. Without
 * the fsyncs a power cut after the pointer's rename could leave CURRENT naming a folder of empty files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { currentVersion, resolveModel, stageVersion } from '../../src/agents/model-pointer.ts';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { settleChallenger } from '../../src/trading/retrain.ts';
import { promotedChampion, riseThenFall, saveAgent } from './agents.ts';
import { tempDir } from './helpers.ts';

type FsEvent = { op: 'fsync'; path: string } | { op: 'rename'; from: string; to: string };

/**
 * Records every fsync (by the path its fd was opened with) and rename that node:fs carries out while `body` runs;
 * `failRename` may throw instead of renaming (a process stopped at that point). Restores node:fs afterwards.
 */
async function traceFs(
  body: () => Promise<void> | void,
  failRename: (to: string) => boolean = () => false,
): Promise<FsEvent[]> {
  const real = { openSync: fs.openSync, fsyncSync: fs.fsyncSync, renameSync: fs.renameSync };
  const opened = new Map<number, string>();
  const events: FsEvent[] = [];
  fs.openSync = (file: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode | null) => {
    const fd = real.openSync(file, flags, mode);
    opened.set(fd, path.resolve(String(file)));
    return fd;
  };
  fs.fsyncSync = (fd: number) => {
    real.fsyncSync(fd);
    events.push({ op: 'fsync', path: opened.get(fd) ?? `fd ${fd}` });
  };
  fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
    if (failRename(path.resolve(String(to)))) throw new Error(`stopped before renaming onto ${String(to)}`);
    real.renameSync(from, to);
    events.push({ op: 'rename', from: path.resolve(String(from)), to: path.resolve(String(to)) });
  };
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    Object.assign(fs, real);
    syncBuiltinESMExports();
  }
  return events;
}

function indexOf(events: FsEvent[], what: string, match: (e: FsEvent) => boolean): number {
  const i = events.findIndex(match);
  assert.ok(i >= 0, `no ${what} in:\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
  return i;
}

const fsyncOf = (p: string) => (e: FsEvent) => e.op === 'fsync' && e.path === p;

test(`a promoted challenger's files and folders are fsynced before CURRENT is renamed to name it, and the home after; \
stopped before that rename, the champion stays current and loads`, async () => {
  const tmp = tempDir();
  const candles = riseThenFall(120, 40);
  const home = path.join(tmp.dir, 'models', 'btc');
  try {
    await promotedChampion(home, candles);
    const saved = path.join(tmp.dir, 'saved');
    // saveModel alone: every file in its temp folder, and the folder, fsynced before it is renamed into place
    const save = await traceFs(() => saveAgent(saved, 'sell', candles));
    const intoPlace = indexOf(save, 'rename into place', (e) => e.op === 'rename' && e.to === saved);
    const tmpDir = (save[intoPlace] as { from: string }).from;
    for (const f of fs.readdirSync(saved))
      assert.ok(indexOf(save, `fsync of ${f}`, fsyncOf(path.join(tmpDir, f))) < intoPlace, `${f} before its rename`);
    assert.ok(indexOf(save, 'fsync of the temp folder', fsyncOf(tmpDir)) < intoPlace);
    assert.ok(indexOf(save, 'fsync of the parent', fsyncOf(tmp.dir)) > intoPlace);

    const versions = { champion: 'champion', challenger: 'v2' };
    const promote = { promote: true, reason: 'test' };
    const holdout = { from: '2024-01-05T00:00:00Z', to: '2024-01-06T23:00:00Z' };
    const pointer = path.join(home, 'CURRENT');
    // stopped just before the pointer's rename: the challenger is committed, CURRENT still names the champion
    const stage = stageVersion(home, 'v2');
    await saveAgent(stage.dir, 'sell', candles);
    await assert.rejects(
      traceFs(
        () => void settleChallenger(home, stage, versions, promote, holdout),
        (to) => to === pointer,
      ),
      /stopped before renaming onto/,
    );
    assert.equal(currentVersion(home), 'champion');
    (await loadAgent(resolveModel(home).dir)).dispose();

    fs.rmSync(path.join(home, 'versions', 'v2'), { recursive: true });
    const again = stageVersion(home, 'v2');
    await saveAgent(again.dir, 'sell', candles);
    const events = await traceFs(() => void settleChallenger(home, again, versions, promote, holdout));
    assert.equal(currentVersion(home), 'v2');
    const switched = indexOf(events, 'rename onto CURRENT', (e) => e.op === 'rename' && e.to === pointer);
    const v2 = path.join(home, 'versions', 'v2');
    const committed = indexOf(events, 'the commit', (e) => e.op === 'rename' && e.to === v2);
    for (const f of fs.readdirSync(v2))
      assert.ok(indexOf(events, `fsync of ${f}`, fsyncOf(path.join(v2, f))) < switched, `${f} before CURRENT`);
    assert.ok(indexOf(events, 'fsync of the version folder', fsyncOf(v2)) < switched);
    const versionsDir = indexOf(events, 'fsync of versions/', (e) => fsyncOf(path.dirname(v2))(e));
    assert.ok(committed < versionsDir && versionsDir < switched, 'versions/ fsynced after the commit, before CURRENT');
    const pointerTmp = (events[switched] as { from: string }).from;
    assert.ok(indexOf(events, 'fsync of the new pointer', fsyncOf(pointerTmp)) < switched);
    assert.ok(events.findLastIndex(fsyncOf(home)) > switched, 'the home fsynced after the switch');
  } finally {
    tmp.cleanup();
  }
});
