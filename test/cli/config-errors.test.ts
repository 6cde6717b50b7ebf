import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerData } from '../../src/cli/commands/data.ts';
import { runBot } from './run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-cli-config-'));
function configFile(name: string, content: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify(content));
  return f;
}

test('config errors through the real CLI: one line naming the key, non-zero exit', async () => {
  const db = path.join(dir, 'x.db');
  const cases: [string[], RegExp][] = [
    [['--config', configFile('unknown.json', { exchange: { colour: 'red' } })], /exchange\.colour: unknown key/],
    [['--config', configFile('type.json', { exchange: { retries: 'many' } })], /exchange\.retries: .*number/],
    [['--config', configFile('value.json', { exchange: { backoffMs: -5 } })], /exchange\.backoffMs: Too small/],
  ];
  const results = await Promise.all(cases.map(([args]) => runBot(['data', 'list', '--db', db, ...args])));
  results.forEach((r, i) => {
    assert.notEqual(r.code, 0, `case ${i} exits non-zero`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `case ${i}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0], /^error: config error \(/);
    assert.match(lines[0], cases[i][1]);
    assert.equal(r.stdout, '');
  });
});

test('every data subcommand has --help naming its options', async () => {
  const spawned = await runBot(['data', 'download', '--help']);
  assert.equal(spawned.code, 0, spawned.stderr);
  assert.match(spawned.stdout, /Usage: bot data download[\s\S]*--since <date>[\s\S]*--until <date>[\s\S]*--db <file>/);

  const program = new Command('bot');
  registerData(program);
  const data = program.commands.find((c) => c.name() === 'data')!;
  const help = Object.fromEntries(data.commands.map((c) => [c.name(), c.helpInformation()]));
  assert.deepEqual(Object.keys(help).sort(), ['derive', 'download', 'export', 'gaps', 'import', 'list']);
  for (const [name, text] of Object.entries(help)) {
    assert.match(text, /-h, --help/, name);
    assert.match(text, /--db <file>/, `${name} touches the database`);
  }
  assert.match(help.list, /--json/);
  assert.match(help.gaps, /--json/);
  assert.match(
    help.import,
    /<file>[\s\S]*--tz <zone>[\s\S]*--exchange <id>[\s\S]*--symbol <symbol>[\s\S]*--timeframe <tf>/,
  );
  assert.match(help.export, /--out <file>/);
  assert.match(help.derive, /--from <symbol>[\s\S]*--leverage <K>[\s\S]*--fee-annual <F>/);
});
