// One run's page: status and position, halt / pause banner, control buttons (with confirmation), candles with buy /
// sell markers (arrows up / down: shapes, not only colours), equity vs buy-and-hold and drawdown, decisions, orders,
// fills and the commands asked; refreshed by server-sent events. A portfolio run (several markets on one account) has
// its own page (portfolio-page.js), which shares the controls, the banner and the commands table defined here.
'use strict';
(function (D) {
  const { h } = D;
  const sec = (ms) => Math.floor(ms / 1000);

  D.pages.run = async function (root, idText) {
    const id = Number(idText);
    const first = await D.api(`/runs/${id}`);
    if (first.run && first.run.markets) return D.pages.portfolioRun(root, id);
    const page = { id, decisionsShown: 100, charts: [] };
    root.replaceChildren(
      h('div', { id: 'run-head' }),
      h('div', { id: 'banner' }),
      h('div', { class: 'controls', id: 'controls' }),
      h('p', { id: 'control-msg', class: 'muted', 'aria-live': 'polite' }),
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
    buildControls(page, refresh);
    buildCharts(page);
    await refresh(page);
    let timer;
    page.onEvent = (type, data) => {
      if (data.runId !== id && type !== 'promotion') return;
      clearTimeout(timer);
      timer = setTimeout(() => refresh(page).catch(() => {}), 150);
    };
    page.dispose = () => page.charts.forEach((c) => c.remove());
    return page;
  };

  /** The control buttons; each asks for confirmation, then queues a command and calls `refresh(page)`. */
  function buildControls(page, refresh) {
    const box = document.getElementById('controls');
    const ask = (kind, question) => async () => {
      if (!confirm(question)) return;
      const msg = document.getElementById('control-msg');
      try {
        const r = await D.api(`/runs/${page.id}/commands`, { kind });
        msg.className = 'muted';
        msg.textContent = `${kind}: ${r.note} (asked by ${r.command.requestedBy})`;
        await refresh(page);
      } catch (e) {
        msg.className = 'error';
        msg.textContent = `${kind} refused: ${e.message}`;
      }
    };
    box.append(
      h(
        'button',
        {
          type: 'button',
          id: 'btn-pause',
          onclick: ask('pause', 'Pause this run? It will pass over candles until resumed.'),
        },
        'Pause',
      ),
      h('button', { type: 'button', id: 'btn-resume', onclick: ask('resume', 'Resume trading?') }, 'Resume'),
      h(
        'button',
        {
          type: 'button',
          id: 'btn-exit',
          class: 'danger',
          onclick: ask('exit', page.exitQuestion || 'Sell the whole position at the next open?'),
        },
        page.exitLabel || 'Exit position',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'btn-halt',
          class: 'danger',
          onclick: ask('halt', 'HALT this run? Its trader stops until the halt is cleared.'),
        },
        'Halt',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'btn-clear',
          onclick: ask('clear-halt', 'Clear the halt? Trading resumes at the next start.'),
        },
        'Clear halt',
      ),
    );
  }

  function buildCharts(page) {
    const L = LightweightCharts;
    const opts = { autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true } };
    const cc = L.createChart(document.getElementById('candle-chart'), opts);
    page.candles = cc.addSeries(L.CandlestickSeries, {});
    page.markers = L.createSeriesMarkers(page.candles, []);
    const ec = L.createChart(document.getElementById('equity-chart'), { ...opts, leftPriceScale: { visible: true } });
    page.equity = ec.addSeries(L.LineSeries, { title: 'equity', lineWidth: 2, color: '#1b1f24' });
    page.hold = ec.addSeries(L.LineSeries, { title: 'buy & hold', lineWidth: 2, lineStyle: 2, color: '#5c6670' });
    page.drawdown = ec.addSeries(L.AreaSeries, {
      title: 'drawdown',
      priceScaleId: 'left',
      lineColor: '#b3261e',
      topColor: 'rgba(179,38,30,0.05)',
      bottomColor: 'rgba(179,38,30,0.25)',
      priceFormat: { type: 'percent' },
    });
    page.charts = [cc, ec];
  }

  async function refresh(page) {
    const [one, decisions, fills, orders, win, eq] = await Promise.all([
      D.api(`/runs/${page.id}`),
      D.api(`/runs/${page.id}/decisions?limit=${page.decisionsShown}`),
      D.api(`/runs/${page.id}/fills?limit=100`),
      D.api(`/runs/${page.id}/orders?limit=100`),
      D.api(`/runs/${page.id}/candles?limit=500`),
      D.api(`/runs/${page.id}/equity?limit=5000`),
    ]);
    if (!document.getElementById('run-head')) return;
    renderHead(one.run);
    renderTables(page, one, decisions, fills, orders);
    page.candles.setData(
      win.candles.map((c) => ({ time: sec(c.ts), open: c.open, high: c.high, low: c.low, close: c.close })),
    );
    page.markers.setMarkers(
      win.markers.map((m) =>
        m.side === 'buy'
          ? { time: sec(m.ts), position: 'belowBar', shape: 'arrowUp', color: '#137333', text: 'B' }
          : { time: sec(m.ts), position: 'aboveBar', shape: 'arrowDown', color: '#b3261e', text: 'S' },
      ),
    );
    let peak = -Infinity;
    const pts = eq.points;
    page.equity.setData(pts.map((p) => ({ time: sec(p.ts), value: p.equity })));
    page.hold.setData(pts.filter((p) => p.buyHold !== null).map((p) => ({ time: sec(p.ts), value: p.buyHold })));
    page.drawdown.setData(
      pts.map((p) => {
        peak = Math.max(peak, p.equity);
        return { time: sec(p.ts), value: (p.equity / peak - 1) * 100 };
      }),
    );
    if (!page.fitted) {
      page.charts.forEach((c) => c.timeScale().fitContent());
      page.fitted = true;
    }
  }

  function renderHead(r) {
    const stat = (k, v, cls) =>
      h('div', { class: 'stat' }, h('div', { class: 'k' }, k), h('div', { class: 'v ' + (cls || '') }, v));
    document
      .getElementById('run-head')
      .replaceChildren(
        h('h1', {}, `${r.mode} run “${r.name}” · ${r.exchange} ${r.symbol} ${r.timeframe}`),
        h(
          'div',
          { class: 'grid card' },
          stat('policy', r.policy + (r.modelVersion ? ' @ ' + r.modelVersion : '')),
          stat('equity', D.num(r.equity, 0)),
          stat('P&L', D.pct(r.pnl), D.signClass(r.pnl)),
          stat('buy & hold', D.pct(r.buyHoldPnl), D.signClass(r.buyHoldPnl)),
          stat('position', `${D.num(r.units, 8)} units + ${D.num(r.cash, 0)} cash`),
          stat(
            'pending order',
            r.pendingOrder ? `${r.pendingOrder.side} ${D.num(r.pendingOrder.quantity, 6)}` : 'none',
          ),
          stat('last candle', (r.lastCandle || '—').slice(0, 16)),
          stat('next tick', r.nextTick.slice(0, 16)),
        ),
      );
    renderBanner(r);
  }

  /** The halt and pause banners (words and symbols, not only colour) and which control buttons apply. */
  function renderBanner(r) {
    const banner = document.getElementById('banner');
    banner.replaceChildren(
      ...(r.halted
        ? [h('div', { class: 'banner halt', id: 'halt-banner', role: 'alert' }, '■ HALTED: ' + r.halted)]
        : []),
      ...(r.paused
        ? [h('div', { class: 'banner pause', id: 'pause-banner', role: 'status' }, '❚❚ PAUSED: ' + r.paused)]
        : []),
    );
    document.getElementById('btn-pause').disabled = !!r.paused;
    document.getElementById('btn-resume').disabled = !r.paused;
    document.getElementById('btn-clear').disabled = !r.halted;
    document.getElementById('btn-halt').disabled = !!r.halted;
  }

  function renderTables(page, one, decisions, fills, orders) {
    const more =
      decisions.items.length < decisions.total
        ? h(
            'button',
            {
              type: 'button',
              id: 'more-decisions',
              onclick: () => {
                page.decisionsShown += 500;
                refresh(page);
              },
            },
            `Show more (${decisions.total} in all)`,
          )
        : null;
    document.getElementById('decisions').replaceChildren(
      h('p', { class: 'muted' }, `${decisions.items.length} of ${decisions.total} decisions, newest first`),
      D.table(
        decisions.items,
        [
          ['candle', (d) => D.time(d.ts)],
          ['action', (d) => (d.action === 'buy' ? '▲ buy' : d.action === 'sell' ? '▼ sell' : '· hold')],
          ['confidence', (d) => D.num(d.confidence, 3)],
          ['price', (d) => D.num(d.price)],
          ['policy', (d) => d.policy],
          ['model version', (d) => d.modelVersion],
        ],
        null,
        { id: 'decisions-table' },
      ),
      ...(more ? [more] : []),
    );
    document.getElementById('fills').replaceChildren(
      D.table(
        fills.items,
        [
          ['time', (f) => D.time(f.ts)],
          ['side', (f) => (f.side === 'buy' ? '▲ buy' : '▼ sell')],
          ['price', (f) => D.num(f.price)],
          ['units', (f) => D.num(f.units, 8)],
          ['value', (f) => D.num(f.value, 0)],
          ['fee', (f) => D.num(f.fee)],
        ],
        null,
        { id: 'fills-table' },
      ),
    );
    document.getElementById('orders').replaceChildren(
      D.table(orders.items, [
        ['id', (o) => o.id],
        ['decided', (o) => D.time(o.decisionTs)],
        ['side', (o) => o.side],
        ['quantity', (o) => D.num(o.quantity, 8)],
        ['status', (o) => o.status],
        ['reason', (o) => o.reason],
      ]),
    );
    renderCommands(one);
  }

  function renderCommands(one) {
    document.getElementById('commands').replaceChildren(
      D.table(
        one.commands,
        [
          ['asked', (c) => D.time(c.requestedAt)],
          ['command', (c) => c.kind],
          ['by', (c) => c.requestedBy],
          ['status', (c) => c.status],
          ['note', (c) => c.note],
          ['applied', (c) => D.time(c.appliedAt)],
        ],
        null,
        { id: 'commands-table' },
      ),
    );
  }
  D.runParts = { buildControls, renderBanner, renderCommands };
})(window.Dash);
