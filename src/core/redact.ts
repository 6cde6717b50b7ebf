/**
 * Masking of secrets (the environment's exchange keys, passwords and tokens) in whatever leaves the process: strings,
 * parsed JSON data, JSON text, log entries, and a command's printed answer, `--json` (printJson) or plain text
 * (printText). The logger (log.ts) masks its entries with the masker this module gives it.
 */
import { secretForms, secretValuesFromEnv } from './secrets.ts';

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

/** The environment's secrets and `extra`, each in every form it may be written in (secretForms), the longest first. */
export const envSecrets = (extra: readonly string[]) =>
  [...new Set([...secretValuesFromEnv(), ...extra.flatMap(secretForms)])]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);

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

/** Named HTML entities a report page may write a character as (numeric ones are built for every character). */
const HTML_NAMED: Record<string, string> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };
/** JSON's (and JavaScript's) two-character escapes. */
const JSON_SHORT: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  '\b': 'b',
  '\f': 'f',
  '\n': 'n',
  '\r': 'r',
  '\t': 't',
};

/** Hex digits as a pattern matching either case. */
const hexPattern = (n: number, width = 0) =>
  Array.from(n.toString(16).padStart(width, '0'), (d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
const literal = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/**
 * The longest one character of a secret may be written as: HTML's `&#x` and `&#`, three leading zeros, up to seven
 * digits and `;` (JSON writes a character beyond U+FFFF as two six-character `\uXXXX`).
 */
export const LONGEST_WRITTEN_CHAR = 13;

/**
 * A pattern for one secret as a reader of the text may decode it: each character as it is or escaped (JSON's
 * `\u0061` and `\/`, HTML's `&#97;`, `&#x61;` and `&amp;`, CSV's `""`), so a hand-edited or generated file that
 * escapes a secret does not hand it to whoever decodes the text. No match is longer than LONGEST_WRITTEN_CHAR per
 * character of the secret.
 */
function writtenPattern(secret: string): string {
  return Array.from(secret, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    const forms = [literal(c)];
    forms.push(Array.from({ length: c.length }, (_, i) => '\\\\u' + hexPattern(c.charCodeAt(i), 4)).join(''));
    if (JSON_SHORT[c]) forms.push('\\\\' + literal(JSON_SHORT[c]));
    forms.push(`&#0{0,3}${cp};`, `&#[xX]0{0,3}${hexPattern(cp)};`);
    if (HTML_NAMED[c]) forms.push(`&${HTML_NAMED[c]};`);
    if (c === '"') forms.push('""');
    return `(?:${forms.join('|')})`;
  }).join('');
}

let written: { key: string; pattern: RegExp } | undefined;
/** One pattern for all `secrets` (the longest first, so a secret inside another is masked as part of it). */
function writtenSecrets(secrets: readonly string[]): RegExp {
  const key = JSON.stringify(secrets);
  if (written?.key !== key) written = { key, pattern: new RegExp(secrets.map(writtenPattern).join('|'), 'g') };
  written.pattern.lastIndex = 0;
  return written.pattern;
}

/**
 * Text (a served CSV, HTML or text file; JSON that does not parse) with the environment's secrets masked, each
 * written as it is or escaped (writtenPattern). `runs` (a global pattern): when given, only each run of a match it
 * matches becomes `***`, the rest staying in place, so a CSV keeps its delimiters and quotes (the same fields per
 * row) when a secret holds one.
 */
export function redactWritten(text: string, runs?: RegExp): string {
  const secrets = envSecrets([]);
  if (secrets.length === 0) return text;
  return text.replace(writtenSecrets(secrets), (m) => (runs ? m.replace(runs, MASK) : MASK));
}

/** A string token of JSON text: in text that parses, every `"` outside an escape opens or closes one. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * JSON text with the environment's secrets masked in its strings (keys included), when a secret occurs in it at all
 * (as it is or escaped): each string token is decoded, masked and written again, so a number equal to a secret stays
 * a number, and the rest of the text (numbers beyond a double's precision, the layout of a served report) stays byte
 * for byte. Text that does not parse is masked as text, escaped secrets too (redactWritten).
 */
export function redactJsonText(text: string): string {
  const secrets = envSecrets([]);
  // a string token decoding to a secret holds it literally or JSON-escaped (`\u0061`, `\/`): checking the text for
  // the literal secret alone served a hand-edited report's escaped key as written
  if (secrets.length === 0 || !writtenSecrets(secrets).test(text)) return text;
  try {
    JSON.parse(text);
  } catch {
    return redactWritten(text);
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

/**
 * Prints a command's plain-text answer (a table, a run's detail, a result line) on stdout with the environment's
 * secrets masked, as printJson does for `--json`: the text may quote what an exchange or an error said (a run's halt
 * reason, a retrain's failure), and such a message may quote a key.
 */
export function printText(text: string): void {
  console.log(redactSecrets(text));
}

/**
 * A function masking one field of a log entry: a field named like a credential whole, secrets in any other at any
 * depth (one function per entry, so an object its fields share is copied once).
 */
export function logEntryMasker(secrets: readonly string[]): (key: string, value: unknown) => unknown {
  const mask = masker(secrets, true);
  return (key, value) => (SECRET_KEY.test(key) ? MASK : mask(value));
}
