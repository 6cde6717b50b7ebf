/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core; installed for the tests
 * by scripts/ensure-system-tools.mjs): the overview lists the run, the run page draws its charts and shows every
 * decision row the database holds, a new tick arrives without reload, control without credentials is refused and
 * with a token is honoured by the trader, two backtests compare side by side, a portfolio backtest has its page, and
 * the models page reads meta.json's metrics as bot backtest and bot retrain nest them. Screenshots are real PNGs
 * (SCREENSHOT_DIR=docs/screenshots writes the README's copies).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { launchChromium, requireChromium } from '../../src/bench/chromium.ts';
import { paperFixture, serve, writeBacktest, writeRetrains, type PaperFixture, type Served } from './fixture.ts';
import { sweepHead, SWEEP_ID } from './sweep-head.ts';
import { MAX_READ_WHOLE_BYTES } from '../../src/server/served-json.ts';
import { retrainRecord } from '../../src/trading/retrain.ts';
import { quietLogger } from '../trading/helpers.ts';

let f: PaperFixture;
let context: BrowserContext;
let shots: string;

before(async () => {
  requireChromium();
  f = await paperFixture();
  shots = process.env.SCREENSHOT_DIR ? path.resolve(process.env.SCREENSHOT_DIR) : path.join(f.dir, 'shots');
  mkdirSync(shots, { recursive: true });
  context = await launchChromium(path.join(f.dir, 'chromium-profile'), { width: 1280, height: 900 });
});
after(async () => {
  await context?.close();
  f?.cleanup();
});

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const bytes = readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  const meta = await sharp(file).metadata();
  assert.equal(meta.format, 'png');
  assert.ok((meta.width ?? 0) >= 1000 && (meta.height ?? 0) >= 600, `${name}: ${meta.width}×${meta.height}`);
  const { channels } = await sharp(file).stats();
  assert.ok(
    channels.some((c) => c.stdev > 5),
    `${name} is not a blank page`,
  );
}

const decisionsText = (page: Page) => page.locator('#decisions p').first().textContent();

test(`overview → run page: chart canvases, every decision row, a new tick without reload; control refused without \
credentials`, async () => {
  const s: Served = await serve(f);
  const page = await context.newPage();
  const offline: string[] = [];
  page.on('request', (r) => (new URL(r.url()).hostname !== '127.0.0.1' ? offline.push(r.url()) : undefined));
  try {
    await page.goto(s.url + '/');
    await page.locator('#runs-table tbody tr').first().waitFor();
    assert.equal(await page.locator('#runs-table tbody tr').count(), 1);
    assert.match(
      (await page.locator('#runs-table tbody tr').first().textContent()) ?? '',
      /paper default.*upbit BTC\/KRW 1h/,
    );
    await screenshot(page, 'overview');

    await page.locator('#runs-table tbody tr').first().click();
    await page.locator('#decisions-table tbody tr').first().waitFor();
    const total = f.repo.decisionCount(f.runId);
    assert.ok(total > 50 && total < 100, `the fixture has ${total} decisions (one page)`);
    assert.equal(await page.locator('#decisions-table tbody tr').count(), total, 'as many rows as the database holds');
    assert.equal(await decisionsText(page), `${total} of ${total} decisions, newest first`);
    assert.ok((await page.locator('#candle-chart canvas').count()) > 0, 'the candle chart draws on a canvas');
    assert.ok((await page.locator('#equity-chart canvas').count()) > 0, 'the equity chart too');
    const box = await page.locator('#candle-chart canvas').first().boundingBox();
    assert.ok(box && box.width > 300 && box.height > 200, 'a real-sized chart');
    assert.equal(await page.locator('#fills-table tbody tr').count(), f.repo.trades(f.runId).length);

    // the trader ticks: the page updates over server-sent events, no reload
    await page.locator('#live', { hasText: /^live/ }).waitFor();
    await f.advance(1);
    await page
      .locator('#decisions p', { hasText: `${total + 1} of ${total + 1} decisions` })
      .waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#decisions-table tbody tr').count(), total + 1);

    page.once('dialog', (d) => void d.accept());
    await page.locator('#btn-pause').click();
    await page.locator('#control-msg.error').waitFor();
    assert.match((await page.locator('#control-msg').textContent()) ?? '', /pause refused: control needs credentials/);
    assert.equal(f.repo.list()[0].paused, undefined);
    await screenshot(page, 'run');
    assert.deepEqual(offline, [], 'every asset from this server: works offline');
  } finally {
    await page.close();
    await s.server.close();
  }
});

