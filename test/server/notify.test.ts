/**
 * Notifications (issue 15) against real local HTTP servers: a webhook that fails twice before answering (retried
 * with backoff), Slack / Discord bodies, a fake Telegram Bot API; a paper run's fills, halt and its model's promotion
 * announced by its own watcher; a webhook that never answers does not delay a tick; no secret in any payload.
 */
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { canonicalHome } from '../../src/agents/model-pointer.ts';
import { requestCommand } from '../../src/trading/commands.ts';
import { Notifier, targetsFrom } from '../../src/server/notify.ts';
import { startRunNotices } from '../../src/server/run-notices.ts';
import type { NotifySection } from '../../src/server/config.ts';
import { HaltError } from '../../src/core/errors.ts';
import { quietLogger, waitFor } from '../trading/helpers.ts';
import { paperFixture, type PaperFixture } from './fixture.ts';

/** A JSON reply of one of many shapes; the assertions check what each test reads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Hit {
  path: string;
  body: Json;
  at: number;
}

/** A local HTTP server that records POSTs; `failFirst` answers 500 that many times first; `hang` never answers. */
async function receiver(o: { failFirst?: number; hang?: boolean } = {}) {
  const hits: Hit[] = [];
  let failures = o.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      if (o.hang) return;
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('busy');
        return;
      }
      hits.push({ path: req.url ?? '', body: JSON.parse(raw), at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const SECRET = 'sk-test-secret-value-42424242';
const base = (webhooks: NotifySection['webhooks'], extra: Partial<NotifySection> = {}): NotifySection => ({
  webhooks,
  events: ['fill', 'halt', 'promotion', 'tick-failed'],
  retries: 3,
  backoffMs: 20,
  timeoutMs: 2000,
  telegramApiUrl: 'http://127.0.0.1:1',
  ...extra,
});

let f: PaperFixture;
before(async () => {
  process.env.UPBIT_API_SECRET = SECRET;
  f = await paperFixture();
});
after(() => {
  delete process.env.UPBIT_API_SECRET;
  f.cleanup();
});

test(`a webhook that fails twice gets the notice on the third try, after growing pauses; Slack and Discord \
bodies`, async () => {
  const hook = await receiver({ failFirst: 2 });
  const slack = await receiver();
  const discord = await receiver();
  try {
    const n = new Notifier({
      config: base([
        { url: hook.url + '/hook', format: 'json' },
        { url: slack.url, format: 'slack' },
        { url: discord.url, format: 'discord' },
      ]),
      logger: quietLogger(),
    });
    const sent = Date.now();
    n.send({ type: 'fill', text: 'paper default: buy 1 @ 100', data: { side: 'buy', price: 100 } });
    await n.flush();
    assert.equal(hook.hits.length, 1);
    assert.ok(hook.hits[0].at - sent >= 20 + 40, 'waited 20 ms then 40 ms before the third try');
    assert.deepEqual(
      { ...hook.hits[0].body, at: undefined },
      { event: 'fill', at: undefined, text: 'paper default: buy 1 @ 100', side: 'buy', price: 100 },
    );
    assert.deepEqual(slack.hits[0].body, { text: 'paper default: buy 1 @ 100' });
    assert.deepEqual(discord.hits[0].body, { content: 'paper default: buy 1 @ 100' });
  } finally {
    await Promise.all([hook.close(), slack.close(), discord.close()]);
  }
});

test(`an environment secret quoted in a halt reason is masked in the webhook's JSON and in Slack's text; a price \
equal to a secret stays a number`, async () => {
  const hook = await receiver();
  const slack = await receiver();
  process.env.BOT_API_PASSWORD = '94511000';
  try {
    const n = new Notifier({
      config: base([
        { url: hook.url, format: 'json' },
        { url: slack.url, format: 'slack' },
      ]),
      logger: quietLogger(),
    });
    const reason = `exchange refused key ${SECRET}`;
    n.send({ type: 'halt', text: `live default: HALTED: ${reason}`, data: { reason, price: 94511000 } });
    await n.flush();
    assert.deepEqual(
      { ...hook.hits[0].body, at: undefined },
      {
        event: 'halt',
        at: undefined,
        text: 'live default: HALTED: exchange refused key ***',
        reason: 'exchange refused key ***',
        price: 94511000,
      },
    );
    assert.deepEqual(slack.hits[0].body, { text: 'live default: HALTED: exchange refused key ***' });
  } finally {
    delete process.env.BOT_API_PASSWORD;
    await Promise.all([hook.close(), slack.close()]);
  }
});

test('Telegram through a local fake of the Bot API when the token and chat id are in the environment', async () => {
  const tg = await receiver();
  try {
    const targets = targetsFrom(base([], { telegramApiUrl: tg.url }), {
      TELEGRAM_BOT_TOKEN: '123456:ABC-secret-token',
      TELEGRAM_CHAT_ID: '-1001',
    });
    assert.deepEqual(
      targets.map((t) => t.name),
      [`telegram ${tg.url}`],
      'named by origin only: the token stays out of logs',
    );
    const n = new Notifier({ config: base([]), logger: quietLogger(), targets });
    n.send({ type: 'halt', text: 'live default: HALTED: daily loss', data: {} });
    await n.flush();
    assert.equal(tg.hits[0].path, '/bot123456:ABC-secret-token/sendMessage');
    assert.deepEqual(tg.hits[0].body, {
      chat_id: '-1001',
      text: 'live default: HALTED: daily loss',
      disable_web_page_preview: true,
    });
  } finally {
    await tg.close();
  }
});

test(`a paper run announces its fills, its halt and its model promotion; a hanging webhook never delays a tick; no \
secret sent`, async () => {
  const hook = await receiver();
  const hang = await receiver({ hang: true });
  try {
    // the run serves its model through a symlink; a retrain records the home by its real path
    const link = path.join(f.modelsDir, 'serving');
    symlinkSync(path.join(f.modelsDir, 'btc-dqn'), link);
    const run = { ...f.repo.list()[0], policy: 'model:' + link };
    const notices = startRunNotices({
      dbFile: f.dbFile,
      run,
      config: base(
        [
          { url: hook.url, format: 'json' },
          { url: hang.url, format: 'json' },
        ],
        { timeoutMs: 60_000, retries: 0 },
      ),
      logger: quietLogger(),
    });
    assert.ok(notices);
    const fillsBefore = f.repo.trades(f.runId).length;
    const started = Date.now();
    for (let k = 0; k < 24; k++) {
      await f.advance(1);
      notices.poll();
    }
    assert.ok(Date.now() - started < 5000, 'ticks ran while a webhook hung');
    const fills = f.repo.trades(f.runId).slice(fillsBefore);
    assert.ok(fills.length >= 1, `the run traded (${fills.length} fills)`);
    // a promotion of this run's model, and one of another model (not announced by this run)
    for (const dir of [path.join(f.modelsDir, 'btc-dqn'), path.join(f.modelsDir, 'other')]) {
      f.repo.db
        .prepare(
          `INSERT INTO trading_retrains (started_at, finished_at, exchange, symbol, timeframe, strategy,
        model_dir, champion_version, challenger_version, champion_score, challenger_score, outcome, reason,
        challenger_trades, challenger_exposure, champion_trades, champion_exposure)
        VALUES (1, 2, 'upbit', 'BTC/KRW', '1h', 'dqn-dnn', ?, 'v2', 'v3', 0.01, 0.05, 'promoted', 'beats',
        4, 0.5, 1, 0.975)`,
        )
        .run(canonicalHome(dir));
    }
    requestCommand(f.repo.db, {
      runId: f.runId,
      kind: 'halt',
      requestedBy: 'token:abc',
      reason: 'test',
      now: f.clock.now,
    });
    await assert.rejects(() => f.advance(1), HaltError);
    const closing = notices.close();
    // the hook's notices arrive while the other webhook hangs: wait for them, not for a fixed time (a loaded machine
    // took longer than 300 ms)
    await waitFor(() => hook.hits.length >= fills.length + 2 || undefined, 20_000, 'the notices at the hook');
    const events = hook.hits.map((h) => h.body.event);
    assert.equal(events.filter((e) => e === 'fill').length, fills.length, 'one notice per fill');
    assert.deepEqual(
      events.filter((e) => e !== 'fill').sort(),
      ['halt', 'promotion'],
      "the other model's promotion is not this run's news",
    );
    const fill = hook.hits.find((h) => h.body.event === 'fill')?.body;
    assert.deepEqual([fill.side, fill.price, fill.units], [fills[0].side, fills[0].price, fills[0].units]);
    assert.match(hook.hits.find((h) => h.body.event === 'halt')?.body.reason, /halted by token:abc/);
    const promotion = hook.hits.find((h) => h.body.event === 'promotion')?.body;
    assert.equal(promotion?.to, 'v3');
    // how both traded on the holdout: a challenger that never traded won a falling holdout with flat's 0.00%
    assert.equal(
      promotion?.text,
      'model btc-dqn: v3 promoted (holdout 5.00%, 4 trades, 50.00% in a position vs champion 1.00%, 1 trade, ' +
        '97.50% in a position)',
    );
    assert.deepEqual(
      [
        promotion?.challengerTrades,
        promotion?.challengerExposure,
        promotion?.championTrades,
        promotion?.championExposure,
      ],
      [4, 0.5, 1, 0.975],
    );
    for (const h of hook.hits) assert.ok(!JSON.stringify(h.body).includes(SECRET), 'no secret in a payload');
    await hang.close();
    await closing;
  } finally {
    await hook.close();
    await hang.close().catch(() => undefined);
  }
});
