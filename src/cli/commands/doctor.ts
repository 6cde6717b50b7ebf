/** `bot doctor`: the machine, the libraries and the tfjs backend that runs. */
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import os from 'node:os';
import { loadConfig } from '../../config/load.ts';
import { BACKEND_ORDER, initBackend, probeBackend } from '../../nn/backend/backend.ts';
import { addBackendOption, backendOverride } from '../../nn/cli-options.ts';

const require = createRequire(import.meta.url);

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

async function collectFacts(flags: { config?: string; backend?: string }): Promise<Record<string, string | number>> {
  const config = loadConfig({ configFile: flags.config, overrides: backendOverride(flags) });
  const tf = await import('@tensorflow/tfjs');
  const facts: Record<string, string | number> = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cores: os.availableParallelism(),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    tfjs: tf.version.tfjs,
    'tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
  };
  for (const name of ['node-gpu', 'node'] as const) {
    const probe = await probeBackend(name);
    const pkg = name === 'node' ? 'tfjs-node' : 'tfjs-node-gpu';
    facts[pkg] = probe.available ? `installed ${packageVersion(`@tensorflow/${pkg}`)}` : `not available: ${probe.reason}`;
  }
  const chosen = await initBackend(config.ml.backend);
  facts.backend = chosen.name;
  facts['backend reason'] = chosen.reason;
  facts['backend order'] = `${BACKEND_ORDER.join(' > ')} (config ml.backend = ${config.ml.backend})`;
  const ccxt = (await import('ccxt')).default;
  facts.ccxt = ccxt.version;
  const sharp = (await import('sharp')).default;
  facts.sharp = `${sharp.versions.sharp ?? packageVersion('sharp')} (libvips ${sharp.versions.vips})`;
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(':memory:');
  const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  db.close();
  facts.sqlite = `${sqlite} (better-sqlite3 ${packageVersion('better-sqlite3')})`;
  return facts;
}

/** `bot doctor`: versions, cores, which tfjs backends are installed and which one runs, and why. */
export function registerDoctor(program: Command): void {
  const cmd = program
    .command('doctor')
    .description('print versions, cores, the tfjs backend choice and which optional parts are installed')
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'config file layered over config/default.json');
  addBackendOption(cmd).action(async (opts: { json?: boolean; config?: string; backend?: string }) => {
    const facts = await collectFacts(opts);
    if (opts.json) console.log(JSON.stringify(facts, null, 2));
    else for (const [k, v] of Object.entries(facts)) console.log(`${k.padEnd(18)} ${v}`);
  });
}