test(`signed in with a token: pause is queued, the trader honours it at its next tick and the banner shows \
it`, async () => {
  const s = await serve(f, { token: true });
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/run/${f.runId}`);
    await page.locator('#page-error', { hasText: /Sign in/ }).waitFor();
    await page.fill('#secret', s.token as string);
    await page.click('#signin-button');
    await page.locator('#decisions-table tbody tr').first().waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.locator('#btn-pause').click();
    await page.locator('#control-msg', { hasText: /queued/ }).waitFor();
    assert.match((await page.locator('#control-msg').textContent()) ?? '', /asked by token:[0-9a-f]{8}@127\.0\.0\.1/);
    const before = f.repo.decisionCount(f.runId);
    await f.advance(1);
    await page.locator('#pause-banner').waitFor({ timeout: 10_000 });
    assert.match((await page.locator('#pause-banner').textContent()) ?? '', /PAUSED: paused by token:/);
    assert.equal(f.repo.decisionCount(f.runId), before, 'the trader passed the candle over');
    assert.equal(await page.locator('#btn-resume').isEnabled(), true);
    assert.match((await page.locator('#commands-table tbody tr').first().textContent()) ?? '', /pause.*applied/);
    await screenshot(page, 'run-paused');
    page.once('dialog', (d) => void d.accept());
    await page.locator('#btn-resume').click();
    await page.locator('#control-msg', { hasText: /resume: queued/ }).waitFor();
    await f.advance(1);
    await page.locator('#pause-banner').waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(f.repo.decisionCount(f.runId), before + 1);
  } finally {
    await page.close();
    await s.server.close();
  }
});

/** Waits until the page's table shows `n` rows (the page's CSP forbids the string form of waitForFunction). */
async function rowCount(page: Page, n: number): Promise<void> {
  const rows = page.locator('table tbody tr');
  for (let k = 0; k < 100 && (await rows.count()) !== n; k++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await rows.count(), n);
}

test('backtests: list, report, two runs side by side; the models page; the log page by level', async () => {
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/backtests`);
    await page.locator('#backtests-table tbody tr').nth(1).waitFor();
    await screenshot(page, 'backtests');
    await page.check('input[aria-label="compare run-a"]');
    await page.check('input[aria-label="compare run-b"]');
    await page.click('#compare');
    await page.locator('#compare-table').waitFor();
    const head = (await page.locator('#compare-table thead').textContent()) ?? '';
    assert.match(head, /run-a/);
    assert.match(head, /run-b/);
    assert.match(
      (await page.locator('#compare-table tbody tr').first().textContent()) ?? '',
      /totalReturn12\.00%-3\.00%5\.00%/,
    );
    assert.ok((await page.locator('#compare-chart canvas').count()) > 0);
    await screenshot(page, 'compare');
    await page.goto(`${s.url}/#/backtest/run-a`);
    await page.locator('#metrics-table').waitFor();
    assert.match((await page.locator('#metrics-table thead').textContent()) ?? '', /buy_and_hold/);
    // buy & hold sold nothing: its win rate is a dash, as in bot backtest's table, not 0.00%
    assert.match(
      (await page.locator('#metrics-table tbody tr', { hasText: 'winRate' }).textContent()) ?? '',
      /^winRate50\.00%—/,
    );
    // a coin priced below one unit keeps its digits (2 decimals showed 0.00001234 as 0); KRW amounts stay whole
    assert.deepEqual(await page.evaluate('[Dash.num(0.00001234), Dash.num(1234567.89, 0), Dash.num(58877000)]'), [
      '0.00001234',
      '1,234,568',
      '58,877,000',
    ]);
    // a portfolio backtest (bot backtest --symbols): listed, its page against the portfolio baselines, comparable
    await page.goto(`${s.url}/#/backtests`);
    await page.locator('#backtests-table tbody tr', { hasText: 'pf-run' }).waitFor();
    const pf = f.portfolio;
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const held = pf.baselines.find((b) => b.name === 'equal weights bought and held');
    assert.ok(held);
    assert.match(
      (await page.locator('#backtests-table tbody tr', { hasText: 'pf-run' }).textContent()) ?? '',
      new RegExp(
        `equal-weightBTC/KRW, ETH/KRW2024-01-01 … 2024-01-05${pct(pf.summary.totalReturn)}${pct(held.totalReturn)}`,
      ),
    );
    await page.goto(`${s.url}/#/backtest/pf-run`);
    await page.locator('#portfolio-table').waitFor();
    const pfRows = (await page.locator('#portfolio-table tbody tr').allTextContents()).join(' | ');
    assert.match(pfRows, new RegExp(`^equal-weight${pct(pf.summary.totalReturn)}${pct(pf.summary.maxDrawdown)}`));
    assert.match(pfRows, new RegExp(`equal weights bought and held${pct(held.totalReturn)}`));
    assert.match(pfRows, /random weights \(3 seeds, mean ± sd\)/);
    assert.equal(await page.locator('#markets-table tbody tr').count(), 2);
    assert.ok((await page.locator('#portfolio-equity-chart canvas').count()) > 0);
    assert.match((await page.locator('#trades-table thead').textContent()) ?? '', /^timemarketside/);
    await page.goto(`${s.url}/#/compare/pf-run,run-a`);
    await page.locator('#compare-table').waitFor();
    assert.equal(
      await page.locator('#compare-table tbody tr').first().textContent(),
      `totalReturn${pct(pf.summary.totalReturn)}12.00%${pct(held.totalReturn)}`,
    );
    await page.goto(`${s.url}/#/models`);
    await page.locator('h2', { hasText: 'btc-dqn — serving v2' }).waitFor();
    // meta.json's nested metrics (the test set of bot backtest, a retrain's validation set), not "test NaN"
    const versions = (await page.locator('.card table tbody tr').allTextContents()).join(' | ');
    assert.match(
      versions,
      /initial.*test: return 4\.00%, Sharpe 1, max DD 10\.00%, 6 trades · validation Sharpe 1\.25/,
    );
    assert.match(versions, /v2 \(CURRENT\).*validation: return 7\.00%, Sharpe 2, .* · validation Sharpe 2\.5/);
    assert.doesNotMatch(versions, /NaN/);
    await screenshot(page, 'models');
    // the log page: the tail at info and above, newest first; choosing a level re-reads the tail at that level
    await page.goto(`${s.url}/#/logs`);
    await page.locator('h1', { hasText: 'Log' }).waitFor();
    await page.locator('table tbody tr').nth(1).waitFor();
    const rows = async () => (await page.locator('table tbody tr').allTextContents()).map((r) => r.trim());
    const info = await rows();
    assert.equal(info.length, 2, info.join(' | '));
    assert.match(info[0], /errortick failed, the next tick catches up: exchange down$/);
    assert.match(info[1], /infopaper run started$/);
    await page.selectOption('select[aria-label="level"]', 'error');
    await page.waitForURL(/#\/logs\/error$/);
    await rowCount(page, 1);
    assert.match((await rows())[0], /exchange down$/);
    await page.selectOption('select[aria-label="level"]', 'debug');
    await rowCount(page, 3);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${s.url}/#/run/${f.runId}`);
    await page.locator('#decisions-table tbody tr').first().waitFor();
    const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
    assert.ok(width <= 400, `a phone-sized screen scrolls tables, not the page (${width}px)`);
  } finally {
    await page.close();
    await s.server.close();
  }
});

