/**
 * Runs the fake Upbit in its own process, for demos and the download benchmark:
 * node --import tsx test/fake-exchange/serve.ts [--config-out FILE] [--count N --start MS --timeframe 1h] [--now MS]
 * [--rate 10]
 * Prints one JSON line `{"url": …}` first, writes a config file pointing ccxt at it (default /tmp/fake-upbit.json),
 * e.g.
 *   npx bot data download --config /tmp/fake-upbit.json --since 2025-01-01 --db /tmp/demo.db
 * `GET /__fake/stats` answers `{ requests, candleRequests, throttled }`. `--orders KRW` adds Upbit's order and account
 * endpoints (test/fake-exchange/orders.ts) with that much KRW, for `bot live` demos (any API key is accepted).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit } from './server.ts';
import { addOrderEndpoints } from './orders.ts';

const USAGE = `usage: node --import tsx test/fake-exchange/serve.ts [options]
  --config-out FILE  where to write the config pointing ccxt at the fake (default /tmp/fake-upbit.json)
  --count N          serve N synthetic KRW-BTC candles (none without it)
  --start MS         open time of the first candle, epoch ms (default 2024-01-01)
  --timeframe TF     the candles' timeframe (default 1h)
  --now MS           a fixed clock, epoch ms (default: the wall clock)
  --rate N           requests per second before it answers 429 (default 10)
  --orders KRW       add order and account endpoints holding this much KRW (for bot live demos)
  -h, --help         this text
`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        'config-out': { type: 'string', default: '/tmp/fake-upbit.json' },
        count: { type: 'string' },
        start: { type: 'string' },
        timeframe: { type: 'string', default: '1h' },
        now: { type: 'string' },
        rate: { type: 'string', default: '10' },
        orders: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // parseArgs throws with a stack trace; one line and the usage hint instead
    process.stderr.write(`error: ${(e as Error).message} (--help lists the options)\n`);
    process.exit(2);
  }
}

const { values } = parseFlags();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
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
if (values.orders !== undefined) addOrderEndpoints(fake, { KRW: Number(values.orders), timeframe: values.timeframe });
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
