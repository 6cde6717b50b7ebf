/**
 * The ccxt library, loaded on first use and from its CommonJS build. Its ES module build is about a thousand files,
 * each of which the TypeScript loader (tsx, registered by src/cli/bot.js) sees in turn; `require` bypasses that loader,
 * and a command that never reaches an exchange (a flag mistake, `bot status`) does not load ccxt at all. Every
 * `instanceof` check on ccxt's error classes must use this one copy: an error from the other build is not an instance.
 */
import { createRequire } from 'node:module';
import type ccxtModule from 'ccxt';

type Ccxt = typeof ccxtModule;

let loaded: Ccxt | undefined;

/** The ccxt module (its default export: exchange classes, error classes, `exchanges`, `version`). */
export function ccxtLib(): Ccxt {
  loaded ??= createRequire(import.meta.url)('ccxt') as Ccxt;
  return loaded;
}
