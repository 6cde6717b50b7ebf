import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Rng } from '../../src/core/random.ts';

export type ProxyFault = '429' | '500' | '503' | 'malformed' | 'reset' | 'slow' | 'lost';

export interface FaultProxy {
  url: string;
  /** Faults injected so far, by kind. */
  injected: Record<ProxyFault, number>;
  /** Every fault injected, with the request it hit. */
  hits: { kind: ProxyFault; method: string; url: string }[];
  forwarded: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of the fake exchange that fails a seeded fraction of requests with a 429,
 * a 5xx, a truncated JSON body, a dropped connection or a reply that never comes within `slowMs` (longer than the
 * client's timeout), and forwards the rest untouched. Those faults happen before the exchange sees the request;
 * `lost` (only when `kinds` lists it) forwards the request and drops the connection instead of the reply, so the
 * exchange acted (took an order, cancelled one) and the client never hears.
 */
export async function startFaultProxy(
  target: string,
  rate: number,
  seed: number,
  slowMs = 1500,
  kinds: ProxyFault[] = ['429', '500', '503', 'malformed', 'reset', 'slow'],
): Promise<FaultProxy> {
  const rng = new Rng(seed);
  const injected: Record<ProxyFault, number> = {
    '429': 0,
    '500': 0,
    '503': 0,
    malformed: 0,
    reset: 0,
    slow: 0,
    lost: 0,
  };
  const hits: FaultProxy['hits'] = [];
  const sockets = new Set<Socket>();
  const state = { forwarded: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const kind = rng.next() < rate ? kinds[rng.int(kinds.length)] : undefined;
      if (kind) {
        injected[kind]++;
        hits.push({ kind, method: req.method ?? 'GET', url: req.url ?? '/' });
      }
      if (kind && kind !== 'lost') {
        if (kind === 'reset') return void req.socket.destroy();
        if (kind === 'slow') return void setTimeout(() => req.socket.destroy(), slowMs).unref();
        if (kind === 'malformed') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end('[{"market":"KRW-BTC","opening_price":');
        }
        res.writeHead(Number(kind), { 'content-type': 'text/plain' });
        return void res.end(kind === '429' ? 'Too many API requests.' : 'Service Unavailable');
      }
      state.forwarded++;
      const up = http.request(
        target + (req.url ?? '/'),
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (r) => {
          if (kind === 'lost') {
            // the exchange has acted on the request: its reply is read and never delivered
            r.resume();
            return void r.on('end', () => req.socket.destroy());
          }
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    injected,
    hits,
    get forwarded() {
      return state.forwarded;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
