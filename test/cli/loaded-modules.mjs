/**
 * Preloaded into a `bot` process (NODE_OPTIONS=--import) by startup-modules.test.ts: appends to the file
 * $LOADED_MODULES_FILE every module the process loads, ES modules as they resolve and CommonJS ones at its exit.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.LOADED_MODULES_FILE ?? '';
const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(out)}, resolved.url + '\\n');
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
process.on('exit', () => appendFileSync(out, Object.keys(createRequire(import.meta.url).cache).join('\n') + '\n'));
