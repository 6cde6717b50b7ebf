/**
 * A portfolio run's page in a real headless Chromium (issue 14), over a real `bot paper --symbols` run's SQLite file:
 * the weights over time draw as a stacked area (each market's colour on the canvas, named in the legend with its
 * weight), the positions table has every market and cash, the decisions show target weights, and the fills and
 * orders filter by market. Screenshots are real PNGs (SCREENSHOT_DIR=docs/screenshots writes the README's copy).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Locator } from 'playwright-core';
import sharp from 'sharp';
import { launchChromium, requireChromium } from '../../src/bench/chromium.ts';
import type { DashboardServer } from '../../src/server/app.ts';
import { portfolioFixture, servePortfolio, SYMBOLS, type PortfolioFixture } from './portfolio-fixture.ts';

let f: PortfolioFixture;
let s: { server: DashboardServer; url: string };
let context: BrowserContext;

before(async () => {
  requireChromium();
  f = await portfolioFixture();
  s = await servePortfolio(f);
  context = await launchChromium(path.join(f.dir, 'chromium-profile'), { width: 1280, height: 900 });
});
after(async () => {
  await context?.close();
  await s?.server.close();
  f?.cleanup();
});

/** Polls until `locator` matches `n` elements (the page's CSP forbids the string form of waitForFunction). */
async function count(locator: Locator, n: number): Promise<void> {
  for (let k = 0; k < 100 && (await locator.count()) !== n; k++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await locator.count(), n);
}

/** Pixels of a PNG within a small distance of an RGB colour. */
async function pixelsOf(png: Buffer, hex: string): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels)
    if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) n++;
  return n;
}

test('the portfolio run page: stacked weights, positions per market, target weights, fills by market', async () => {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(s.url + '/');
    const row = page.locator('#runs-table tbody tr', { hasText: 'BTC/KRW,ETH/KRW' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /BTC\/KRW \d+\.\d\d% · ETH\/KRW \d+\.\d\d%/);
    await row.click();
    await page.locator('#weights-chart canvas').first().waitFor();
    await count(page.locator('#weights-legend .legend-item'), 3);
    const legend = await page.locator('#weights-legend .legend-item').allTextContents();
    assert.match(legend[0], /^BTC\/KRW \d+\.\d\d%$/);
    assert.match(legend[1], /^ETH\/KRW \d+\.\d\d%$/);
    assert.match(legend[2], /^cash \d+\.\d\d%$/);
    assert.match((await page.locator('#weights-legend').textContent()) ?? '', /\(\d{3} candle times\)/);
    assert.match(
      (await page.locator('h1').textContent()) ?? '',
      /paper portfolio run “default” · upbit BTC\/KRW \+ ETH/,
    );
    // the stacked area is drawn: each market's band shows on the canvas in its legend colour
    const chart = await page.locator('#weights-chart').screenshot();
    const box = await page.locator('#weights-chart').boundingBox();
    const area = (box?.width ?? 0) * (box?.height ?? 0);
    for (const [market, colour] of [
      ['BTC/KRW', '#0072B2'],
      ['ETH/KRW', '#E69F00'],
    ]) {
      const n = await pixelsOf(chart, colour);
      // each market holds about half the value after the first candle time: its band is a large share of the chart
      assert.ok(n > area * 0.25, `${market}'s band covers ${n} of ${area} pixels`);
    }
    const positions = page.locator('#positions-table tbody tr');
    await count(positions, 3);
    assert.deepEqual(
      (await positions.locator('td:first-child').allTextContents()).map((t) => t.trim()),
      [...SYMBOLS, 'cash'],
    );
    assert.match((await page.locator('#decisions-table thead').textContent()) ?? '', /target weights/);
    await page.locator('#decisions-table tbody tr', { hasText: 'BTC/KRW 50.00% · ETH/KRW 50.00%' }).first().waitFor();
    assert.doesNotMatch((await page.locator('#decisions-table thead').textContent()) ?? '', /confidence/);
    const fills = page.locator('#fills-table tbody tr');
    const markets = async () => (await fills.locator('td:nth-child(2)').allTextContents()).map((t) => t.trim());
    await fills.first().waitFor();
    assert.deepEqual([...new Set(await markets())].sort(), SYMBOLS);
    await page.selectOption('#market-filter', 'ETH/KRW');
    await page.locator('#fills p', { hasText: '(ETH/KRW)' }).waitFor();
    assert.deepEqual([...new Set(await markets())], ['ETH/KRW']);
    const orderMarkets = await page.locator('#orders-table tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual([...new Set(orderMarkets.map((t) => t.trim()))], ['ETH/KRW']);
    await page.selectOption('#candle-market', 'ETH/KRW');
    assert.ok((await page.locator('#candle-chart canvas').count()) > 0);
    const dir = process.env.SCREENSHOT_DIR ? path.resolve(process.env.SCREENSHOT_DIR) : path.join(f.dir, 'shots');
    mkdirSync(dir, { recursive: true });
    // the page's top: head, positions, weights, value and candles (the tables below are the single run's kind)
    const file = path.join(dir, 'portfolio-run.png');
    await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1480 } });
    const { channels } = await sharp(file).stats();
    assert.ok(
      channels.some((c) => c.stdev > 5),
      'not a blank page',
    );
    assert.deepEqual(errors, [], 'no script error on the page');
  } finally {
    await page.close();
  }
});
