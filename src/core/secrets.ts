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

/**
 * Every environment value that looks like a secret, for redaction in logs. Short values are skipped to avoid masking
 * ordinary words.
 */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!(value && value.length >= 8 && SECRET_NAME.test(name))) continue;
    values.add(value);
    // inside JSON text (an API answer, a served report) a `"`, `\` or control character is escaped: mask that form too
    values.add(JSON.stringify(value).slice(1, -1));
  }
  return [...values].sort((a, b) => b.length - a.length);
}
