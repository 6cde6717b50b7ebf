/**
 * A saved agent whose meta.json lost its scaler stats is one line naming the model and the recipe's scaler when it
 * loads, not `scaler needs at least 2 training rows` once candles are served (audit, session 38, item 6).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { UserError } from '../../src/core/errors.ts';
import { riseThenFall, saveAgent } from '../trading/agents.ts';
import { tempDir } from '../trading/helpers.ts';

test('a meta.json without scaler state is refused at load, naming the recipe scaler', async () => {
  const tmp = tempDir('bot-load-agent-scaler-');
  try {
    const dir = path.join(tmp.dir, 'm');
    const candles = riseThenFall(120, 40);
    await saveAgent(dir, 'seeded', candles);
    const file = path.join(dir, 'meta.json');
    const { scaler: _scaler, ...meta } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(meta));
    await assert.rejects(
      async () => {
        const agent = await loadAgent(dir);
        try {
          agent.observationSource(candles);
        } finally {
          agent.dispose();
        }
      },
      (e: Error) =>
        e instanceof UserError && /^model .*: meta\.json has no scaler state \(recipe\.scaler \w+\)$/.test(e.message),
    );
  } finally {
    tmp.cleanup();
  }
});
