/**
 * Runs the fake Upbit for a demo: `node --import tsx test/fake-exchange/serve.ts [config-out.json]`.
 * Prints its URL and writes a config file that points ccxt at it, e.g.
 *   npx bot data download --config /tmp/fake-upbit.json --since 2025-01-01 --db /tmp/demo.db
 */
import { writeFileSync } from 'node:fs';
import { startFakeUpbit } from './server.ts';

const out = process.argv[2] ?? '/tmp/fake-upbit.json';
const fake = await startFakeUpbit({ rateLimitPerSecond: 10 });
writeFileSync(out, JSON.stringify({ exchange: { ccxt: fake.ccxtOptions() } }, null, 2));
console.log(`fake Upbit on ${fake.url} (10 requests/s enforced); config for it: ${out}`);
console.log('Ctrl-C stops it');
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
