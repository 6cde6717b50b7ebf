/**
 * For test/unit/bench-cleanup.test.ts: what the data bench group holds while it downloads — a guarded temp folder and
 * the fake exchange in its own process — then waits to be signalled. Prints one JSON line `{ url, dir }`.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { guardDir } from '../../src/bench/cleanup.ts';
import { startFakeProcess } from '../../src/bench/groups/data.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bot-bench-data-'));
guardDir(dir);
const { url } = await startFakeProcess(['--config-out', path.join(dir, 'fake.json'), '--count', '10']);
console.log(JSON.stringify({ url, dir }));
setInterval(() => undefined, 60_000);
