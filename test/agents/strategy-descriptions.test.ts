/**
 * Every bundled strategy's description says the numbers of its recipe: images (frames), candles (window), filters
 * (hidden sizes), environments and n-step returns, wherever the text names them.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';

interface Described {
  name: string;
  description: string;
  recipe?: {
    window?: number;
    image?: { frames: number };
    network?: { hidden?: number[] };
    learner?: { envs?: number; nSteps?: number };
  };
}

/** What the description claims (pattern → number or text found) against what the recipe holds. */
function mismatches(s: Described): string[] {
  const r = s.recipe;
  if (r === undefined) return [];
  const checks: [RegExp, unknown][] = [
    [/(?:over|sequences of) (\d+) [^,;(]*?images/, r.image?.frames],
    [/over (\d+) candles\b/, r.window],
    [/\((\d+(?:\/\d+)*) filters\)/, r.network?.hidden?.join('/')],
    [/(\d+) environments/, r.learner?.envs],
    [/(\d+)-step returns/, r.learner?.nSteps],
  ];
  const out: string[] = [];
  for (const [pattern, actual] of checks) {
    const said = pattern.exec(s.description)?.[1];
    if (said !== undefined && said !== String(actual))
      out.push(`${s.name}: says ${said} (${pattern}), recipe ${actual}`);
  }
  return out;
}

test("every bundled strategy's description matches its recipe's numbers", async () => {
  const dir = path.join(PROJECT_ROOT, 'strategies');
  const all: Described[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { default: Described };
    all.push(mod.default);
  }
  assert.ok(all.length > 10);
  // the checks can fail: a description with a wrong count is caught
  const wrong = { ...all.find((s) => s.name === 'cnnrnn-dqn')! };
  wrong.description = wrong.description.replace(/sequences of \d+/, 'sequences of 7');
  assert.equal(mismatches(wrong).length, 1);
  assert.deepEqual(all.flatMap(mismatches), []);
});