test('a halted run: its page shows the halt and no next tick, the overview likewise', async () => {
  const last = f.repo.get(f.runId);
  const created = f.repo.create(
    { mode: 'paper', name: 'halted', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
    { ...last, policy: 'strategy:sma-cross', initialBalance: 10_000_000, now: f.clock.now },
  );
  f.repo.saveState({ ...created, lastTs: last.lastTs, halted: 'daily loss 5.1% > 5%' });
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/run/${created.id}`);
    await page.locator('#halt-banner').waitFor();
    assert.match((await page.locator('#halt-banner').textContent()) ?? '', /HALTED: daily loss 5\.1% > 5%/);
    await page.locator('text=— (halted)').first().waitFor();
    await page.goto(`${s.url}/#/`);
    const row = page.locator('tr', { hasText: 'halted' }).first();
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /— \(halted\)/);
  } finally {
    await page.close();
    await s.server.close();
    f.repo.remove(created.id);
  }
});

/** Every failed request (status 400 and over) a page makes, and its console errors: a newcomer sees both. */
function failures(page: Page): string[] {
  const out: string[] = [];
  page.on('response', (r) => (r.status() >= 400 ? out.push(`${r.status()} ${new URL(r.url()).pathname}`) : undefined));
  page.on('console', (m) => (m.type() === 'error' ? out.push(`console: ${m.text()}`) : undefined));
  return out;
}

