/**
 * The backtests catalog reads report.json and trades.csv bounded and kept (CatalogFiles): a file over the limit is a
 * one-line 413 naming it and the limit on its routes, and a note in the list beside the good reports, which stay
 * listed; a kept report is the same object while its file stays, and a changed one is read again; the pages' own
 * routes refuse a query as the API's do.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CatalogFiles, listBacktests, readReport, readTrades } from '../../src/server/catalog.ts';
import { MAX_READ_WHOLE_BYTES } from '../../src/server/served-json.ts';
import { rawGet, servedFixture, writeBacktest } from './fixture.ts';

/** A file time in whole seconds. */
const ONE_TIME = 1_700_000_000;
const fx = servedFixture();
/** A raw request: the path goes out exactly as written. */
const raw = (p: string) => rawGet(fx.s.url, p);

/** Rewrites a report folder's report.json as a valid report padded past the size limit; returns its size. */
function padReport(id: string): number {
  const file = path.join(fx.f.backtestsDir, id, 'report.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...report, padding: 'x'.repeat(MAX_READ_WHOLE_BYTES) }));
  return statSync(file).size;
}

test(`a report.json over the size limit is a one-line 413 naming it and the limit on every route of its folder; \
the list notes it beside the good reports, a broken one too`, async () => {
  writeBacktest(fx.f.backtestsDir, 'huge', 0.5);
  const size = padReport('huge');
  mkdirSync(path.join(fx.f.backtestsDir, 'broken'));
  writeFileSync(path.join(fx.f.backtestsDir, 'broken', 'report.json'), '{"schema": ');
  const error = `backtests/huge/report.json is ${size} bytes: a report over 32 MiB is not read (the dashboard reads \
it whole)`;
  const routes = ['/api/v1/backtests/huge', '/api/v1/backtests/huge/trades', '/api/v1/backtests/huge/files/trades.csv'];
  for (const p of routes) {
    const r = await raw(p);
    assert.equal(r.status, 413, `${p}: ${r.body.slice(0, 200)}`);
    assert.deepEqual(JSON.parse(r.body), { error }, p);
  }
  const r = await raw('/api/v1/backtests');
  assert.equal(r.status, 200, r.body.slice(0, 200));
  const list = JSON.parse(r.body) as { backtests: { id: string }[]; unreadable: { id: string; problem: string }[] };
  assert.deepEqual(list.backtests.map((b) => b.id).sort(), ['pf-run', 'run-a', 'run-b']);
  assert.deepEqual(list.unreadable, [
    { id: 'broken', problem: 'not valid JSON' },
    { id: 'huge', problem: `${size} bytes, over the 32 MiB the dashboard reads whole` },
  ]);
});

test(`a portfolio's trades.csv over the size limit is a 413 naming it on the trades route, and its list entry \
shows no count`, async () => {
  writePortfolioCopy('pf-big');
  const file = path.join(fx.f.backtestsDir, 'pf-big', 'trades.csv');
  const head = readFileSync(file, 'utf8').split('\n')[0];
  writeFileSync(file, `${head}\n${'x'.repeat(MAX_READ_WHOLE_BYTES)}\n`);
  const size = statSync(file).size;
  const r = await raw('/api/v1/backtests/pf-big/trades');
  assert.equal(r.status, 413, r.body.slice(0, 200));
  assert.deepEqual(JSON.parse(r.body), {
    error: `backtests/pf-big/trades.csv is ${size} bytes: a trades.csv over 32 MiB is not read whole (its file route \
streams it: files/trades.csv)`,
  });
  const list = JSON.parse((await raw('/api/v1/backtests')).body) as { backtests: { id: string; trades: unknown }[] };
  const trades = new Map(list.backtests.map((b) => [b.id, b.trades]));
  assert.equal(trades.get('pf-big'), null);
  assert.equal(typeof trades.get('pf-run'), 'number');
});

/** A copy of the fixture's portfolio folder under another id. */
function writePortfolioCopy(id: string): void {
  mkdirSync(path.join(fx.f.backtestsDir, id));
  for (const name of ['report.json', 'trades.csv'])
    writeFileSync(path.join(fx.f.backtestsDir, id, name), readFileSync(path.join(fx.f.backtestsDir, 'pf-run', name)));
}

test(`a kept report (its file settled) is read once, and a report.json written again in place, at the same size \
and with its old mtime put back, is read new — by the report route and the list`, async () => {
  const files = new CatalogFiles(() => Date.now() + 3_600_000);
  writeBacktest(fx.f.backtestsDir, 'again', 0.25);
  const file = path.join(fx.f.backtestsDir, 'again', 'report.json');
  utimesSync(file, ONE_TIME, ONE_TIME);
  const first = await readReport(fx.f.backtestsDir, 'again', files);
  assert.equal(first?.kind, 'single');
  assert.equal(await readReport(fx.f.backtestsDir, 'again', files), first, 'kept: the same parsed report');
  const trades = await readTrades(fx.f.backtestsDir, 'again', files);
  assert.equal(trades?.length, 2);
  assert.equal(await readTrades(fx.f.backtestsDir, 'again', files), trades);

  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes('sma-cross on test again'));
  writeFileSync(file, text.replace('sma-cross on test again', 'sma-cross on test AGAIN'));
  utimesSync(file, ONE_TIME, ONE_TIME);
  const next = await readReport(fx.f.backtestsDir, 'again', files);
  assert.ok(next?.kind === 'single' && next.report.title === 'sma-cross on test AGAIN', JSON.stringify(next));
  const listed = (await listBacktests(fx.f.backtestsDir, files)).backtests.find((b) => b.id === 'again');
  assert.equal(listed?.title, 'sma-cross on test AGAIN');
  // and through the server, whose kept copy of the first text must not be answered either
  writeFileSync(file, text);
  utimesSync(file, ONE_TIME, ONE_TIME);
  assert.equal(JSON.parse((await raw('/api/v1/backtests/again')).body).report.title, 'sma-cross on test again');
  writeFileSync(file, text.replace('sma-cross on test again', 'sma-cross on test AGAIN'));
  utimesSync(file, ONE_TIME, ONE_TIME);
  assert.equal(JSON.parse((await raw('/api/v1/backtests/again')).body).report.title, 'sma-cross on test AGAIN');
});

test('the page and its assets refuse a query parameter (400) as the API routes do', async () => {
  for (const p of ['/?x=1', '/assets/app.js?v=2']) {
    const r = await raw(p);
    assert.equal(r.status, 400, p);
    assert.match((JSON.parse(r.body) as { error: string }).error, /^query [xv]: /, p);
  }
  for (const p of ['/', '/assets/app.js']) assert.equal((await raw(p)).status, 200, p);
});
