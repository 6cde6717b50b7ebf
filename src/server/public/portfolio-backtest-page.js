// A portfolio backtest's page (`bot backtest --symbols`, report.json schema bot-portfolio-report/1): the strategy
// against the portfolio baselines and random weights, each market's share of the result, the value over time and the
// fills. Its report has a summary and a list of baselines where a single market's has metrics and named baselines.
'use strict';
(function (D) {
  const { h } = D;

  D.PORTFOLIO_SCHEMA = 'bot-portfolio-report/1';

  /** The run's value at each clock time (report.portfolio), as chart points in seconds. */
  D.portfolioEquity = (report) =>
    report.portfolio.timestamps.map((ts, i) => ({ time: Math.floor(ts / 1000), value: report.portfolio.equity[i] }));

  const summaryRow = (s, sd) => {
    const pm = (k, f) => f(s[k]) + (sd ? ' ± ' + f(sd[k]) : '');
    return [pm('totalReturn', D.pct), pm('maxDrawdown', D.pct), pm('sharpe', (x) => D.num(x, 3))].concat([
      pm('feesPaid', (x) => D.num(x, 0)),
      pm('turnover', (x) => D.num(x, 0)),
    ]);
  };

  D.pages.portfolioBacktest = async function (root, id, report) {
    const p = report.portfolio;
    root.replaceChildren(
      h('h1', {}, `${report.strategy} on ${p.symbols.join(', ')}`),
      h('p', { class: 'muted' }, report.data.timeline),
      D.table(report.data.series, [
        ['market', (s) => s.symbol],
        ['data', (s) => s.label],
        ['missing', (s) => s.missing],
      ]),
    );
    const rows = [
      { name: report.summary.name, cells: summaryRow(report.summary) },
      ...(report.seeds
        ? [
            {
              name: `${report.seeds.runs.length} seeds (mean ± sd)`,
              cells: summaryRow(report.seeds.mean, report.seeds.sd),
            },
          ]
        : []),
      ...report.baselines.map((b) => ({ name: b.name, cells: summaryRow(b) })),
      {
        name: `random weights (${report.randomWeights.seeds} seeds, mean ± sd)`,
        cells: summaryRow(report.randomWeights.mean, report.randomWeights.sd),
      },
    ];
    root.append(
      h('h2', {}, 'Against the portfolio baselines'),
      D.table(
        rows,
        [['run', (r) => r.name]].concat(
          ['return', 'max drawdown', 'sharpe', 'fees + tax', 'turnover'].map((k, i) => [k, (r) => r.cells[i]]),
        ),
        null,
        { id: 'portfolio-table' },
      ),
      h('h2', {}, 'Per market'),
      D.table(
        p.markets,
        [
          ['market', (m) => m.symbol],
          ['mean weight', (m) => D.pct(meanWeight(p.weights[p.symbols.indexOf(m.symbol)]))],
          ['P/L contribution', (m) => D.num(m.contribution, 0)],
          ['turnover', (m) => D.num(m.turnover, 0)],
          ['fees + tax', (m) => D.num(m.feesPaid + m.taxPaid, 0)],
          ['rejected', (m) => Object.values(m.rejected).reduce((a, b) => a + b, 0)],
          ['waited', (m) => m.waited],
        ],
        null,
        { id: 'markets-table' },
      ),
    );
    const box = h('div', { class: 'chart small', id: 'portfolio-equity-chart' });
    root.append(h('h2', {}, 'Value'), box);
    const chart = LightweightCharts.createChart(box, { autoSize: true, layout: { attributionLogo: false } });
    chart
      .addSeries(LightweightCharts.LineSeries, { title: report.summary.name, lineWidth: 2 })
      .setData(D.dedupe(D.portfolioEquity(report)));
    chart.timeScale().fitContent();
    await D.backtestTrades(root, id);
  };

  function meanWeight(ws) {
    return ws.length ? ws.reduce((a, b) => a + b, 0) / ws.length : null;
  }
})(window.Dash);
