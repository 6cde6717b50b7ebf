#!/usr/bin/env node
// Makes sure the system programs the tests use for real are installed (scripts/system-tools.json): installs what is
// missing with apt-get when running as root on Debian, and otherwise stops with one line naming what to install.
// Tests never skip silently because a program is missing (DEVELOPERS.md).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { tools } = JSON.parse(readFileSync(path.join(here, 'system-tools.json'), 'utf8'));

const found = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = tools.filter((t) => !found(t.command));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map((t) => t.package))];
const canInstall = process.getuid?.() === 0 && found('apt-get');
if (!canInstall) {
  process.stderr.write(
    `the tests need ${missing.map((t) => t.command).join(', ')}: install ` +
      `them first (Debian: sudo apt-get install -y ${packages.join(' ')})\n`,
  );
  process.exit(1);
}
process.stderr.write(`installing ${packages.join(', ')} for the tests (apt-get)\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
} catch {
  process.stderr.write(`could not install ${packages.join(' ')} with apt-get: install them and run the tests again\n`);
  process.exit(1);
}
const still = missing.filter((t) => !found(t.command));
if (still.length) {
  process.stderr.write(`after apt-get, still missing: ${still.map((t) => t.command).join(', ')}\n`);
  process.exit(1);
}
