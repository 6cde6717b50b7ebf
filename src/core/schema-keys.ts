/**
 * An unknown key's one-line report for zod object schemas (config files, agent recipes): which issue to name first
 * and the key it probably meant ("did you mean window?", closestName).
 */
import type { z } from 'zod';
import { closestName } from './did-you-mean.ts';

/** The keys of the object schema at `path` under `schema` (through optional and default wrappers), or none. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: unknown = schema;
  for (const key of [...path, undefined]) {
    while ((at as { def?: { innerType?: unknown } } | undefined)?.def?.innerType)
      at = (at as { def: { innerType: unknown } }).def.innerType;
    const shape = (at as { shape?: Record<string, unknown> } | undefined)?.shape;
    if (!shape) return [];
    if (key === undefined) return Object.keys(shape);
    at = shape[String(key)];
  }
  return [];
}

/**
 * The issue to report: an unknown key before all others, since a misspelt key also leaves the key it meant missing
 * (`windw: 5` is both an unknown `windw` and a missing `window`, and only the first says what to fix).
 */
export function firstIssue(error: z.ZodError): z.core.$ZodIssue {
  return error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
}

/** `did you mean window?` for an unknown key close to one the schema at `path` takes, else ''. */
export function didYouMean(keys: readonly string[], schema: z.ZodType, path: readonly PropertyKey[]): string {
  const known = keysAt(schema, path);
  const guesses = keys.map((k) => closestName(k, known)).filter((k): k is string => k !== undefined);
  return guesses.length ? `did you mean ${guesses.join(', ')}?` : '';
}
