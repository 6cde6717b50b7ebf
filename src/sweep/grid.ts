/**
 * What a sweep asks for, read from flags (`--grid key=v1,v2` repeated, `--random K`, `--seeds`, `--folds`, …) or from
 * a JSON file (`--file sweep.json`), checked whole before any I/O: every mistake is one line naming the bad part.
 * Also the configurations the grid expands to (all of them, or a seeded random K of them).
 */
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { spotSymbolField } from '../data/config.ts';
import { Rng } from '../core/random.ts';
import { TRAINING_LIMITS } from '../core/limits.ts';

/** A hyper-parameter value: what a recipe field can hold. */
export type ParamValue = number | string | boolean | ParamValue[];

/** One swept parameter: a dotted path into the recipe and the values it takes. */
export interface GridAxis {
  key: string;
  values: ParamValue[];
}

/** One configuration: a value for every swept key (in the grid's key order). */
export type Params = Record<string, ParamValue>;

/** The sweep a user asked for, before any data is loaded. */
export interface SweepRequest {
  strategy: string;
  grid: GridAxis[];
  /** Random search: this many configurations drawn without replacement from the grid (seeded by `seed`). */
  random?: number;
  seeds: number;
  /** First seed; seeds are seed, seed + 1, … */
  seed: number;
  folds: number;
  epochs?: number;
  /** Markets from the store (exchange and timeframe from config). */
  symbols?: string[];
  data?: string;
  sample?: boolean;
  from?: string;
  to?: string;
  name?: string;
  /** Jobs that want a GPU: they go to the GPU queue, which only `bot worker --gpu` takes. */
  gpu?: boolean;
}

const KEY = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;
/** Most configurations one sweep may expand to (a guard against a typo'd grid filling the disk). */
const MAX_CONFIGURATIONS = 10_000;
/** Most jobs (configurations × seeds × folds × markets) one sweep may plan: each is a training run. */
const MAX_JOBS = 100_000;

/** Splits on commas outside brackets: `[64,32],[32]` is two values. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** A value written on the command line: a number, true/false, a JSON array, or a bare word. */
function parseValue(raw: string, where: string): ParamValue {
  const s = raw.trim();
  if (s === '') throw new UserError(`${where}: empty value`);
  if (s === 'true' || s === 'false') return s === 'true';
  if (/^[-+]?(\d|\.\d)/.test(s)) {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new UserError(`${where}: "${s}" is not a number`);
    return n;
  }
  if (s.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      throw new UserError(`${where}: "${s}" is not a JSON array`);
    }
    return checkValue(v, where);
  }
  if (!/^[A-Za-z][A-Za-z0-9_.:+-]*$/.test(s))
    throw new UserError(`${where}: "${s}" is not a number, true/false, [array] or word`);
  return s;
}

function checkValue(v: unknown, where: string): ParamValue {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => checkValue(x, where));
  throw new UserError(`${where}: ${JSON.stringify(v)} is not a number, string, boolean or array`);
}

/** `--grid key=v1,v2,…` → one axis. */
export function parseGridFlag(flag: string): GridAxis {
  const eq = flag.indexOf('=');
  if (eq < 0) throw new UserError(`--grid "${flag}": expected KEY=V1,V2,… (e.g. learner.learningRate=1e-3,3e-4)`);
  const key = flag.slice(0, eq).trim();
  if (!KEY.test(key))
    throw new UserError(
      `--grid "${flag}": "${key}" is not a recipe key (letters and digits, dotted, e.g. learner.gamma)`,
    );
  const values = splitTopLevel(flag.slice(eq + 1)).map((v) => parseValue(v, `--grid ${key}`));
  return checkAxis({ key, values }, `--grid ${key}`);
}

function checkAxis(axis: GridAxis, where: string): GridAxis {
  if (axis.values.length === 0) throw new UserError(`${where}: no values`);
  const seen = new Set<string>();
  for (const v of axis.values) {
    const k = JSON.stringify(v);
    if (seen.has(k)) throw new UserError(`${where}: value ${k} is listed twice`);
    seen.add(k);
  }
  return axis;
}

/** How many configurations a grid has (the product of its value counts). */
function gridSize(grid: readonly GridAxis[]): number {
  return grid.reduce((n, a) => n * a.values.length, 1);
}

/**
 * Costs are what the market charges, not a choice to tune: a grid over them ranks the cheapest assumption first and
 * sets it against baselines charged other costs.
 */
function refuseCosts(key: string, where: string): void {
  if (key === 'costs' || key.startsWith('costs.'))
    throw new UserError(
      `${where}: costs are a fact of the market, not a hyper-parameter to tune; set them in the recipe ` +
        'or the config account section',
    );
}

