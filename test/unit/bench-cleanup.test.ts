/**
 * A bench stopped with SIGINT or SIGTERM leaves no fake exchange running and no temp folder behind
 * (src/bench/cleanup.ts, used by the data and sweep groups).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
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
