/**
 * API credentials, read from the environment only: `<EXCHANGE>_API_KEY` / `<EXCHANGE>_API_SECRET`, else `BOT_API_KEY` /
 * `BOT_API_SECRET`.
 */
interface Credentials {
  apiKey: string;
  secret: string;
}

export function credentialsFromEnv(exchangeId: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const prefix = exchangeId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const apiKey = env[`${prefix}_API_KEY`] ?? env.BOT_API_KEY;
  const secret = env[`${prefix}_API_SECRET`] ?? env[`${prefix}_SECRET_KEY`] ?? env.BOT_API_SECRET;
  if (!apiKey || !secret) return undefined;
  return { apiKey, secret };
}

const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD|PASSPHRASE|PRIVATE)/i;

/** The shortest secret also masked URL-encoded and base64-encoded: a shorter run of such text is too often a word. */
const ENCODED_FROM = 8;

/**
 * The forms `value` may leave the process in: as it is; JSON-escaped (inside JSON text, an API answer or a served
 * report, a `"`, `\` or control character is escaped); and, from ENCODED_FROM characters, URL-encoded (an exchange's
 * error may quote a request's query string: encodeURIComponent's form, and the stricter one of query-string encoders
 * such as ccxt's, which escapes !'()* too) and base64 (standard and URL-safe, without the `=` padding, so a padded one
 * is masked up to it).
 */
export function secretForms(value: string): string[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
  if (value.length >= ENCODED_FROM) {
    try {
      const url = encodeURIComponent(value);
      forms.add(url).add(url.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()));
    } catch {
      // a lone surrogate has no URL encoding (encodeURIComponent throws): no such form to mask
    }
    const base64 = Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, '');
    forms.add(base64).add(base64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

/**
 * Every environment value that looks like a secret, in each form it may be written in (secretForms), for redaction in
 * logs. Short values are skipped to avoid masking ordinary words.
 */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!(value && value.length >= 8 && SECRET_NAME.test(name))) continue;
    for (const form of secretForms(value)) values.add(form);
  }
  return [...values].sort((a, b) => b.length - a.length);
}
