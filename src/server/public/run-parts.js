// The parts that a run's page (run-page.js) and a portfolio run's page (portfolio-page.js) share: the page's head
// boxes, the control buttons (with confirmation), the halt / pause banner, the candle chart with buy / sell markers
// (arrows up / down: shapes, not only colours), value vs its benchmark with the drawdown, the decisions table with its
// "Show more" button, the commands table and the refresh on server-sent events.
'use strict';
(function (D) {
  const { h } = D;
  const sec = (ms) => Math.floor(ms / 1000);
  const chartOptions = () => ({ autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true } });

  /** The boxes at the top of a run's page: head, banner, controls and the controls' answer. */
  const headBoxes = () => [
    h('div', { id: 'run-head' }),
    h('div', { id: 'banner' }),
    h('div', { class: 'controls', id: 'controls' }),
    h('p', { id: 'control-msg', class: 'muted', 'aria-live': 'polite' }),
  ];

  /** One figure of the run's head: a key over its value (`cls` colours the value, e.g. by sign). */
  const stat = (k, v, cls) =>
    h('div', { class: 'stat' }, h('div', { class: 'k' }, k), h('div', { class: 'v ' + (cls || '') }, v));

  /**
   * The run's head: `title`, then its figures: policy, value, P&L and the benchmark's P&L (named by `labels`), the
   * page's `own` figures, the last candle and the next tick.
   */
  function renderHead(r, title, labels, own) {
    const [valueLabel, holdLabel] = labels;
    document.getElementById('run-head').replaceChildren(
      h('h1', {}, title),
      h(
        'div',
        { class: 'grid card' },
        stat('policy', r.policy + (r.modelVersion ? ' @ ' + r.modelVersion : '')),
        stat(valueLabel, D.num(r.equity, 0)),
        stat('P&L', D.pct(r.pnl), D.signClass(r.pnl)),
        stat(holdLabel, D.pct(r.buyHoldPnl), D.signClass(r.buyHoldPnl)),
        // a live run's funds the exchange no longer held, taken out of its account (not a loss)
        ...(r.withdrawn > 0 ? [stat('withdrawn', D.num(r.withdrawn, 0))] : []),
        ...own,
        stat('last candle', (r.lastCandle || '—').slice(0, 16)),
        ...(r.passedOver ? [stat('passed over to', r.passedOver.slice(0, 16))] : []),
        stat('next tick', D.nextTick(r)),
      ),
    );
  }

  /** Refreshes the page (debounced) on events of its run and of the `alsoOn` types; charts go with the page. */
  function followEvents(page, refresh, alsoOn = []) {
    let timer;
    page.onEvent = (type, data) => {
      if (data.runId !== page.id && !alsoOn.includes(type)) return;
      clearTimeout(timer);
      timer = setTimeout(() => refresh(page).catch(() => {}), 150);
    };
    page.dispose = () => page.charts.forEach((c) => c.remove());
  }

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
          onclick: ask(
            'exit',
            page.exitQuestion ||
              'Sell the whole position at the open after the next candle closes? From the candle after, the ' +
                'strategy decides again and may buy back at once: to stay out, pause once the sell has filled.',
          ),
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

  /** The candle chart in #candle-chart, its series in page.candles and its markers in page.markers. */
  function addCandleChart(page) {
    const L = LightweightCharts;
    const cc = L.createChart(document.getElementById('candle-chart'), chartOptions());
    page.candles = cc.addSeries(L.CandlestickSeries, {});
    page.markers = L.createSeriesMarkers(page.candles, []);
    return cc;
  }

  /** The chart in #equity-chart: the run's value and its benchmark (dashed) on the right, drawdown % on the left. */
  function addEquityChart(page, equityTitle, holdTitle) {
    const L = LightweightCharts;
    const ec = L.createChart(document.getElementById('equity-chart'), {
      ...chartOptions(),
      leftPriceScale: { visible: true },
    });
    page.equity = ec.addSeries(L.LineSeries, { title: equityTitle, lineWidth: 2, color: '#1b1f24' });
    page.hold = ec.addSeries(L.LineSeries, { title: holdTitle, lineWidth: 2, lineStyle: 2, color: '#5c6670' });
    page.drawdown = ec.addSeries(L.AreaSeries, {
      title: 'drawdown',
      priceScaleId: 'left',
      lineColor: '#b3261e',
      topColor: 'rgba(179,38,30,0.05)',
      bottomColor: 'rgba(179,38,30,0.25)',
      priceFormat: { type: 'percent' },
    });
    return ec;
  }

  /** A candles window (/runs/:id/candles) with its fills as markers: ▲ under the bar a buy, ▼ over it a sell. */
  function showCandles(page, win) {
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
  }

  /**
   * The equity points: value, benchmark where known, and the drawdown in % as the API gives it: from the run's running
   * peak over its whole history, not only the points shown (a long run's window may open below its peak).
   */
  function showEquity(page, pts) {
    page.equity.setData(pts.map((p) => ({ time: sec(p.ts), value: p.equity })));
    page.hold.setData(pts.filter((p) => p.buyHold !== null).map((p) => ({ time: sec(p.ts), value: p.buyHold })));
    page.drawdown.setData(pts.map((p) => ({ time: sec(p.ts), value: p.drawdown * 100 })));
  }

  /**
   * An order's amount with its unit: a buy not filled (pending, submitting, skipped…) holds the cash it was to spend,
   * in the market's quote currency (`for 9,206,282.64 KRW`); a sell or a filled buy, the units of its base (`0.5 BTC`).
   */
  const orderAmount = (side, status, quantity, market) => {
    const [base, quote] = String(market).split('/');
    return side === 'buy' && status !== 'filled'
      ? `for ${D.num(quantity, 2)} ${quote || ''}`.trim()
      : `${D.num(quantity, 8)} ${base || ''}`.trim();
  };

  /** The most rows a page of a run's rows holds (the API's cap on `limit`). */
  const PAGE_MOST = 1000;

  /**
   * The newest `count` rows of a keyset-paged route (`path`, without a query), asked a page of at most PAGE_MOST at a
   * time, each `before` the last one's cursor: "Show more" grows `count` past what one page may hold.
   */
  async function pagedRows(path, count) {
    let got = await D.api(`${path}?limit=${Math.min(count, PAGE_MOST)}`);
    const items = [...got.items];
    while (items.length < count && got.next !== null) {
      got = await D.api(`${path}?limit=${Math.min(count - items.length, PAGE_MOST)}&before=${got.next}`);
      items.push(...got.items);
    }
    return { total: got.total, items, next: got.next };
  }

  /** Each request of `requests` (name → promise) settled: its answer, or the Error it failed with. */
  async function settle(requests) {
    const names = Object.keys(requests);
    const results = await Promise.allSettled(Object.values(requests));
    return Object.fromEntries(
      results.map((r, i) => [
        names[i],
        r.status === 'fulfilled' ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason)),
      ]),
    );
  }

  /**
   * Renders `data` into the panel at #boxId, or, when its request failed, says so above the panel (#boxId-error),
   * which keeps what it showed: one failing panel leaves the others refreshing instead of freezing the whole page.
   */
  function panel(boxId, data, render) {
    const box = document.getElementById(boxId);
    if (!box) return;
    const noteId = boxId + '-error';
    let note = document.getElementById(noteId);
    if (data instanceof Error) {
      if (!note) {
        note = h('p', { class: 'error', id: noteId, role: 'alert' });
        box.before(note);
      }
      note.textContent = `Could not refresh this part: ${data.message}`;
      return;
    }
    if (note) note.remove();
    render(data);
  }

  /**
   * The newest page.decisionsShown decisions in `columns` (pagedRows); "Show more" asks for 500 more while the run has
   * more.
   */
  function renderDecisions(page, decisions, columns, refresh) {
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
    document
      .getElementById('decisions')
      .replaceChildren(
        h('p', { class: 'muted' }, `${decisions.items.length} of ${decisions.total} decisions, newest first`),
        D.table(decisions.items, columns, null, { id: 'decisions-table' }),
        ...(more ? [more] : []),
      );
  }

  /** The fills table (#fills-table), newest first; with `byMarket` (a portfolio run) each fill names its market. */
  function fillsTable(items, byMarket) {
    return D.table(
      items,
      [
        ['time', (f) => D.time(f.ts)],
        ...(byMarket ? [['market', (f) => f.market]] : []),
        ['side', (f) => (f.side === 'buy' ? '▲ buy' : '▼ sell')],
        ['price', (f) => D.num(f.price)],
        ['units', (f) => D.num(f.units, 8)],
        ['value', (f) => D.num(f.value, 0)],
        ['fee', (f) => D.num(f.fee)],
      ],
      null,
      { id: 'fills-table' },
    );
  }

  /** The orders table (#orders-table), newest first, each amount with its unit; `byMarket` as for fillsTable. */
  function ordersTable(items, byMarket) {
    return D.table(
      items,
      [
        ['id', (o) => o.id],
        ['decided', (o) => D.time(o.decisionTs)],
        ...(byMarket ? [['market', (o) => o.market]] : []),
        ['side', (o) => o.side],
        ['amount', (o) => orderAmount(o.side, o.status, o.quantity, o.market)],
        ['status', (o) => o.status],
        ['reason', (o) => o.reason],
      ],
      null,
      { id: 'orders-table' },
    );
  }

  /**
   * The halt, pause and data-fault banners (words and symbols, not only colour) and which control buttons apply. A
   * data fault (bot status's NO DECISIONS line): the run's ticks fail on fetched candles off the stored grid.
   */
  function renderBanner(r) {
    const banner = document.getElementById('banner');
    banner.replaceChildren(
      ...(r.halted
        ? [h('div', { class: 'banner halt', id: 'halt-banner', role: 'alert' }, '■ HALTED: ' + r.halted)]
        : []),
      ...(r.paused
        ? [h('div', { class: 'banner pause', id: 'pause-banner', role: 'status' }, '❚❚ PAUSED: ' + r.paused)]
        : []),
      ...(r.dataFault
        ? [
            h(
              'div',
              { class: 'banner pause', id: 'fault-banner', role: 'alert' },
              `⚠ NO DECISIONS since ${r.dataFault.since}, each tick looks again: ${r.dataFault.message}`,
            ),
          ]
        : []),
    );
    document.getElementById('btn-pause').disabled = !!r.paused;
    document.getElementById('btn-resume').disabled = !r.paused;
    document.getElementById('btn-clear').disabled = !r.halted;
    document.getElementById('btn-halt').disabled = !!r.halted;
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

  D.runParts = {
    sec,
    chartOptions,
    headBoxes,
    stat,
    renderHead,
    followEvents,
    buildControls,
    addCandleChart,
    addEquityChart,
    showCandles,
    showEquity,
    pagedRows,
    orderAmount,
    settle,
    panel,
    renderDecisions,
    fillsTable,
    ordersTable,
    renderBanner,
    renderCommands,
  };
})(window.Dash);
