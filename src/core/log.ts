/**
 * The process logger: readable lines on stderr (coloured only where colour belongs), a JSON-lines file, and secret
 * values masked in both.
 */
import winston from 'winston';
import { CappedFileTransport, type LogFileCap } from './log-file.ts';
import { secretValuesFromEnv } from './secrets.ts';

export type Logger = winston.Logger;

interface LogOptions {
  level: string;
  /** JSON-lines file; empty: no file. */
  file: string;
  /** Rotation of the file (config `log.maxBytes`, `log.maxFiles`); required with a file, so none grows unbounded. */
  cap?: LogFileCap;
  /** Console output (readable lines on stderr). */
  console?: boolean;
  /** Extra strings to mask besides the environment's secrets. */
  secrets?: string[];
}

const SECRET_KEY = /^(api_?key|secret|password|passphrase|token|private_?key|access_?key|authorization)$/i;
const MASK = '***';

function redactString(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

type Copy = unknown[] | Record<string, unknown>;

/**
 * A function copying a value with every secret masked in its strings, keys included, at any depth; numbers, booleans
 * and null stay as they are, so masked JSON data is still valid JSON. `keys`: a field named like a credential is
 * masked whole (in log entries, the program's own; not in an API answer, whose `token` is login's). The walk keeps
 * its own stack, so a deep entry cannot overflow the call stack, and copies each object once (a shared one is shared
 * in the copy too), so the work is bounded by the value's size; a reference back to an object being copied (a cycle)
 * becomes `[Circular]`, as the log file's serialiser writes it, so the copy always serialises. One function may copy
 * several values (a log entry's fields): an object they share is copied once.
 */
function masker(secrets: readonly string[], keys: boolean): (v: unknown) => unknown {
  const copies = new Map<object, Copy>();
  const open = new Set<object>();
  const stack: { entries: [string, unknown][]; out: Copy; from: object; next: number }[] = [];
  const copy = (x: unknown, serialised = false): unknown => {
    if (typeof x === 'string') return redactString(x, secrets);
    if (x === null || typeof x !== 'object') return x;
    if (x instanceof Error) return redactString(x.stack ?? x.message, secrets);
    if (open.has(x)) return '[Circular]';
    const done = copies.get(x);
    if (done) return done;
    // what JSON.stringify would write for it (a Date's ISO time, a Buffer's bytes), not its own fields (a Date was
    // written `{}`); as there, toJSON is called once, not again on what it returns
    const json = (x as { toJSON?: unknown }).toJSON;
    if (!serialised && typeof json === 'function') {
      let value: unknown = x;
      try {
        value = json.call(x);
      } catch {
        // a toJSON that throws must not turn a log call into a crash: its fields are copied instead
      }
      return copy(value, true);
    }
    const out: Copy = Array.isArray(x) ? [] : {};
    copies.set(x, out);
    open.add(x);
    stack.push({
      entries: Array.isArray(x)
        ? Array.from(x as unknown[], (y, i): [string, unknown] => [String(i), y])
        : Object.entries(x),
      out,
      from: x,
      next: 0,
    });
    return out;
  };
  return (v) => {
    const root = copy(v);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next === top.entries.length) {
        open.delete(top.from);
        stack.pop();
        continue;
      }
      const [k, x] = top.entries[top.next++];
      if (Array.isArray(top.out)) top.out.push(copy(x));
      // a method is no data (JSON leaves it out), and a toJSON kept in the copy would be called by the serialiser
      else if (typeof x !== 'function') top.out[redactString(k, secrets)] = keys && SECRET_KEY.test(k) ? MASK : copy(x);
    }
    return root;
  };
}

const envSecrets = (extra: readonly string[]) => [...secretValuesFromEnv(), ...extra].filter((s) => s.length > 0);

/** Masks every secret from the environment (and `extra`) in a string, for output that bypasses the logger. */
export function redactSecrets(text: string, extra: readonly string[] = []): string {
  return redactString(text, envSecrets(extra));
}

/**
 * Parsed JSON data (an API answer, an event, a log entry) with the environment's secrets masked in its strings, to
 * serialise afterwards: masking the finished text turned a number equal to a secret into a bare `***`.
 */
export function redactSecretsIn<T>(data: T): T {
  return masker(envSecrets([]), false)(data) as T;
}

