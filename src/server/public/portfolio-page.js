// A portfolio run's page (issue 14: several markets on one account): value, P&L and each market's position and
// weight; the weights over time as a stacked area (each band one market, cash on top; named in a legend with the
// latest weight, so colour is not the only key); value vs equal weights held; one market's candles with its fills;
// decisions with their target weights; orders and fills per market; the controls and commands of every run (those
// and the other parts both run pages show are in run-parts.js).
'use strict';
(function (D) {
  const { h } = D;
  const P = D.runParts;
  const { sec } = P;
  // Okabe–Ito colours: told apart with the common colour-vision deficiencies
  const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
  const CASH_COLOUR = '#c9d1d9';
  const colour = (m) => COLOURS[m % COLOURS.length];
  // the legend's swatches take the same colours from style.css (.swatch.c0 … .c7, .swatch.cash)
  const swatch = (m) => h('span', { class: 'swatch ' + (m === null ? 'cash' : 'c' + (m % COLOURS.length)) });
  const q = (market) => (market ? '&market=' + encodeURIComponent(market) : '');

  D.pages.portfolioRun = async function (root, id) {
    const page = {
      id,
      decisionsShown: 100,
      charts: [],
      market: '',
      filter: '',
      exitQuestion:
        'Sell every market at its open after the next candle time closes? From the time after, the strategy ' +
        'decides again and may buy back at once: to stay out, pause once the sells have filled.',
      exitLabel: 'Exit every market',
    };
    root.replaceChildren(
      ...P.headBoxes(),
      h('h2', {}, 'Positions'),
      h('div', { id: 'positions' }),
      h('h2', {}, 'Weights over time'),
      h('div', { id: 'weights-legend', class: 'legend' }),
      h('div', { class: 'chart small', id: 'weights-chart' }),
      h('h2', {}, 'Value vs equal weights held'),
      h('div', { class: 'chart small', id: 'equity-chart' }),
      h('h2', {}, 'Candles ', h('select', { id: 'candle-market', 'aria-label': 'candles of market' })),
      h('div', { class: 'chart', id: 'candle-chart' }),
      h('h2', {}, 'Decisions'),
      h('div', { id: 'decisions' }),
      h(
        'h2',
        {},
        'Fills and orders ',
        h('select', { id: 'market-filter', 'aria-label': 'fills and orders of market' }),
      ),
      h('div', { id: 'fills' }),
      h('div', { id: 'orders' }),
      h('h2', {}, 'Commands'),
      h('div', { id: 'commands' }),
    );
    P.buildControls(page, refresh);
    const one = await D.api(`/runs/${id}`);
    page.markets = one.run.markets;
    page.market = page.markets[0];
    buildSelects(page);
    buildCharts(page);
    await refresh(page);
    P.followEvents(page, refresh);
    return page;
  };

  function buildSelects(page) {
    const candle = document.getElementById('candle-market');
    candle.append(...page.markets.map((m) => h('option', { value: m }, m)));
    candle.addEventListener('change', () => {
      page.market = candle.value;
      page.fittedCandles = false;
      refresh(page);
    });
    const filter = document.getElementById('market-filter');
    filter.append(h('option', { value: '' }, 'all markets'), ...page.markets.map((m) => h('option', { value: m }, m)));
    filter.addEventListener('change', () => {
      page.filter = filter.value;
      refresh(page);
    });
  }

  function buildCharts(page) {
    const L = LightweightCharts;
    // 0% at the pane's bottom: an area fills down to the pane's edge, so no margin may show under a band
    const wc = L.createChart(document.getElementById('weights-chart'), {
      ...P.chartOptions(),
      rightPriceScale: { scaleMargins: { top: 0.04, bottom: 0 } },
    });
    const band = (c) => ({
      lineColor: c,
      topColor: c,
      bottomColor: c,
      lineWidth: 1,
      lastValueVisible: false,
      priceLineVisible: false,
      priceFormat: { type: 'percent' },
      autoscaleInfoProvider: () => ({ priceRange: { minValue: 0, maxValue: 100 } }),
    });
    // a stacked area: each band is drawn down to the axis at its cumulative weight; the later (lower) bands are drawn
    // over the earlier ones, so what shows of a band is its own weight. Cash fills the top up to 100%.
    page.cashBand = wc.addSeries(L.AreaSeries, { ...band(CASH_COLOUR), title: 'cash' });
    page.bands = page.markets
      .map((m, i) => ({ i, series: null, name: m }))
      .reverse()
      .map((b) => ({ ...b, series: wc.addSeries(L.AreaSeries, { ...band(colour(b.i)), title: b.name }) }))
      .reverse();
    const ec = P.addEquityChart(page, 'value', 'equal weights held');
    const cc = P.addCandleChart(page);
    page.charts = [wc, ec, cc];
  }

  async function refresh(page) {
    const id = page.id;
    const got = await P.settle({
      one: D.api(`/runs/${id}`),
      weights: D.api(`/runs/${id}/weights?limit=5000`),
      eq: D.api(`/runs/${id}/equity?limit=5000`),
      win: D.api(`/runs/${id}/candles?limit=500${q(page.market)}`),
      decisions: P.pagedRows(`/runs/${id}/decisions`, page.decisionsShown),
      fills: D.api(`/runs/${id}/fills?limit=100${q(page.filter)}`),
      orders: D.api(`/runs/${id}/orders?limit=100${q(page.filter)}`),
    });
    if (!document.getElementById('weights-chart')) return;
    P.panel('run-head', got.one, (one) => {
      renderHead(one.run);
      P.renderBanner(one.run);
    });
    P.panel('positions', got.one, renderPositions);
    P.panel('weights-chart', got.weights, (weights) => renderWeights(page, weights));
    P.panel('equity-chart', got.eq, (eq) => P.showEquity(page, eq.points));
    P.panel('candle-chart', got.win, (win) => P.showCandles(page, win));
    renderTables(page, got);
    P.panel('commands', got.one, P.renderCommands);
    if (!page.fitted) {
      page.charts.forEach((c) => c.timeScale().fitContent());
      page.fitted = true;
    } else if (!page.fittedCandles) page.charts[2].timeScale().fitContent();
    page.fittedCandles = true;
  }

  function renderHead(r) {
    const { stat } = P;
    const w = r.waitingTargets;
    const title = `${r.mode} portfolio run “${r.name}” · ${r.exchange} ${r.markets.join(' + ')} ${r.timeframe}`;
    P.renderHead(
      r,
      title,
      ['value', 'equal weights held'],
      [
        stat('cash', D.num(r.cash, 0)),
        stat('trades', String(r.trades)),
        stat(
          'waiting targets',
          w ? `${w.targets.map((x) => D.pct(x)).join(' / ')} (${w.waiting.join(', ')} at the next open)` : 'none',
        ),
      ],
    );
  }

  function renderPositions(one) {
    const r = one.run;
    const stats = one.marketStats || [];
    const rows = [
      ...(r.positions || []).map((p, m) => ({ ...p, m, stats: stats[m] })),
      {
        market: 'cash',
        m: null,
        units: null,
        price: null,
        value: r.cash,
        weight: r.equity > 0 ? r.cash / r.equity : 0,
      },
    ];
    document.getElementById('positions').replaceChildren(
      D.table(
        rows,
        [
          ['market', (p) => h('span', {}, swatch(p.m), p.market)],
          ['units', (p) => (p.units === null ? '' : D.num(p.units, 8))],
          ['last close', (p) => (p.price === null ? '' : D.num(p.price))],
          ['value', (p) => D.num(p.value, 0)],
          ['weight', (p) => D.pct(p.weight)],
          ['fills', (p) => (p.stats ? String(p.stats.fills) : '')],
          ['traded', (p) => (p.stats ? D.num(p.stats.traded, 0) : '')],
          ['fees', (p) => (p.stats ? D.num(p.stats.fees) : '')],
        ],
        null,
        { id: 'positions-table' },
      ),
    );
  }

  function renderWeights(page, view) {
    const pts = view.points;
    const cum = pts.map((p) => {
      let c = 0;
      return p.weights.map((w) => (c += w) * 100);
    });
    page.cashBand.setData(pts.map((p) => ({ time: sec(p.ts), value: 100 })));
    page.bands.forEach((b) => b.series.setData(pts.map((p, k) => ({ time: sec(p.ts), value: cum[k][b.i] }))));
    const last = pts[pts.length - 1];
    const item = (name, m, w) => h('span', { class: 'legend-item' }, swatch(m), `${name} ${D.pct(w)}`);
    document
      .getElementById('weights-legend')
      .replaceChildren(
        ...view.markets.map((name, m) => item(name, m, last ? last.weights[m] : null)),
        item('cash', null, last ? last.cash : null),
        h('span', { class: 'muted' }, ` at ${last ? D.time(last.ts) : '—'} (${pts.length} candle times)`),
      );
  }

  function renderTables(page, got) {
    const targets = (d) =>
      d.targets ? d.targets.map((w, m) => `${page.markets[m]} ${D.pct(w)}`).join(' · ') : 'keep what is held';
    P.panel('decisions', got.decisions, (decisions) =>
      P.renderDecisions(
        page,
        decisions,
        [
          ['candle', (d) => D.time(d.ts)],
          ['action', (d) => (d.action === 'rebalance' ? '⇄ rebalance' : '· ' + d.action)],
          ['target weights', targets],
          ['value at the close', (d) => D.num(d.price, 0)],
          ['policy', (d) => d.policy],
        ],
        refresh,
      ),
    );
    const which = page.filter || 'all markets';
    // the fills and the orders of the market filter's choice, each said how many of how many
    const listed = (noun, table) => (rows) =>
      document
        .getElementById(noun)
        .replaceChildren(
          h('p', { class: 'muted' }, `${rows.items.length} of ${rows.total} ${noun} (${which}), newest first`),
          table(rows.items, true),
        );
    P.panel('fills', got.fills, listed('fills', P.fillsTable));
    P.panel('orders', got.orders, listed('orders', P.ordersTable));
  }
})(window.Dash);
