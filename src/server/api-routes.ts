/** The read-only REST routes under /api/v1 (issue 15): runs and their rows, retrains, models, backtests, logs. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { backtestFiles, CatalogFiles, listBacktests, readReport, readTrades } from './catalog.ts';
import { resolveInside, servedBody } from './files.ts';
import type { InsideFile } from './inside-file.ts';
import { listModels, ModelFiles, readModel } from './model-catalog.ts';
import { ServedJson } from './served-json.ts';
import { LOG_LEVELS, tailLog } from './logs.ts';
import type { DashboardReader } from './reader.ts';
import {
  candleQuery,
  HttpError,
  limitString,
  marketPageQuery,
  nameString,
  noQuery,
  orderedRange,
  pageQuery,
  parse,
  runParams,
  timeString,
} from './validate.ts';

interface ApiContext {
  reader: DashboardReader;
  backtestsDir: string;
  modelsDir: string;
  logFile: string;
  clock: () => number;
  version: string;
  /** Asked per request: a token made while the server runs configures it (Credentials follows the tokens file). */
  authConfigured: () => boolean;
}

const equityQuery = z
  .strictObject({
    from: timeString.optional(),
    to: timeString.optional(),
    limit: limitString(50_000, 5000),
  })
  .superRefine(orderedRange);
const limitQuery = (max: number, dflt: number) =>
  z.strictObject({
    limit: limitString(max, dflt),
  });
const logQuery = z.strictObject({
  level: z
    .enum(LOG_LEVELS)
    .optional()
    .transform((l) => l ?? 'info'),
  limit: limitString(2000, 200),
});
const backtestParams = z.strictObject({ id: nameString });
const modelParams = z.strictObject({ name: nameString });
const fileParams = (key: 'id' | 'name') => z.strictObject({ [key]: nameString, '*': z.string().min(1).max(1000) });

/** Splits a wildcard path into its segments; resolveInside refuses anything but plain names. */
const segments = (p: string) => p.split('/');

