import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Rng } from '../../src/core/random.ts';

export type ProxyFault = '429' | '500' | '503' | 'malformed' | 'reset' | 'slow';

export interface FaultProxy {
  url: string;
  /** Faults injected so far, by kind. */
  injected: Record<ProxyFault, number>;
  forwarded: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of the fake exchange that fails a seeded fraction of requests with a 429,
 * a 5xx, a truncated JSON body, a dropped connection or a reply that never comes within `slowMs` (longer than the
 * client's timeout), and forwards the rest untouched.
 */
export async function startFaultProxy(target: string, rate: number, seed: number, slowMs = 1500): Promise<FaultProxy> {
  const rng = new Rng(seed);
  const kinds: ProxyFault[] = ['429', '500', '503', 'malformed', 'reset', 'slow'];
  const injected: Record<ProxyFault, number> = { '429': 0, '500': 0, '503': 0, malformed: 0, reset: 0, slow: 0 };
  const sockets = new Set<Socket>();
  const state = { forwarded: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (rng.next() < rate) {
        const kind = kinds[rng.int(kinds.length)];
        injected[kind]++;
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
    get forwarded() {
      return state.forwarded;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