/** A string token of JSON text: in text that parses, every `"` outside an escape opens or closes one. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * JSON text with the environment's secrets masked in its strings (keys included), when a secret occurs in it at all:
 * each string token is decoded, masked and written again, so a number equal to a secret stays a number, and the
 * rest of the text (numbers beyond a double's precision, the layout of a served report) stays byte for byte. Text
 * that does not parse is masked as text.
 */
export function redactJsonText(text: string): string {
  const secrets = envSecrets([]);
  if (!secrets.some((s) => text.includes(s))) return text;
  try {
    JSON.parse(text);
  } catch {
    return redactString(text, secrets);
  }
  return text.replace(JSON_STRING, (token) => {
    const value = JSON.parse(token) as string;
    const masked = redactString(value, secrets);
    return masked === value ? token : JSON.stringify(masked);
  });
}

/**
 * Prints a command's `--json` answer on stdout with the environment's secrets masked in its strings, as every
 * dashboard answer is (a run's halt reason may quote an exchange's error): serialised as JSON.stringify writes it,
 * then masked in its string tokens, so a number that equals a secret stays a number and the output stays JSON.
 */
export function printJson(value: unknown, indent = 2): void {
  console.log(redactJsonText(JSON.stringify(value, null, indent)));
}

/** A winston format that masks secret values anywhere in a log entry and any field named like a credential. */
const redact = winston.format((info, opts: unknown) => {
  const mask = masker((opts as { secrets?: string[] } | undefined)?.secrets ?? [], true);
  for (const key of Object.keys(info)) {
    const k = key as keyof typeof info;
    info[k] = SECRET_KEY.test(key) ? MASK : mask(info[k]);
  }
  return info;
});

/**
 * Whether console lines may carry colour: `FORCE_COLOR` (not 0/false) forces it, `NO_COLOR` (any non-empty value,
 * no-color.org) or `FORCE_COLOR=0` turns it off, and otherwise only a terminal gets it, so `2>paper.log` writes
 * plain text (issue 17). The JSON log file is never coloured.
 */
function consoleColour(stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !/^(0|false)$/i.test(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** Marks an entry for the log file only: the line the console would show is already on stderr. */
const FILE_ONLY = Symbol.for('bot.fileOnly');
const consoleSkip = winston.format((info) => (info[FILE_ONLY] === true ? false : info));

export function createLogger(options: LogOptions): Logger {
  const secrets = [...secretValuesFromEnv(), ...(options.secrets ?? [])].filter((s) => s.length > 0);
  const transports: winston.transport[] = [];
  if (options.console !== false) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.combine(
          consoleSkip(),
          ...(consoleColour() ? [winston.format.colorize({ level: true })] : []),
          winston.format.printf((info) => {
            const { level, message, timestamp, ...meta } = info;
            const extra = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
            return `${String(timestamp).slice(11, 19)} ${level} ${String(message)}${extra}`;
          }),
        ),
      }),
    );
  }
  if (options.file) {
    if (!options.cap) throw new Error(`log file ${options.file}: no size cap given`);
    transports.push(new CappedFileTransport(options.file, options.cap, { format: winston.format.json() }));
  }
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(winston.format.timestamp(), redact({ secrets })),
    transports,
    exitOnError: false,
  });
}

/** Waits until file transports have written everything (call before process exit). */
export async function closeLogger(logger: Logger): Promise<void> {
  const done = new Promise<void>((resolve) => logger.on('finish', () => resolve()));
  logger.end();
  await Promise.race([done, new Promise<void>((r) => setTimeout(r, 2000))]);
}

let current: Logger | undefined;

/** The process-wide logger; a silent one until the CLI sets it up. */
export function log(): Logger {
  current ??= winston.createLogger({
    level: 'error',
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
  return current;
}

export function setLogger(logger: Logger): void {
  current = logger;
}

let runUnderWay = false;

/**
 * Marks that a run (paper, live, a worker) is under way, its flags checked: from here the error that ends the process
 * goes to the log file, where a service manager's user looks for why a run stopped.
 */
export function markRunUnderWay(): void {
  runUnderWay = true;
}

/**
 * Logs the error that ends the process (already printed on stderr as one line): at error level to the log file only
 * once a run is under way, at debug before (a flag mistake is no event of a run). Masked as every entry is.
 */
export function logEndingError(message: string): void {
  if (runUnderWay) log().log({ level: 'error', message, [FILE_ONLY]: true });
  else log().debug(message);
}
