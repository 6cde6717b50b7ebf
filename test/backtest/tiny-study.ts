/** A tiny walk-forward study's inputs for tests: a synthetic series, a one-epoch agent strategy file, a config. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dqnDnn from '../../strategies/dqn-dnn.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';

/** A temp folder with a synthetic series, a one-epoch agent strategy file (tiny-a.ts:
 * dqn-dnn with 4 hidden units and one epoch) and a config that keeps models inside. */
export function tinyStudyHome(prefix: string): { dir: string; csv: string; config: string; strategy: string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const csv = path.join(dir, 'syn.csv');
  writeFileSync(csv, candlesToCsv(syntheticCandles({ seed: 5, count: 700, timeframe: '1h', symbol: 'SYN/KRW' })));
  const config = path.join(dir, 'config.json');
  const agent = { modelsDir: path.join(dir, 'models'), summaryEvery: 0 };
  writeFileSync(config, JSON.stringify({ log: { level: 'error', file: '' }, ml: { backend: 'wasm' }, agent }));
  const recipe = {
    ...dqnDnn.recipe,
    network: { kind: 'dnn', hidden: [4], dropout: 0, batchNorm: false, activation: 'relu' },
    // learning within its one epoch: an epoch before the first update is never chosen; a run that never learns fails
    learner: { ...dqnDnn.recipe.learner, warmup: 64 },
    epochs: 1,
  };
  const strategy = path.join(dir, 'tiny-a.ts');
  const body = { kind: 'agent', name: 'tiny-a', description: 'one-epoch dqn-dnn', recipe };
  writeFileSync(strategy, `export default ${JSON.stringify(body, null, 2)};\n`);
  return { dir, csv, config, strategy };
}
