/**
 * How a sweep starts a Node child that runs TypeScript: `--import` of tsx's loader by absolute URL (the bot itself
 * registers tsx from src/cli/bot.js, so `process.execArgv` carries nothing a child could inherit).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export function tsxExecArgv(): string[] {
  const loader = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(loader).href];
}
