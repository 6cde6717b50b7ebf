/**
 * A sweep's report.json with the parts read outside src/sweep (the dashboard's list and page, `bot report`), as
 * buildSweepReport writes them (schema bot-sweep-report/1); the rest of a real one is left out. Its two rolling folds
 * are as a real sweep's: fold 1's test window is fold 2's validation window, so only fold 2's test window is clean
 * (after every validation candle), and the clean figures differ from the mean over both folds' test windows.
 */
export const SWEEP_ID = '0123456789ab';

const metrics = (totalReturn: number, trades?: number) => ({
  mean: { totalReturn, sharpe: totalReturn * 10, ...(trades !== undefined ? { trades } : {}) },
  sd: { totalReturn: 0 },
});

export const sweepHead = {
  schema: 'bot-sweep-report/1',
  sweepId: SWEEP_ID,
  name: 'grid',
  createdAt: '2024-06-02T00:00:00.000Z',
  strategy: 'dqn',
  markets: [
    {
      label: 'upbit BTC/KRW 1h',
      candles: 1441,
      from: '2024-01-01T00:00:00Z',
      to: '2024-03-01T00:00:00Z',
      folds: [
        {
          train: '2024-01-01T00:00:00Z … 2024-01-20T23:00:00Z (480)',
          validation: '2024-01-21T00:00:00Z … 2024-02-01T23:00:00Z (288)',
          test: '2024-02-02T00:00:00Z … 2024-02-13T23:00:00Z (288)',
        },
        {
          train: '2024-01-13T00:00:00Z … 2024-02-01T23:00:00Z (480)',
          validation: '2024-02-02T00:00:00Z … 2024-02-13T23:00:00Z (288)',
          test: '2024-02-14T00:00:00Z … 2024-02-25T23:00:00Z (288)',
        },
      ],
    },
  ],
  leaderboard: [{ rank: 1, key: 'a', label: 'lr=0.001', params: { lr: 0.001 }, runs: 2, failed: 0, score: 0.4 }],
  baselines: { buy_and_hold: { description: 'buy and hold', test: metrics(0.03), cleanTest: metrics(0.01) } },
  winner: {
    key: 'a',
    label: 'lr=0.001',
    params: { lr: 0.001 },
    test: metrics(0.05, 6),
    cleanTest: metrics(0.02, 7.5),
    cleanFolds: ['fold 2'],
  },
  verdict: ['the winner beat buy-and-hold on the clean test windows'],
  files: { json: 'report.json', html: 'report.html', heatmaps: [], equity: [] },
};