test(`a sweep compared beside runs by its winner's figures, named so, first or not; no request fails`, async () => {
  const sweep = `sweep-${SWEEP_ID}`;
  const folder = path.join(f.backtestsDir, sweep);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'report.json'), JSON.stringify(sweepHead));
  const s = await serve(f);
  const page = await context.newPage();
  const failed = failures(page);
  try {
    await page.goto(`${s.url}/#/compare/run-a,${sweep}`);
    await page.locator('#compare-table thead th', { hasText: 'buy & hold (first)' }).waitFor();
    // the sweep's clean test figures (fold 2's window: 2.00%), not the mean over both folds' (5.00%)
    assert.equal(await page.locator('#compare-table tbody tr').first().textContent(), 'totalReturn12.00%2.00%5.00%');
    await page.locator('p', { hasText: `${sweep}: no line` }).waitFor();
    await page.goto(`${s.url}/#/backtests`);
    await page.check(`input[aria-label="compare ${sweep}"]`);
    await page.check('input[aria-label="compare run-a"]');
    await page.check('input[aria-label="compare run-b"]');
    await page.click('#compare');
    await page.locator('#compare-table').waitFor();
    const head = await page.locator('#compare-table thead th').allTextContents();
    // the list's order is newest first: the sweep (2024-06-02) before run-a and run-b
    assert.deepEqual(head, [
      'metric',
      `${sweep} (winner lr=0.001, mean of test windows after every validation candle)`,
      'run-a',
      'run-b',
      'buy & hold (first, mean of test windows after every validation candle)',
    ]);
    assert.equal(
      await page.locator('#compare-table tbody tr').first().textContent(),
      'totalReturn2.00%12.00%-3.00%1.00%',
    );
    await page.locator('p', { hasText: `${sweep}: no line` }).waitFor();
    assert.ok((await page.locator('#compare-chart canvas').count()) > 0);
    assert.deepEqual(failed, []);
  } finally {
    await page.close();
    await s.server.close();
    rmSync(folder, { recursive: true });
  }
});

test(`a backtest's trades: the cut to the last 200 said, numbers formatted; no favicon 404 on any page`, async () => {
  writeBacktest(f.backtestsDir, 'run-many', 0.01);
  const rows = Array.from(
    { length: 250 },
    (_, i) =>
      `${i},2024-01-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z,${i % 2 ? 'sell' : 'buy'},58877000.5,` +
      `0.000007973752872203477,469.47,0.23473752872,0,0,1234567.891234,0.000007973752872203477`,
  );
  writeFileSync(
    path.join(f.backtestsDir, 'run-many', 'trades.csv'),
    'index,time,side,price,units,gross,fee,tax,realized_pnl,cash,units_after\n' + rows.join('\n') + '\n',
  );
  const s = await serve(f);
  const page = await context.newPage();
  const failed = failures(page);
  try {
    await page.goto(`${s.url}/#/backtest/run-many`);
    await page.locator('#trades-table').waitFor();
    assert.equal(await page.locator('h2', { hasText: /^Trades/ }).textContent(), 'Trades (last 200 of 250)');
    assert.equal(await page.locator('#trades-table tbody tr').count(), 200);
    const last = await page.locator('#trades-table tbody tr').last().locator('td').allTextContents();
    assert.deepEqual(last, [
      '249',
      '2024-01-26T00:00:00Z',
      'sell',
      '58,877,000.5',
      '0.000007974',
      '469.47',
      '0.2347',
      '0',
      '0',
      '1,234,567.89',
      '0.000007974',
    ]);
    await page.goto(`${s.url}/#/backtest/run-a`);
    await page.locator('h2', { hasText: /^Trades \(2\)$/ }).waitFor();
    await page.goto(`${s.url}/#/models`);
    await page.locator('h2', { hasText: 'btc-dqn' }).waitFor();
    // the browser asks for a page's icon once it has loaded; the inline one is no request at all
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    assert.match(icon ?? '', /^data:image\/svg\+xml,/);
    assert.deepEqual(failed, []);
  } finally {
    await page.close();
    await s.server.close();
    rmSync(path.join(f.backtestsDir, 'run-many'), { recursive: true });
  }
});

