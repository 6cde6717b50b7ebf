/**
 * Loading config: config/default.json, an optional file and flag overrides, merged and validated in one line of error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { PROJECT_ROOT } from '../core/project-root.ts';
import { didYouMean, firstIssue } from '../core/schema-keys.ts';
import { configSchema, type Config } from './schema.ts';

const DEFAULT_CONFIG_FILE = path.join(PROJECT_ROOT, 'config', 'default.json');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced. */
function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function readJson(file: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    // a mistyped path is the usual cause: say so, not only that reading failed
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`config file ${file}: no such file`);
    if (code === 'EISDIR') throw new UserError(`config file ${file} is a folder, not a JSON file`);
    throw new UserError(`config file ${file} cannot be read (${code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    // V8 quotes the start of the text in its message, newlines included: the error stays one line
    const why = (e as Error).message.replace(/\s+/g, ' ');
    throw new UserError(`config file ${file} is not valid JSON (config files are JSON, not YAML): ${why}`);
  }
  if (!isObject(parsed)) throw new UserError(`config file ${file} must hold a JSON object`);
  return parsed;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${key}.` : '';
    const guess = didYouMean(issue.keys, configSchema, issue.path);
    return `${issue.keys.map((k) => prefix + k).join(', ')}: unknown key${guess ? `, ${guess}` : ''}`;
  }
  // a bad key of a keyed section (account.markets): say what a key should look like
  if (issue.code === 'invalid_key') return `${key}: bad key, ${issue.issues[0]?.message ?? issue.message}`;
  return `${key}: ${issue.message}`;
}

/** Validates a merged config object; the first problem becomes a one-line UserError. */
function validateConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = firstIssue(result.error);
    throw new UserError(`config error (${source}): ${describeIssue(issue)}`);
  }
  return result.data;
}

interface LoadConfigOptions {
  /** Extra file layered over config/default.json. */
  configFile?: string;
  /** Values from flags, layered over both files. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  let merged = readJson(DEFAULT_CONFIG_FILE);
  const sources = ['config/default.json'];
  if (options.configFile) {
    merged = deepMerge(merged, readJson(options.configFile));
    sources.push(options.configFile);
  }
  if (options.overrides) {
    merged = deepMerge(merged, options.overrides as JsonObject);
    sources.push('flags');
  }
  return validateConfig(merged, sources.join(' + '));
}