export function registerApiRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { reader } = ctx;
  const servedJson = new ServedJson();
  const catalog = new CatalogFiles();
  const modelFiles = new ModelFiles();
  // an HTML file (a report page, or any page a model home holds) is shown, never run, in the dashboard's origin
  const sendFile = async (reply: FastifyReply, found: InsideFile & { type: string }, label: string) => {
    if (found.type.startsWith('text/html'))
      reply.header(
        'content-security-policy',
        "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
      );
    return reply.type(found.type).send(await servedBody(found, label, servedJson));
  };
  const run = (params: unknown) => {
    const { id } = parse(runParams, params, 'path');
    if (!reader.runIds().includes(id)) throw new HttpError(404, `no run ${id}`);
    return id;
  };

  app.get('/api/v1/health', async (req) => {
    parse(noQuery, req.query, 'query');
    return {
      ok: true,
      version: ctx.version,
      time: new Date(ctx.clock()).toISOString(),
      runs: reader.runIds().length,
      auth: ctx.authConfigured(),
    };
  });
  app.get('/api/v1/runs', async (req) => {
    parse(noQuery, req.query, 'query');
    return { runs: reader.runs(ctx.clock()) };
  });
  app.get('/api/v1/runs/:id', async (req) => {
    parse(noQuery, req.query, 'query');
    const id = run(req.params);
    const markets = reader.marketStats(id);
    return {
      run: reader.run(id, ctx.clock(), 10),
      commands: reader.commands(id, 20),
      ...(markets ? { marketStats: markets } : {}),
    };
  });
  app.get('/api/v1/runs/:id/decisions', async (req) => {
    const id = run(req.params);
    return reader.decisions(id, parse(pageQuery(1000, 100), req.query, 'query'));
  });
  app.get('/api/v1/runs/:id/orders', async (req) => {
    const id = run(req.params);
    return reader.orders(id, parse(marketPageQuery(1000, 100), req.query, 'query'));
  });
  app.get('/api/v1/runs/:id/fills', async (req) => {
    const id = run(req.params);
    return reader.fills(id, parse(marketPageQuery(1000, 100), req.query, 'query'));
  });
  app.get('/api/v1/runs/:id/equity', async (req) => {
    const id = run(req.params);
    return { points: reader.equity(id, parse(equityQuery, req.query, 'query')) };
  });
  // a portfolio run's weights per candle time (issue 14): markets in the run's order, cash = 1 − Σ weights
  app.get('/api/v1/runs/:id/weights', async (req) => {
    const id = run(req.params);
    return reader.weights(id, parse(equityQuery, req.query, 'query'));
  });
  app.get('/api/v1/runs/:id/candles', async (req) => {
    const id = run(req.params);
    return reader.candles(id, parse(candleQuery, req.query, 'query'));
  });
  app.get('/api/v1/runs/:id/commands', async (req) => {
    const id = run(req.params);
    return { commands: reader.commands(id, parse(limitQuery(500, 50), req.query, 'query').limit) };
  });
  app.get('/api/v1/retrains', async (req) => {
    return { retrains: reader.retrains(parse(limitQuery(1000, 50), req.query, 'query').limit) };
  });

  app.get('/api/v1/models', async (req) => {
    parse(noQuery, req.query, 'query');
    return listModels(ctx.modelsDir, modelFiles);
  });
  app.get('/api/v1/models/:name', async (req) => {
    parse(noQuery, req.query, 'query');
    const { name } = parse(modelParams, req.params, 'path');
    const model = await readModel(ctx.modelsDir, name, modelFiles);
    if (!model) throw new HttpError(404, `no model ${name}`);
    return { model };
  });
  app.get('/api/v1/models/:name/files/*', async (req, reply) => {
    parse(noQuery, req.query, 'query');
    const p = parse(fileParams('name'), req.params, 'path');
    const found = resolveInside(ctx.modelsDir, [String(p.name), ...segments(String(p['*']))]);
    if (!found) throw new HttpError(404, 'no such file');
    return sendFile(reply, found, `models/${p.name}/${p['*']}`);
  });

  /**
   * The report of backtests/<id> (a single market's, a portfolio's or a sweep's), which every backtests route checks
   * first: 404 without a report.json, 500 naming the problem when a bot report lacks a field (a crash before), 413
   * naming the file and the limit when it is too large to read whole.
   */
  const backtest = async (id: string) => {
    const r = await readReport(ctx.backtestsDir, id, catalog);
    if (!r) throw new HttpError(404, `no backtest ${id}`);
    if (r.kind !== 'unreadable') return r.report;
    if (r.schema === undefined) throw new HttpError(404, `no backtest ${id} (its report.json is ${r.problem})`);
    throw new HttpError(500, `backtest ${id}: report.json is ${r.problem}`);
  };

  app.get('/api/v1/backtests', async (req) => {
    parse(noQuery, req.query, 'query');
    return listBacktests(ctx.backtestsDir, catalog);
  });
  app.get('/api/v1/backtests/:id', async (req) => {
    parse(noQuery, req.query, 'query');
    const { id } = parse(backtestParams, req.params, 'path');
    return { report: await backtest(id), files: backtestFiles(ctx.backtestsDir, id) };
  });
  app.get('/api/v1/backtests/:id/trades', async (req) => {
    parse(noQuery, req.query, 'query');
    const { id } = parse(backtestParams, req.params, 'path');
    // a run that does not exist is the common case, and was told as a run without trades
    await backtest(id);
    const trades = await readTrades(ctx.backtestsDir, id, catalog);
    if (!trades) throw new HttpError(404, `no trades for backtest ${id}`);
    return { trades };
  });
  app.get('/api/v1/backtests/:id/files', async (req) => {
    parse(noQuery, req.query, 'query');
    const { id } = parse(backtestParams, req.params, 'path');
    await backtest(id);
    return { files: backtestFiles(ctx.backtestsDir, id) };
  });
  app.get('/api/v1/backtests/:id/files/*', async (req, reply) => {
    parse(noQuery, req.query, 'query');
    const p = parse(fileParams('id'), req.params, 'path');
    // a folder's files are served only beside a report the list and the report route show (a sweep's too)
    await backtest(String(p.id));
    const found = resolveInside(ctx.backtestsDir, [String(p.id), ...segments(String(p['*']))]);
    if (!found) throw new HttpError(404, 'no such file');
    return sendFile(reply, found, `backtests/${p.id}/${p['*']}`);
  });

  app.get('/api/v1/logs', async (req) => {
    const q = parse(logQuery, req.query, 'query');
    return { entries: tailLog(ctx.logFile, q.level, q.limit) };
  });
}