test(`the runs overview's badge says "not running" for a run no process holds, as bot status does`, async () => {
  const last = f.repo.get(f.runId);
  const created = f.repo.create(
    { mode: 'paper', name: 'stopped', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
    { ...last, policy: 'strategy:sma-cross', initialBalance: 10_000_000, now: f.clock.now },
  );
  f.repo.saveState({ ...created, lastTs: last.lastTs });
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/`);
    const stopped = page.locator('#runs-table tbody tr', { hasText: 'paper stopped' });
    await stopped.waitFor();
    assert.equal(await stopped.locator('td').nth(1).textContent(), 'not running');
    assert.match((await stopped.textContent()) ?? '', /— \(not running\)/);
    const running = page.locator('#runs-table tbody tr', { hasText: 'paper default' });
    assert.equal(await running.locator('td').nth(1).textContent(), 'trading');
  } finally {
    await page.close();
    await s.server.close();
    f.repo.remove(created.id);
  }
});

/** A model home `name` holding only `meta`, its metrics cell on the models page handed to `check`. */
async function modelsCell(name: string, meta: Record<string, unknown>, check: (cell: Locator) => Promise<void>) {
  const home = path.join(f.modelsDir, name);
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'meta.json'), JSON.stringify({ name, createdAt: '2024-03-01T00:00:00Z', ...meta }));
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/models`);
    const card = page.locator('.card', { hasText: name });
    await card.waitFor();
    await check(card.locator('tbody td').nth(2));
  } finally {
    await page.close();
    await s.server.close();
    rmSync(home, { recursive: true });
  }
}

test('a portfolio model saved without metrics: a dash with the reason as its tooltip, not a bare dash', async () => {
  // what savePortfolioAgent wrote before it recorded bot backtest's test figures
  await modelsCell('pf-old', { strategy: 'ppo-etf-pair', metrics: {} }, async (td) => {
    const cell = td.locator('span');
    assert.equal(await cell.textContent(), '— (none recorded)');
    assert.match((await cell.getAttribute('title')) ?? '', /saved before bot backtest recorded its test set/);
  });
});

