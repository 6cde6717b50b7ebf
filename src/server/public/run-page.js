// One run's page: status and position, halt / pause banner, control buttons, candles with buy / sell markers,
// equity vs buy-and-hold and drawdown, decisions, orders, fills and the commands asked; refreshed by server-sent
// events. A portfolio run (several markets on one account) has its own page (portfolio-page.js); the parts both pages
// show are in run-parts.js.
'use strict';
(function (D) {
  const { h } = D;
  const P = D.runParts;

  D.pages.run = async function (root, idText) {
    const id = Number(idText);
    const first = await D.api(`/runs/${id}`);
    if (first.run && first.run.markets) return D.pages.portfolioRun(root, id);
    const page = { id, decisionsShown: 100, charts: [] };
    root.replaceChildren(
      ...P.headBoxes(),
      h('h2', {}, 'Candles'),
      h('div', { class: 'chart', id: 'candle-chart' }),
      h('h2', {}, 'Equity vs buy-and-hold'),
      h('div', { class: 'chart small', id: 'equity-chart' }),
      h('h2', {}, 'Decisions'),
      h('div', { id: 'decisions' }),
      h('h2', {}, 'Fills'),
      h('div', { id: 'fills' }),
      h('h2', {}, 'Orders'),
      h('div', { id: 'orders' }),
      h('h2', {}, 'Commands'),
      h('div', { id: 'commands' }),
    );
    P.buildControls(page, refresh);
    page.charts = [P.addCandleChart(page), P.addEquityChart(page, 'equity', 'buy & hold')];
    await refresh(page);
    // a promotion may change the model version the run serves
    P.followEvents(page, refresh, ['promotion']);
    return page;
  };

  async function refresh(page) {
    const got = await P.settle({
      one: D.api(`/runs/${page.id}`),
      decisions: P.pagedRows(`/runs/${page.id}/decisions`, page.decisionsShown),
      fills: D.api(`/runs/${page.id}/fills?limit=100`),
      orders: D.api(`/runs/${page.id}/orders?limit=100`),
      win: D.api(`/runs/${page.id}/candles?limit=500`),
      eq: D.api(`/runs/${page.id}/equity?limit=5000`),
    });
    if (!document.getElementById('run-head')) return;
    P.panel('run-head', got.one, (one) => renderHead(one.run));
    renderTables(page, got);
    P.panel('candle-chart', got.win, (win) => P.showCandles(page, win));
    P.panel('equity-chart', got.eq, (eq) => P.showEquity(page, eq.points));
    if (!page.fitted) {
      page.charts.forEach((c) => c.timeScale().fitContent());
      page.fitted = true;
    }
  }

  function renderHead(r) {
    const { stat } = P;
    const o = r.pendingOrder;
    P.renderHead(
      r,
      `${r.mode} run “${r.name}” · ${r.exchange} ${r.symbol} ${r.timeframe}`,
      ['equity', 'buy & hold'],
      [
        stat('position', `${D.num(r.units, 8)} units + ${D.num(r.cash, 0)} cash`),
        stat('pending order', o ? `${o.side} ${P.orderAmount(o.side, 'pending', o.quantity, r.symbol)}` : 'none'),
      ],
    );
    P.renderBanner(r);
  }

  function renderTables(page, got) {
    P.panel('decisions', got.decisions, (decisions) =>
      P.renderDecisions(
        page,
        decisions,
        [
          ['candle', (d) => D.time(d.ts)],
          ['action', (d) => (d.action === 'buy' ? '▲ buy' : d.action === 'sell' ? '▼ sell' : '· hold')],
          ['confidence', (d) => D.num(d.confidence, 3)],
          ['price', (d) => D.num(d.price)],
          ['policy', (d) => d.policy],
          ['model version', (d) => d.modelVersion],
        ],
        refresh,
      ),
    );
    P.panel('fills', got.fills, (fills) =>
      document.getElementById('fills').replaceChildren(P.fillsTable(fills.items, false)),
    );
    P.panel('orders', got.orders, (orders) =>
      document.getElementById('orders').replaceChildren(P.ordersTable(orders.items, false)),
    );
    P.panel('commands', got.one, P.renderCommands);
  }
})(window.Dash);
