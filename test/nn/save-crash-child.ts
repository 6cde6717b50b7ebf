/**
 * A process that saves a small model over `dir` and is SIGKILLed by itself at one point of the save, as a crash or
 * the OOM killer would stop it there: `switch` between setting the old folder aside and renaming the new one into
 * place, `write` while the temp folder's files are written. node:fs is traced, not replaced (test/nn/model-files).
 * Usage: node --import tsx test/nn/save-crash-child.ts <dir> <switch|write>
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { saveModel } from '../../src/nn/model-files.ts';

const [dir, at] = process.argv.slice(2);
const target = path.resolve(dir);
await initBackend('wasm');
const realRename = fs.renameSync;
const realOpen = fs.openSync;
fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
  if (at === 'switch' && path.resolve(String(to)) === target) process.kill(process.pid, 'SIGKILL');
  realRename(from, to);
};
fs.openSync = (file: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode | null) => {
  if (at === 'write' && String(file).endsWith('meta.json')) process.kill(process.pid, 'SIGKILL');
  return realOpen(file, flags, mode);
};
syncBuiltinESMExports();
const spec: NetworkSpec = {
  kind: 'dnn',
  window: 4,
  features: 3,
  stateSize: 3,
  heads: { policy: 3 },
  hidden: [4],
  seed: 5,
};
const { format: _format, models: _models, ...meta } = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
await saveModel(dir, { model: buildNetwork(spec) }, { ...meta, name: 'second' });
console.log('saved without a crash');