test(`the models page's retrains name each row's baseline: buy-and-hold for one market, equal weights for a \
portfolio, with the costs each was judged at`, async () => {
  // written by the retrains' own writer (src/trading/retrain.ts), as bot retrain and bot retrain --symbols write them
  const write = (symbol: string, version: string, costs: string, baseline?: string) => {
    const at = () => Date.UTC(2024, 0, 12);
    const home = path.join(f.modelsDir, symbol.includes(',') ? 'pf' : 'btc-dqn');
    const row = { exchange: 'upbit', symbol, timeframe: '1h', strategy: 'x', home, championVersion: 'v1' };
    const finish = retrainRecord(f.repo.db, { ...row, challengerVersion: version, baseline }, at, quietLogger());
    const scores = { challenger: 0.05, champion: 0.01, buyHold: -0.02 };
    finish({ outcome: 'promoted', reason: 'beats', scores, costs, ...(baseline ? { baseline } : {}) });
  };
  write('BTC/KRW', 'v7', 'account.preset upbit-krw');
  const perMarket = "BTC/KRW --market-costs krx-stock · ETH/KRW the config's account costs";
  write('BTC/KRW,ETH/KRW', 'v8', perMarket, 'equal weights rebalanced every 20');
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/models`);
    const rows = page.locator('#retrains-table tbody tr');
    await rows.nth(1).waitFor();
    const headers = await page.locator('#retrains-table thead th').allTextContents();
    assert.ok(!headers.includes('buy & hold'), headers.join(', '));
    const cells = async (i: number) => {
      const texts = await rows.nth(i).locator('td').allTextContents();
      return [
        texts[headers.indexOf('challenger')],
        texts[headers.indexOf('baseline')],
        texts[headers.indexOf('judged at')],
      ];
    };
    assert.deepEqual(await cells(0), ['v8 5.00%', 'equal weights rebalanced every 20 -2.00%', perMarket]);
    assert.deepEqual(await cells(1), ['v7 5.00%', 'buy-and-hold -2.00%', 'account.preset upbit-krw']);
  } finally {
    await page.close();
    await s.server.close();
    f.repo.db.prepare("DELETE FROM trading_retrains WHERE challenger_version IN ('v7', 'v8')").run();
  }
});

test("a portfolio retrain's challenger: its holdout figures in the models page's line", async () => {
  // what a portfolio retrain's challenger records (src/trading/portfolio-retrain.ts)
  const holdout = { totalReturn: 0.031, sharpe: 1.5, maxDrawdown: 0.02, trades: 7, feesPaid: 12, turnover: 3 };
  await modelsCell('pf-retrained', { metrics: { holdout, symbol: 'A,B' } }, async (cell) => {
    assert.equal(await cell.textContent(), 'holdout: return 3.10%, Sharpe 1.5, max DD 2.00%, 7 trades');
  });
});

test(`the models page's retrains: the holdout with the challenger's place on it and when a refused winner's home is \
free, the costs, schedule and --retry-holdout, a promotion whose process was killed; secrets masked`, async () => {
  const secret = 'sk-retrain-0123456789';
  process.env.BOT_TEST_RETRAIN_KEY = secret;
  const remove = writeRetrains(f, secret);
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/models`);
    const rows = page.locator('#retrains-table tbody tr');
    await rows.nth(2).waitFor();
    const headers = await page.locator('#retrains-table thead th').allTextContents();
    const cells = async (i: number) => {
      const texts = await rows.nth(i).locator('td').allTextContents();
      const at = (name: string) => texts[headers.indexOf(name)];
      return [at('outcome'), at('holdout'), at('judged at'), at('run by')];
    };
    assert.deepEqual(await cells(0), [
      'promoted (its process killed right after)',
      '2024-01-10 00:00 … 2024-01-11 00:00, challenger 1 on it',
      'account.preset upbit-krw',
      'hand',
    ]);
    assert.deepEqual(await cells(1), [
      'promoted',
      '2024-01-10 00:00 … 2024-01-11 00:00, challenger 3 on it',
      'cost preset ***',
      'schedule --retry-holdout',
    ]);
    assert.deepEqual(await cells(2), [
      'rejected',
      '2024-01-10 00:00 … 2024-01-11 00:00, challenger 2 on it; free of its trials from 2024-01-12 17:00',
      'account.preset upbit-krw',
      'hand',
    ]);
    assert.doesNotMatch((await page.locator('#retrains-table').textContent()) ?? '', /sk-retrain/);
    await screenshot(page, 'models-retrains');
  } finally {
    await page.close();
    await s.server.close();
    remove();
    delete process.env.BOT_TEST_RETRAIN_KEY;
  }
});

test(`"Show more" twice on a run of 1,300 decisions shows 1,100 of them, then all: asked a page of at most 1,000 at \
a time (one ask of 1,100 was refused and froze the page); a panel whose request fails says so, the others \
render`, async () => {
  const last = f.repo.get(f.runId);
  const created = f.repo.create(
    { mode: 'paper', name: 'long', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
    { ...last, policy: 'strategy:sma-cross', initialBalance: 10_000_000, now: f.clock.now },
  );
  const HOUR = 3_600_000;
  const first = (last.lastTs ?? f.clock.now) - 1300 * HOUR;
  for (let i = 0; i < 1300; i++)
    f.repo.insertDecision(created.id, first + i * HOUR, { action: 'hold', confidence: 0.5 }, 100, 'x', undefined, 0);
  f.repo.saveState({ ...created, lastTs: first + 1299 * HOUR });
  const s = await serve(f);
  const page = await context.newPage();
  const failed = failures(page);
  try {
    await page.goto(`${s.url}/#/run/${created.id}`);
    await page.locator('#decisions p', { hasText: '100 of 1300 decisions' }).waitFor();
    await page.click('#more-decisions');
    await page.locator('#decisions p', { hasText: '600 of 1300 decisions' }).waitFor();
    await page.click('#more-decisions');
    await page.locator('#decisions p', { hasText: '1100 of 1300 decisions' }).waitFor();
    assert.equal(await page.locator('#decisions-table tbody tr').count(), 1100);
    const times = await page.locator('#decisions-table tbody tr td:first-child').allTextContents();
    assert.equal(new Set(times).size, 1100, 'no row twice across the pages');
    await page.click('#more-decisions');
    await page.locator('#decisions p', { hasText: '1300 of 1300 decisions' }).waitFor();
    assert.equal(await page.locator('#more-decisions').count(), 0);
    assert.deepEqual(failed, []);

    // the candles' request fails: the candle panel says why, the decisions, fills and head still render
    await page.route('**/api/v1/runs/*/candles*', (r) =>
      r.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"the candles broke"}' }),
    );
    await page.goto(`${s.url}/#/run/${f.runId}`);
    await page.locator('#candle-chart-error', { hasText: 'the candles broke' }).waitFor();
    await page.locator('#decisions-table tbody tr').first().waitFor();
    assert.equal(await page.locator('#fills-table tbody tr').count(), f.repo.trades(f.runId).length);
    assert.match((await page.locator('#run-head h1').textContent()) ?? '', /paper run “default”/);
    assert.equal(await page.locator('#decisions-error').count(), 0);
  } finally {
    await page.close();
    await s.server.close();
    f.repo.remove(created.id);
  }
});

