/**
 * The dashboard's pages: static HTML, CSS and JS from src/server/public and lightweight-charts' standalone build from
 * node_modules, served by name from a fixed list (no CDN, no build step, nothing else on disk reachable).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../core/project-root.ts';
import { noQuery, parse } from './validate.ts';

const PUBLIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

const ASSETS: Record<string, { file: string; type: string }> = {
  'style.css': { file: path.join(PUBLIC, 'style.css'), type: 'text/css; charset=utf-8' },
  'api.js': { file: path.join(PUBLIC, 'api.js'), type: 'text/javascript; charset=utf-8' },
  'pages.js': { file: path.join(PUBLIC, 'pages.js'), type: 'text/javascript; charset=utf-8' },
  'portfolio-backtest-page.js': {
    file: path.join(PUBLIC, 'portfolio-backtest-page.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'run-parts.js': { file: path.join(PUBLIC, 'run-parts.js'), type: 'text/javascript; charset=utf-8' },
  'run-page.js': { file: path.join(PUBLIC, 'run-page.js'), type: 'text/javascript; charset=utf-8' },
  'portfolio-page.js': { file: path.join(PUBLIC, 'portfolio-page.js'), type: 'text/javascript; charset=utf-8' },
  'app.js': { file: path.join(PUBLIC, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'lightweight-charts.js': {
    file: path.join(PROJECT_ROOT, 'node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

// the pages run only their own scripts and talk only to this server
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerStaticRoutes(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  const read = (file: string) => {
    let b = cache.get(file);
    if (!b) cache.set(file, (b = readFileSync(file)));
    return b;
  };
  // a query is refused here as on every API route: the pages route by their hash and ask for no asset with a query
  app.get('/', async (req, reply) => {
    parse(noQuery, req.query, 'query');
    reply.header('content-security-policy', CSP);
    return reply.type('text/html; charset=utf-8').send(read(path.join(PUBLIC, 'index.html')));
  });
  app.get('/assets/:name', async (req, reply) => {
    parse(noQuery, req.query, 'query');
    const asset = ASSETS[(req.params as { name: string }).name];
    if (!asset || !Object.hasOwn(ASSETS, (req.params as { name: string }).name)) {
      return reply.code(404).send({ error: 'not found' });
    }
    return reply.type(asset.type).send(read(asset.file));
  });
}
