/**
 * A process running one retrain of `<home>` into the database `<db>` whose challenger wins: the champion the test
 * saved is long into a falling holdout, the challenger stays flat. Run under test/trading/kill-after-rename.ts, it is
 * killed at a chosen step of the promotion. Usage: node --import tsx [--import …] retrain-kill-child.ts <home> <db>
 */
import path from 'node:path';
import winston from 'winston';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { retrainOnce } from '../../src/trading/retrain.ts';
import { riseThenFall, saveAgent, SMALL_RECIPE } from './agents.ts';

const [home, db] = process.argv.slice(2);
const config = loadConfig({
  overrides: {
    data: { database: db },
    log: { file: '' },
    // the flat 'sell' agent stands for a winner (a falling holdout), promoted though it makes no trade
    trading: {
      retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0, promoteWithoutTrades: true },
    },
  },
});
const store = CandleStore.open(config.data.database);
const r = await retrainOnce({
  config,
  logger: winston.createLogger({ silent: true }),
  store,
  home: path.resolve(home),
  strategyName: 'dqn-dnn',
  recipe: SMALL_RECIPE,
  candles: riseThenFall(260, 40),
  train: (req) => saveAgent(req.dir, 'sell', req.candles),
  clock: () => Date.UTC(2025, 0, 9),
});
store.close();
console.log(JSON.stringify(r));
