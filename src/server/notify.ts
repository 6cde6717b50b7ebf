/**
 * Notifications (issue 15): a webhook POST (the bot's JSON, or a Slack / Discord message body) and a Telegram Bot API
 * message for every fill, halt, promotion and failing tick. Deliveries run in the background with retries and
 * exponential backoff, so they never delay or fail a tick. A payload carries market facts only: never a key (an
 * environment secret quoted in a reason is masked), a token or the webhook's own URL (log lines name only the URL's
 * origin, as Slack's and Discord's URLs are secrets).
 */
import { type Logger } from '../core/log.ts';
import { redactSecretsIn } from '../core/redact.ts';
import type { NotifyEventType, NotifySection } from './config.ts';
import type { DashboardEvent } from './events.ts';

interface Notice {
  type: NotifyEventType;
  /** One readable line: the Slack / Discord / Telegram text. */
  text: string;
  /** The facts, for the JSON body. */
  data: Record<string, unknown>;
}

interface RunLabel {
  (runId: number): string;
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)}%`);

/** The notice for a watcher event, or undefined for events nobody is told about. */
export function noticeFor(e: DashboardEvent, label: RunLabel): Notice | undefined {
  if (e.type === 'fill') {
    const text =
      `${label(e.runId)}: ${e.side} ${e.units} ${e.market} @ ${e.price} ` +
      `(value ${e.value.toFixed(2)}, fee ${e.fee.toFixed(2)})`;
    return {
      type: 'fill',
      text,
      data: {
        run: label(e.runId),
        runId: e.runId,
        ts: new Date(e.ts).toISOString(),
        market: e.market,
        side: e.side,
        price: e.price,
        units: e.units,
        value: e.value,
        fee: e.fee,
      },
    };
  }
  if (e.type === 'halt') {
    return {
      type: 'halt',
      text: `${label(e.runId)}: HALTED: ${e.reason}`,
      data: { run: label(e.runId), runId: e.runId, reason: e.reason },
    };
  }
  if (e.type === 'promotion') {
    const traded = (trades: number | null, exposure: number | null) =>
      trades == null ? '' : `, ${trades} trade${trades === 1 ? '' : 's'}, ${pct(exposure)} in a position`;
    const text =
      `model ${e.modelDir.split(/[\\/]/).pop()}: ${e.challengerVersion} ` +
      `promoted (holdout ${pct(e.challengerScore)}${traded(e.challengerTrades, e.challengerExposure)} ` +
      `vs champion ${pct(e.championScore)}${traded(e.championTrades, e.championExposure)})`;
    return {
      type: 'promotion',
      text,
      data: {
        model: e.modelDir.split(/[\\/]/).pop(),
        from: e.championVersion,
        to: e.challengerVersion,
        challengerScore: e.challengerScore,
        championScore: e.championScore,
        challengerTrades: e.challengerTrades,
        challengerExposure: e.challengerExposure,
        championTrades: e.championTrades,
        championExposure: e.championExposure,
        reason: e.reason,
      },
    };
  }
  return undefined;
}

interface Target {
  /** Origin only, for log lines. */
  name: string;
  url: string;
  body(n: Notice, at: string): unknown;
}

/** The configured webhooks, and Telegram when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set. */
export function targetsFrom(config: NotifySection, env: NodeJS.ProcessEnv = process.env): Target[] {
  const targets: Target[] = config.webhooks.map((w) => ({
    name: `webhook ${new URL(w.url).origin}`,
    url: w.url,
    body: (n: Notice, at: string) =>
      w.format === 'slack'
        ? { text: n.text }
        : w.format === 'discord'
          ? { content: n.text }
          : { event: n.type, at, text: n.text, ...n.data },
  }));
  const token = env.TELEGRAM_BOT_TOKEN;
  const chat = env.TELEGRAM_CHAT_ID;
  if (token && chat) {
    targets.push({
      name: `telegram ${new URL(config.telegramApiUrl).origin}`,
      url: `${config.telegramApiUrl.replace(/\/$/, '')}/bot${token}/sendMessage`,
      body: (n: Notice) => ({ chat_id: chat, text: n.text, disable_web_page_preview: true }),
    });
  }
  return targets;
}

export class Notifier {
  private readonly targets: Target[];
  private readonly config: NotifySection;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(o: { config: NotifySection; logger: Logger; targets?: Target[]; sleep?: (ms: number) => Promise<void> }) {
    this.config = o.config;
    this.logger = o.logger;
    this.targets = o.targets ?? targetsFrom(o.config);
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
  }

  get enabled(): boolean {
    return this.targets.length > 0;
  }

  /** Queues a notice to every target (if its type is enabled); returns at once. */
  send(n: Notice): void {
    if (!this.config.events.includes(n.type)) return;
    const at = new Date().toISOString();
    for (const t of this.targets) {
      const p = this.deliver(t, n, at).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Waits for deliveries in flight, at most `ms` (before a process exits). */
  async flush(ms = 5000): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, ms).unref())]);
  }

  private async deliver(t: Target, n: Notice, at: string): Promise<void> {
    // a halt's reason may quote an exchange's error, which may quote the key: masked in the parsed strings, as an API
    // answer is, so a price equal to a secret stays a number
    const body = JSON.stringify(redactSecretsIn(t.body(n, at)));
    for (let attempt = 0; ; attempt++) {
      let why: string;
      try {
        const res = await fetch(t.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'learning-trading-bot' },
          body,
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        why = `HTTP ${res.status}`;
        // 4xx other than 408/429 will not get better by retrying
        if (res.status < 500 && res.status !== 408 && res.status !== 429) attempt = this.config.retries;
      } catch (e) {
        why = e instanceof Error ? (e.name === 'TimeoutError' ? 'timed out' : e.message) : String(e);
      }
      if (attempt >= this.config.retries) {
        this.logger.warn(`notification (${n.type}) to ${t.name} failed after ${attempt + 1} tries: ${why}`);
        return;
      }
      await this.sleep(Math.min(this.config.backoffMs * 2 ** attempt, 300_000));
    }
  }
}