test(`an order's amount has its unit: a buy not filled is the cash it was to spend ("for 9,206,282.64 KRW"), a \
filled one the units bought`, async () => {
  const last = f.repo.get(f.runId);
  const created = f.repo.create(
    { mode: 'paper', name: 'amounts', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
    { ...last, policy: 'strategy:sma-cross', initialBalance: 10_000_000, now: f.clock.now },
  );
  const ts = last.lastTs ?? f.clock.now;
  f.repo.insertOrder(created.id, ts - 3_600_000, 'buy', 0.0125, 'filled', 0);
  f.repo.insertOrder(created.id, ts, 'buy', 9_206_282.64, 'skipped', 0);
  f.repo.saveState({ ...created, lastTs: ts });
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/run/${created.id}`);
    await page.locator('#orders-table tbody tr').nth(1).waitFor();
    const headers = await page.locator('#orders-table thead th').allTextContents();
    const amounts = await page
      .locator(`#orders-table tbody tr td:nth-child(${headers.indexOf('amount') + 1})`)
      .allTextContents();
    assert.deepEqual(amounts, ['for 9,206,282.64 KRW', '0.0125 BTC']);
  } finally {
    await page.close();
    await s.server.close();
    f.repo.remove(created.id);
  }
});

test(`a backtest whose trades.csv is too large to read whole says so with the file to download, not "no \
trades"`, async () => {
  writeBacktest(f.backtestsDir, 'run-huge', 0.01);
  const header = 'index,time,side,price,units,gross,fee,tax,realized_pnl,cash,units_after\n';
  const row = '0,2024-01-01T00:00:00Z,buy,58877000.5,0.00001,589,0.3,0,0,1234567.89,0.00001\n';
  writeFileSync(
    path.join(f.backtestsDir, 'run-huge', 'trades.csv'),
    header + row.repeat(Math.ceil((MAX_READ_WHOLE_BYTES + 1) / row.length)),
  );
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/backtest/run-huge`);
    const note = page.locator('#trades-error');
    await note.waitFor();
    assert.match(
      (await note.textContent()) ?? '',
      /^Trades not shown: backtests\/run-huge\/trades\.csv is \d+ bytes: .*32 MiB/,
    );
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#trades-file')]);
    assert.equal(download.suggestedFilename(), 'run-huge-trades.csv');
    assert.equal(await page.locator('#trades-table').count(), 0);
  } finally {
    await page.close();
    await s.server.close();
    rmSync(path.join(f.backtestsDir, 'run-huge'), { recursive: true });
  }
});

test('a model home whose CURRENT names a version it does not hold is marked on the models page', async () => {
  const home = path.join(f.modelsDir, 'pointing-nowhere');
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'meta.json'), JSON.stringify({ name: 'm', createdAt: '2024-03-01T00:00:00Z' }));
  writeFileSync(path.join(home, 'CURRENT'), 'nosuchversion\n');
  const s = await serve(f);
  const page = await context.newPage();
  try {
    await page.goto(`${s.url}/#/models`);
    const card = page.locator('.card', { hasText: 'pointing-nowhere' });
    await card.waitFor();
    assert.equal(
      await card.locator('p.error').textContent(),
      '⚠ CURRENT names nosuchversion: no such version in this home (no versions/nosuchversion/meta.json)',
    );
    assert.equal(await page.locator('.card', { hasText: 'btc-dqn' }).locator('p.error').count(), 0);
  } finally {
    await page.close();
    await s.server.close();
    rmSync(home, { recursive: true });
  }
});
