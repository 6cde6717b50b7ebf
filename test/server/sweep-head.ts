/**
 * A sweep's report.json with the parts read outside src/sweep (the dashboard's list and page, `bot report`), as
 * buildSweepReport writes them (schema bot-sweep-report/1); the rest of a real one is left out.
 */
export const SWEEP_ID = '0123456789ab';

const metrics = (totalReturn: number) => ({ mean: { totalReturn, sharpe: totalReturn * 10 }, sd: { totalReturn: 0 } });

export const sweepHead = {
  schema: 'bot-sweep-report/1',
  sweepId: SWEEP_ID,
  name: 'grid',
  createdAt: '2024-06-02T00:00:00.000Z',
  strategy: 'dqn',
  markets: [{ label: 'upbit BTC/KRW 1h', candles: 1441, from: '2024-01-01T00:00:00Z', to: '2024-03-01T00:00:00Z' }],
  leaderboard: [{ rank: 1, key: 'a', label: 'lr=0.001', params: { lr: 0.001 }, runs: 2, failed: 0, score: 0.4 }],
  baselines: { buy_and_hold: { description: 'buy and hold', test: metrics(0.03) } },
  winner: { key: 'a', label: 'lr=0.001', params: { lr: 0.001 }, test: metrics(0.05) },
  verdict: ['the winner beat buy-and-hold on the clean test windows'],
  files: { json: 'report.json', html: 'report.html', heatmaps: [], equity: [] },
};
