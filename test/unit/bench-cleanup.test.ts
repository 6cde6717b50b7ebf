/**
 * A bench stopped with SIGINT or SIGTERM leaves no fake exchange, no Chromium running and no temp folder behind
 * (src/bench/cleanup.ts, used by every group that starts a process or makes a temp folder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import '../helpers/state-dir.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/__fake/stats`)).ok;
  } catch {
    return false;
  }
}

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  test(`bench data group's fake exchange and temp folder are gone after ${signal} to the bench`, async () => {
    const script = path.join(PROJECT_ROOT, 'test/helpers/bench-data-child.ts');
    const bench = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(bench, 'exit');
    let out = '';
    for await (const chunk of bench.stdout) {
      out += String(chunk);
      if (out.includes('\n')) break;
    }
    const { url, dir } = JSON.parse(out.split('\n')[0]) as { url: string; dir: string };
    assert.ok(await answers(url), 'the fake exchange is up before the signal');
    assert.ok(existsSync(dir));

    bench.kill(signal);
    const [status] = (await exited) as [number | null];
    assert.equal(status, code, `exits 128 + the signal's number`);
    assert.equal(existsSync(dir), false, 'the temp folder is removed');
    assert.equal(await answers(url), false, 'the fake exchange was killed and waited for');
  });
}

/** The pids below `root` (by parent pid in /proc/<pid>/stat), zombies left out. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') parents.set(Number(name), Number(ppid));
    } catch {
      // the process ended while the list was read
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent !== pid) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

test(
  'bench dashboard group: SIGTERM while Chromium is up leaves no Chromium process and no temp folder',
  { timeout: 60_000 },
  async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-dashboard-signal-'));
    const script = path.join(PROJECT_ROOT, 'test/helpers/bench-dashboard-child.ts');
    const bench = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: tmp },
    });
    let output = '';
    bench.stdout.on('data', (d: Buffer) => (output += d.toString()));
    bench.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(bench, 'exit');
    try {
      // the moment the group has its temp folder and Chromium's processes up
      let chromium: number[] = [];
      while (chromium.length === 0) {
        assert.equal(bench.exitCode, null, `the bench ended before Chromium started:\n${output}`);
        assert.doesNotMatch(output, /^done$/m, 'the group finished before Chromium was seen');
        chromium = descendants(bench.pid!).filter((p) => /chromium/.test(cmdline(p)));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // tsx keeps its cache in TMPDIR too; the rest is the bench's
      const made = () => readdirSync(tmp).filter((f) => !f.startsWith('tsx-'));
      assert.ok(
        made().some((f) => f.startsWith('bot-bench-dashboard-')),
        'the group made its temp folder',
      );
      const held = descendants(bench.pid!);

      bench.kill('SIGTERM');
      const [status] = (await exited) as [number | null];
      // before: playwright's own SIGTERM handler closed Chromium and the bench ran on
      assert.equal(status, 143, `exits 128 + the signal's number:\n${output}`);
      assert.deepEqual(held.filter(alive), [], 'no Chromium (or other) process of the bench is left');
      assert.deepEqual(made(), [], 'its temp folders (the profile and the database) are removed');
    } finally {
      if (bench.exitCode === null) bench.kill('SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
