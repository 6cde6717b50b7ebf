/**
 * The backtests routes over report.json files as they may be on disk: an incomplete report (a field null or deleted)
 * used to fail the whole list with a 500; a sweep's folder was half-served (its files yes, its report and file list
 * 404, absent from the list); a folder without any report had its files served.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPORT_SCHEMA } from '../../src/backtest/report.ts';
import { paperFixture, serve, type PaperFixture, type Served } from './fixture.ts';
import { sweepHead, SWEEP_ID } from './sweep-head.ts';

let f: PaperFixture;
let s: Served;

before(async () => {
  f = await paperFixture();
  const put = (id: string, body: string, more: Record<string, string> = {}) => {
    mkdirSync(path.join(f.backtestsDir, id), { recursive: true });
    writeFileSync(path.join(f.backtestsDir, id, 'report.json'), body);
    for (const [name, text] of Object.entries(more)) writeFileSync(path.join(f.backtestsDir, id, name), text);
  };
  put('zz-nulls', JSON.stringify({ schema: REPORT_SCHEMA, runId: 'zz-nulls', metrics: null }));
  const real = JSON.parse(readFileSync(path.join(f.backtestsDir, 'run-a', 'report.json'), 'utf8')) as object;
  put('no-baselines', JSON.stringify({ ...real, baselines: undefined }));
  put('not-json', '{"schema": "bot-backtest-report/1", ');
  put(`sweep-${SWEEP_ID}`, JSON.stringify(sweepHead), { 'report.html': '<!doctype html><p>sweep</p>' });
  mkdirSync(path.join(f.backtestsDir, 'loose'));
  writeFileSync(path.join(f.backtestsDir, 'loose', 'report.html'), '<p>no report.json beside me</p>');
  s = await serve(f);
});

after(async () => {
  await s.server.close();
  f.cleanup();
});

const get = async (p: string) => {
  const r = await fetch(`${s.url}${p}`);
  const text = await r.text();
  return { status: r.status, text, body: r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null };
};

test('an incomplete report.json is listed apart with its problem; the list still answers 200', async () => {
  const list = await get('/api/v1/backtests');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(
    list.body.backtests.map((b: { id: string; kind: string }) => [b.id, b.kind]),
    [
      ['pf-run', 'portfolio'],
      [`sweep-${SWEEP_ID}`, 'sweep'],
      ['run-a', 'single'],
      ['run-b', 'single'],
    ],
  );
  assert.deepEqual(list.body.unreadable, [
    {
      id: 'no-baselines',
      problem:
        'an incomplete bot-backtest-report/1 report (baselines: Invalid input: expected object, received undefined)',
    },
    { id: 'not-json', problem: 'not valid JSON' },
    {
      id: 'zz-nulls',
      problem:
        'an incomplete bot-backtest-report/1 report (createdAt: Invalid input: expected string, received undefined)',
    },
  ]);
});

test("an incomplete report's own routes are a one-line 500 with the problem; no report is 404", async () => {
  for (const p of ['', '/files', '/trades', '/files/report.json']) {
    const r = await get(`/api/v1/backtests/no-baselines${p}`);
    assert.equal(r.status, 500, p);
    assert.deepEqual(r.body, {
      error:
        'backtest no-baselines: report.json is an incomplete bot-backtest-report/1 report ' +
        '(baselines: Invalid input: expected object, received undefined)',
    });
  }
  const broken = await get('/api/v1/backtests/not-json');
  assert.equal(broken.status, 404);
  assert.equal(broken.body.error, 'no backtest not-json (its report.json is not valid JSON)');
  // its page was served although no route knew the folder
  assert.equal((await get('/api/v1/backtests/loose/files/report.html')).status, 404);
});

test('a sweep is listed by its clean test figures, span and trades; its report and files are served', async () => {
  const list = await get('/api/v1/backtests');
  const entry = list.body.backtests.find((b: { kind: string }) => b.kind === 'sweep');
  assert.deepEqual(entry, {
    id: `sweep-${SWEEP_ID}`,
    kind: 'sweep',
    title: 'grid: best lr=0.001',
    createdAt: sweepHead.createdAt,
    strategy: 'dqn',
    market: 'upbit BTC/KRW 1h',
    // the clean test window's figures (fold 2's: fold 1's test window is fold 2's validation window), as the console's
    // headline and the verdict; the list used to show the mean over both folds, the whole data range and 0 trades
    from: '2024-02-14T00:00:00Z',
    to: '2024-02-25T23:00:00Z',
    trades: 7.5,
    metrics: { totalReturn: 0.02, sharpe: 0.2, trades: 7.5 },
    buyHold: { totalReturn: 0.01, sharpe: 0.1 },
    notOutOfSample: false,
  });
  const report = await get(`/api/v1/backtests/sweep-${SWEEP_ID}`);
  assert.equal(report.status, 200, report.text);
  assert.equal(report.body.report.sweepId, SWEEP_ID);
  assert.deepEqual(report.body.files, ['report.html', 'report.json']);
  assert.deepEqual((await get(`/api/v1/backtests/sweep-${SWEEP_ID}/files`)).body.files, ['report.html', 'report.json']);
  const html = await get(`/api/v1/backtests/sweep-${SWEEP_ID}/files/report.html`);
  assert.equal(html.status, 200);
  const trades = await get(`/api/v1/backtests/sweep-${SWEEP_ID}/trades`);
  assert.equal(trades.status, 404);
  assert.equal(trades.body.error, `no trades for backtest sweep-${SWEEP_ID}`);
});
