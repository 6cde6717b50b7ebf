/**
 * Runs the fake Upbit in its own process, for demos and the download benchmark:
 * node --import tsx test/fake-exchange/serve.ts [--config-out FILE] [--count N --start MS --timeframe 1h] [--now MS]
 * [--rate 10]
 * Prints one JSON line `{"url": …}` first, writes a config file pointing ccxt at it (default /tmp/fake-upbit.json),
 * e.g.
 *   npx bot data download --config /tmp/fake-upbit.json --since 2025-01-01 --db /tmp/demo.db
 * `GET /__fake/stats` answers `{ requests, candleRequests, throttled }`.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit } from './server.ts';

const { values } = parseArgs({
  options: {
    'config-out': { type: 'string', default: '/tmp/fake-upbit.json' },
    count: { type: 'string' },
    start: { type: 'string' },
    timeframe: { type: 'string', default: '1h' },
    now: { type: 'string' },
    rate: { type: 'string', default: '10' },
  },
});
const fixedNow = values.now !== undefined ? Number(values.now) : undefined;
const series =
  values.count !== undefined
    ? [
        {
          market: 'KRW-BTC',
          candles: syntheticCandles({
            seed: 5,
            count: Number(values.count),
            timeframe: values.timeframe,
            start: Number(values.start ?? Date.UTC(2024, 0, 1)),
            tick: 1000,
          }),
        },
      ]
    : [];
const fake = await startFakeUpbit({
  now: fixedNow !== undefined ? () => fixedNow : Date.now,
  series,
  rateLimitPerSecond: Number(values.rate),
});
fake.route('GET', '/__fake/stats', ({ state }) => ({
  json: {
    requests: state.requests.length,
    candleRequests: state.requests.filter((r) => r.path.includes('/candles')).length,
    throttled: state.requests.filter((r) => r.status === 429).length,
  },
}));
writeFileSync(values['config-out'], JSON.stringify({ exchange: { ccxt: fake.ccxtOptions() } }, null, 2));
console.log(JSON.stringify({ url: fake.url, config: values['config-out'] }));
process.stderr.write(
  `fake Upbit on ${fake.url} (${values.rate} requests/s enforced); ` +
    `config for it: ${values['config-out']}; Ctrl-C stops it\n`,
);
const stop = () => void fake.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
