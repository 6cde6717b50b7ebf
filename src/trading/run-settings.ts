/**
 * The run-defining flags a paper or live run starts with and keeps (RunSettings, trading schema 15): a portfolio's
 * --band and --market-costs, a rule policy's --seed. A resume given another value is refused in one line, as another
 * --balance or --start is (run-holder.ts); a resume that omits the flag trades with the stored value, not the default.
 * A run from before the schema stored none: its flags apply as they did.
 */
import { RunRefusedError } from '../core/errors.ts';
import type { RunKey, RunSettings, RunState } from './types.ts';

/** The value each setting takes when neither the flag nor the stored run gives one. */
type SettingDefaults = Required<RunSettings>;

const FLAGS: Record<keyof RunSettings, string> = { band: '--band', marketCosts: '--market-costs', seed: '--seed' };

/** A setting as its flag is written: `--band 0.01`, `--market-costs A/KRW=zero,B/KRW=upbit-krw`, or none. */
function shown(k: keyof RunSettings, v: RunSettings[keyof RunSettings]): string {
  if (typeof v === 'number') return `${FLAGS[k]} ${v}`;
  const pairs = Object.entries(v ?? {})
    .map(([s, p]) => `${s}=${p}`)
    .sort();
  return pairs.length ? `${FLAGS[k]} ${pairs.join(',')}` : `no ${FLAGS[k]}`;
}

/** One comparable form of a setting (a --market-costs list in any order is the same list). */
function same(a: RunSettings[keyof RunSettings], b: RunSettings[keyof RunSettings]): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  const norm = (m: Record<string, string> | undefined) => JSON.stringify(Object.entries(m ?? {}).sort());
  return norm(a) === norm(b);
}

/**
 * The settings this start trades with: each one `given` (undefined: the flag was not), else the `stored` run's, else
 * the default; only the keys of `defaults` (a model run has no seed). A given value other than the stored run's is a
 * RunRefusedError naming the flag and the stored value. `stored`: the run resumed (none: a new run, or --reset).
 */
export function runSettings(
  key: RunKey,
  given: RunSettings,
  defaults: Partial<SettingDefaults>,
  stored: RunState | undefined,
): RunSettings {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(defaults) as (keyof RunSettings)[]) {
    const before = stored?.settings?.[k];
    const now = given[k];
    if (now !== undefined && before !== undefined && !same(now, before))
      throw new RunRefusedError(
        `the ${key.mode} run "${key.name}" for ${key.symbol} ${key.timeframe} started with ${shown(k, before)}; ` +
          `${shown(k, now)} is for a new run (use --name for a new run, or --reset)`,
      );
    out[k] = now ?? before ?? defaults[k];
  }
  return out as RunSettings;
}
