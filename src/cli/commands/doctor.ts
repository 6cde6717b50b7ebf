/** `bot doctor`: what this install has (versions, cores, backends) and whether its native parts built. */
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import os from 'node:os';
import { ccxtLib } from '../../data/ccxt.ts';
import { addBackendOption, backendOverride } from '../../nn/cli-options.ts';
import { printJson, printText } from '../../core/redact.ts';

const require = createRequire(import.meta.url);

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

async function collectFacts(flags: { config?: string; backend?: string }): Promise<Record<string, string | number>> {
  const { loadConfig } = await import('../../config/load.ts');
  const config = loadConfig({ configFile: flags.config, overrides: backendOverride(flags) });
  const tf = await import('@tensorflow/tfjs');
  const { BACKEND_ORDER, initBackend, probeBackend } = await import('../../nn/backend/backend.ts');
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
    facts[pkg] = probe.available
      ? `installed ${packageVersion(`@tensorflow/${pkg}`)}`
      : `not available: ${probe.reason}`;
  }
  const chosen = await initBackend(config.ml.backend);
  facts.backend = chosen.name;
  facts['backend reason'] = chosen.reason;
  facts['backend order'] = `${BACKEND_ORDER.join(' > ')} (config ml.backend = ${config.ml.backend})`;
  facts.ccxt = ccxtLib().version;
  const native = await checkNativeParts();
  for (const part of native) facts[part.name] = part.ok ? part.detail : `FAILED: ${part.detail}`;
  return facts;
}

export interface NativePart {
  name: string;
  ok: boolean;
  /** The version when it loads; what failed and how to fix it when not. */
  detail: string;
}

const REBUILD_HINT = (pkg: string) =>
  `its native part did not build or load; run \`npm rebuild ${pkg}\` ` +
  `(its install script must be allowed: allowScripts in package.json)`;

/** The SQLite binding: an in-memory database and its version (`nativeBinding` points at another build, for tests). */
export async function checkSqlite(nativeBinding?: string): Promise<NativePart> {
  try {
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(':memory:', nativeBinding ? { nativeBinding } : {});
    const v = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
    db.close();
    return { name: 'sqlite', ok: true, detail: `${v} (better-sqlite3 ${packageVersion('better-sqlite3')})` };
  } catch (e) {
    return {
      name: 'sqlite',
      ok: false,
      detail: `better-sqlite3 ${packageVersion('better-sqlite3')}: ${REBUILD_HINT('better-sqlite3')} (${firstLine(e)})`,
    };
  }
}

async function checkSharp(): Promise<NativePart> {
  try {
    const sharp = (await import('sharp')).default;
    return {
      name: 'sharp',
      ok: true,
      detail: `${sharp.versions.sharp ?? packageVersion('sharp')} (libvips ${sharp.versions.vips})`,
    };
  } catch (e) {
    return {
      name: 'sharp',
      ok: false,
      detail: `sharp ${packageVersion('sharp')}: ${REBUILD_HINT('sharp')} (${firstLine(e)})`,
    };
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
}

/** The parts the bot cannot run without that are compiled or downloaded at install: SQLite and sharp. */
export async function checkNativeParts(): Promise<NativePart[]> {
  return [await checkSqlite(), await checkSharp()];
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
    if (opts.json) printJson(facts);
    else for (const [k, v] of Object.entries(facts)) printText(`${k.padEnd(18)} ${v}`);
    // a missing native part is an install problem the user must fix: say so in the exit code too
    if (Object.values(facts).some((v) => String(v).startsWith('FAILED:'))) process.exitCode = 1;
  });
}
