/** The config sections the dashboard server (`server`) and the notifications (`notify`) own (issue 15). */
import { z } from 'zod';

/** `bot serve` and `bot paper --serve`. */
export const serverSection = z.strictObject({
  /** Address to bind; anything but loopback needs credentials (BOT_API_PASSWORD or a token). */
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  /** Origins allowed by CORS; empty: CORS off (the dashboard is same-origin). */
  corsOrigins: z.array(z.string().url()),
  /** Hashed API tokens made by `bot serve --new-token`. */
  tokensFile: z.string().min(1),
  /** How often the server looks for new rows to push as events, ms. */
  pollMs: z.number().int().min(50).max(60_000),
  /** Event streams open at once; more are refused with 503 (each holds a socket and a write per event). */
  maxEventStreams: z.number().int().min(1).max(10_000),
  /** Life of a session token from /api/v1/login, hours. */
  sessionHours: z
    .number()
    .positive()
    .max(24 * 30),
  /** The JSON-lines log file `logs` tails (default: the log section's file). */
  logFile: z.string(),
});

const NOTIFY_EVENTS = ['fill', 'halt', 'promotion', 'tick-failed'] as const;
export type NotifyEventType = (typeof NOTIFY_EVENTS)[number];

/** Webhooks (and Telegram when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set) on fills, halts, promotions. */
export const notifySection = z.strictObject({
  webhooks: z.array(
    z.strictObject({
      url: z
        .string()
        .url()
        .refine((u) => /^https?:/.test(u), 'expected an http(s) URL'),
      /** Body shape: the bot's JSON, or Slack's / Discord's incoming-webhook message. */
      format: z.enum(['json', 'slack', 'discord']),
    }),
  ),
  events: z.array(z.enum(NOTIFY_EVENTS)),
  /** Tries after the first failure, with exponential backoff from backoffMs. */
  retries: z.number().int().min(0).max(10),
  backoffMs: z.number().int().min(1).max(600_000),
  timeoutMs: z.number().int().min(100).max(120_000),
  /** Telegram Bot API base URL (a local fake in tests). */
  telegramApiUrl: z.string().url(),
});

export type NotifySection = z.infer<typeof notifySection>;