/** Checks a whole grid: no key twice, no grid over costs, and not too many configurations. */
export function checkGrid(grid: readonly GridAxis[], random?: number): void {
  const keys = new Set<string>();
  for (const a of grid) {
    refuseCosts(a.key, `--grid ${a.key}`);
    if (keys.has(a.key)) throw new UserError(`--grid ${a.key} is given twice: list all its values in one --grid`);
    for (const k of keys) {
      if (a.key.startsWith(`${k}.`) || k.startsWith(`${a.key}.`))
        throw new UserError(`--grid ${a.key} and ${k} overlap (one is inside the other)`);
    }
    keys.add(a.key);
  }
  const total = gridSize(grid);
  // random search draws by index (expandGrid), so the index must stay exact in a double
  if (total > Number.MAX_SAFE_INTEGER)
    throw new UserError(`the grid has ${total.toExponential(2)} configurations, too many even for --random`);
  if (random !== undefined && random > total)
    throw new UserError(`--random ${random} is more than the grid's ${total} configurations`);
  if ((random ?? total) > MAX_CONFIGURATIONS) {
    throw new UserError(
      `the grid has ${total} configurations (at most ${MAX_CONFIGURATIONS}); use --random K or fewer values`,
    );
  }
}

/**
 * Checks the number of jobs a request plans (configurations × seeds × folds × markets) before anything is read:
 * a typo such as `--seeds 1000000` is one line, not hours of hashing and a queue of millions.
 */
export function checkJobCount(req: Pick<SweepRequest, 'grid' | 'random' | 'seeds' | 'folds' | 'symbols'>): void {
  const configurations = req.random ?? gridSize(req.grid);
  const markets = req.symbols?.length ?? 1;
  const jobs = configurations * req.seeds * req.folds * markets;
  if (jobs > MAX_JOBS)
    throw new UserError(
      `the sweep would run ${jobs} jobs (${configurations} configuration(s) × ${req.seeds} seed(s) × ` +
        `${req.folds} fold(s) × ${markets} market(s)); at most ${MAX_JOBS}: use --random K or fewer seeds or folds`,
    );
}

const gridValue: z.ZodType<ParamValue> = z.lazy(() =>
  z.union([z.number(), z.string(), z.boolean(), z.array(gridValue)]),
);
const whole = (min: number) => z.number().int().min(min);

/** The `--file sweep.json` format: the flags' names, `grid` as { key: [values] }. */
const fileSchema = z.strictObject({
  strategy: z.string().min(1),
  grid: z.record(z.string(), z.array(gridValue).min(1)),
  random: whole(1).optional(),
  seeds: whole(1).optional(),
  seed: whole(0).optional(),
  folds: whole(1).optional(),
  epochs: whole(1).max(TRAINING_LIMITS.epochs).optional(),
  symbols: z.array(spotSymbolField).min(1).optional(),
  data: z.string().min(1).optional(),
  sample: z.boolean().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  name: z.string().optional(),
  gpu: z.boolean().optional(),
});

type SweepFile = z.infer<typeof fileSchema>;

/** Parses a sweep file's text; `file` names it in the one-line error. */
export function parseSweepFile(text: string, file: string): SweepFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new UserError(`${file}: ${where}: ${issue.message}`);
  }
  for (const key of Object.keys(parsed.data.grid)) {
    if (!KEY.test(key))
      throw new UserError(`${file}: grid key "${key}" is not a recipe key (letters and digits, dotted)`);
    refuseCosts(key, `${file}: grid.${key}`);
    checkAxis({ key, values: parsed.data.grid[key] }, `${file}: grid.${key}`);
  }
  return parsed.data;
}

/** The configuration at `index` of the grid's full order (first key slowest), without listing the others. */
function configurationAt(grid: readonly GridAxis[], index: number): Params {
  const params: Params = {};
  let rest = index;
  for (let k = grid.length - 1; k >= 0; k--) {
    const n = grid[k].values.length;
    params[grid[k].key] = grid[k].values[rest % n];
    rest = Math.floor(rest / n);
  }
  // keys in the grid's order, as the full listing has them
  return Object.fromEntries(grid.map((a) => [a.key, params[a.key]]));
}

/**
 * Every configuration of the grid in order (first key slowest), or `random` of them drawn with `seed`. A random draw
 * touches only the indices it draws, so `--random 20` over a grid of millions costs twenty configurations, not a
 * list of millions (which overflowed the stack).
 */
export function expandGrid(grid: readonly GridAxis[], random?: number, seed = 1): Params[] {
  const total = gridSize(grid);
  if (random === undefined || random >= total) return Array.from({ length: total }, (_, i) => configurationAt(grid, i));
  const rng = new Rng(seed);
  // partial Fisher–Yates over the index list 0..total−1, kept sparse: `moved` holds only the places a swap changed
  const moved = new Map<number, number>();
  const at = (i: number) => moved.get(i) ?? i;
  const out: Params[] = [];
  for (let i = 0; i < random; i++) {
    const j = i + Math.floor(rng.next() * (total - i));
    const picked = at(j);
    moved.set(j, at(i));
    moved.set(i, picked);
    out.push(configurationAt(grid, picked));
  }
  return out;
}

/** A configuration as a short label: `learner.learningRate=0.001 window=5` (or `(recipe as is)`). */
export function paramsLabel(p: Params): string {
  const parts = Object.entries(p).map(([k, v]) => `${k}=${JSON.stringify(v).replace(/"/g, '')}`);
  return parts.length ? parts.join(' ') : '(recipe as is)';
}
