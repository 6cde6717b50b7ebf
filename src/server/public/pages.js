// The overview, backtests (list, report, comparison), models and logs pages of the dashboard.
'use strict';
(function (D) {
  const { h } = D;

  D.pages = D.pages || {};

  D.pages.overview = async function (root) {
    const { runs } = await D.api('/runs');
    root.replaceChildren(h('h1', {}, 'Runs'));
    if (runs.length === 0) {
      root.append(h('p', { class: 'muted' }, 'No paper or live run in this database yet (start one with bot paper).'));
      return;
    }
    // as bot status has it (src/trading/status.ts): `running` is whether a process holds the run's lock with a live
    // heartbeat; a run without one trades nothing, whatever its last state was
    const status = (r) =>
      r.ended
        ? 'ENDED'
        : r.halted
          ? 'HALTED'
          : !r.running
            ? 'not running' + (r.paused ? ' · PAUSED' : '')
            : r.paused
              ? 'PAUSED'
              : r.dataFault
                ? 'NO DECISIONS'
                : 'trading';
    root.append(
      D.table(
        runs,
        [
          ['run', (r) => `${r.mode} ${r.name}`],
          ['status', (r) => h('span', { class: 'badge ' + (r.halted ? 'neg' : r.running ? '' : 'muted') }, status(r))],
          ['market', (r) => `${r.exchange} ${r.symbol} ${r.timeframe}`],
          ['policy', (r) => r.policy + (r.modelVersion ? ' @ ' + r.modelVersion : '')],
          ['equity', (r) => h('span', {}, D.spark(r.spark), ' ', D.num(r.equity, 0))],
          ['P&L', (r) => h('span', { class: D.signClass(r.pnl) }, D.pct(r.pnl))],
          ['buy & hold', (r) => h('span', { class: D.signClass(r.buyHoldPnl) }, D.pct(r.buyHoldPnl))],
          [
            'position',
            (r) =>
              r.positions
                ? r.positions.map((p) => `${p.market} ${D.pct(p.weight)}`).join(' · ')
                : `${D.num(r.units, 6)} units`,
          ],
          [
            'last decision',
            (r) => {
              const d = r.lastDecisions[r.lastDecisions.length - 1];
              return d ? `${d.candle.slice(0, 16)} ${d.action}` : '—';
            },
          ],
          ['next tick', D.nextTick],
        ],
        (r) => (location.hash = '#/run/' + r.id),
        { id: 'runs-table' },
      ),
    );
  };

  const METRICS = ['totalReturn', 'annualReturn', 'sharpe', 'sortino', 'maxDrawdown', 'winRate', 'trades'];
  // win rate of a run without sells (buy & hold, flat) measured nothing: a dash, as bot backtest's table shows it
  const PER_SELL = ['winRate', 'profitFactor', 'expectancy'];
  const metric = (m, k) => {
    const v = m ? (PER_SELL.includes(k) && m.sells === 0 ? undefined : m[k]) : undefined;
    if (typeof v !== 'number') return v === undefined ? '—' : String(v);
    return /Return|Drawdown|winRate/.test(k) ? D.pct(v) : D.num(v, 3);
  };

  D.pages.backtests = async function (root) {
    const { backtests, unreadable } = await D.api('/backtests');
    root.replaceChildren(h('h1', {}, 'Backtests'));
    // a report.json that cannot be read is named with its problem instead of failing the list
    for (const u of unreadable)
      root.append(h('p', { class: 'muted' }, `${u.id}: report.json is ${u.problem.split(' (')[0]} (not listed)`));
    if (backtests.length === 0) {
      root.append(h('p', { class: 'muted' }, 'No backtest reports yet (run bot backtest).'));
      return;
    }
    const picked = new Set();
    const compare = h(
      'button',
      {
        type: 'button',
        id: 'compare',
        disabled: true,
        onclick: () => (location.hash = '#/compare/' + [...picked].join(',')),
      },
      'Compare selected',
    );
    root.append(
      h('div', { class: 'controls' }, compare),
      D.table(
        backtests,
        [
          [
            '',
            // a sweep is compared by its winner's mean test figures (see figuresOf)
            (b) =>
              h('input', {
                type: 'checkbox',
                'aria-label': 'compare ' + b.id,
                onclick: (e) => {
                  e.stopPropagation();
                  if (e.target.checked) picked.add(b.id);
                  else picked.delete(b.id);
                  compare.disabled = picked.size < 2;
                },
              }),
          ],
          ['run', (b) => b.id],
          ['strategy', (b) => b.strategy],
          ['market', (b) => b.market],
          [
            'span',
            (b) => `${b.from.slice(0, 10)} … ${b.to.slice(0, 10)}${b.notOutOfSample ? ' (NOT out of sample)' : ''}`,
          ],
          ['return', (b) => h('span', { class: D.signClass(b.metrics.totalReturn) }, metric(b.metrics, 'totalReturn'))],
          ['buy & hold', (b) => metric(b.buyHold, 'totalReturn')],
          ['sharpe', (b) => metric(b.metrics, 'sharpe')],
          ['max DD', (b) => metric(b.metrics, 'maxDrawdown')],
          // null: a portfolio's trades.csv too large to read whole
          ['trades', (b) => b.trades ?? '—'],
        ],
        (b) => (location.hash = '#/backtest/' + encodeURIComponent(b.id)),
        { id: 'backtests-table' },
      ),
    );
  };

  const SWEEP_SCHEMA = 'bot-sweep-report/1';

  /** A report folder's picture under its heading (fetched with the token; left out when it cannot be read). */
  const picture = function (root, id, file, title, alt) {
    const img = h('img', { class: 'report', alt });
    root.append(h('h2', {}, title), img);
    D.fileUrl(`/backtests/${encodeURIComponent(id)}/files/${file}`)
      .then((u) => (img.src = u))
      .catch(() => img.remove());
  };

  /** A `bot sweep` report: its verdict, leaderboard and pictures; the whole report is its report.html. */
  const sweepPage = function (root, id, report, files) {
    root.replaceChildren(
      h('h1', {}, `sweep ${report.name}`),
      h('p', { class: 'muted' }, `${report.strategy} on ${report.markets.map((m) => m.label).join(', ')}`),
      ...report.verdict.map((v) => h('p', {}, v)),
    );
    const open = h('button', { type: 'button' }, 'Open report.html');
    open.onclick = () =>
      D.fileUrl(`/backtests/${encodeURIComponent(id)}/files/${report.files.html}`).then((u) => window.open(u));
    if (files.includes(report.files.html)) root.append(h('div', { class: 'controls' }, open));
    root.append(
      h('h2', {}, 'Leaderboard (validation)'),
      D.table(report.leaderboard, [
        ['rank', (c) => c.rank],
        ['configuration', (c) => c.label],
        ['runs', (c) => c.runs],
        ['score', (c) => D.num(c.score, 3)],
      ]),
    );
    for (const f of files.filter((f) => f.endsWith('.png'))) picture(root, id, f, f, f);
  };

  D.pages.backtest = async function (root, id) {
    const { report, files } = await D.api('/backtests/' + encodeURIComponent(id));
    if (report.schema === D.PORTFOLIO_SCHEMA) return D.pages.portfolioBacktest(root, id, report);
    if (report.schema === SWEEP_SCHEMA) return sweepPage(root, id, report, files);
    root.replaceChildren(
      h('h1', {}, report.title),
      h(
        'p',
        { class: 'muted' },
        `${report.data.label} · ${report.data.from} … ${report.data.to} · ${report.data.candles} candles`,
      ),
    );
    const cols = [
      ['metric', (k) => k],
      ['strategy', (k) => metric(report.metrics, k)],
    ];
    for (const [name, b] of Object.entries(report.baselines)) cols.push([name, (k) => metric(b.metrics, k)]);
    root.append(h('h2', {}, 'Metrics against every baseline'), D.table(METRICS, cols, null, { id: 'metrics-table' }));
    if (files.includes(report.files.png)) picture(root, id, report.files.png, 'Equity', 'equity curve of ' + id);
    for (const f of files.filter((f) => f.endsWith('.png') && f !== report.files.png)) picture(root, id, f, f, f);
    await D.backtestTrades(root, id);
    for (const s of report.extra && report.extra.agent && report.extra.agent.runs ? [report.extra.agent] : []) {
      root.append(
        h('h2', {}, 'Training runs'),
        D.table(s.runs, [
          ['fold', (r) => r.fold],
          ['seed', (r) => r.seed],
          ['best epoch', (r) => r.bestEpoch],
          ['best val. sharpe', (r) => D.num(r.bestValidationSharpe, 3)],
          ['seconds', (r) => D.num(r.seconds, 1)],
        ]),
      );
    }
  };

  const TRADE_ROWS = 200;

  /** Why a run's trades are not in a table, and its trades.csv to download whole (its file route streams it). */
  const tradesNotShown = function (root, id, e) {
    const file = h('button', { type: 'button', id: 'trades-file' }, 'Download trades.csv');
    file.onclick = () =>
      D.fileUrl(`/backtests/${encodeURIComponent(id)}/files/trades.csv`).then((u) =>
        h('a', { href: u, download: `${id}-trades.csv` }).click(),
      );
    root.append(
      h('h2', {}, 'Trades'),
      h('p', { class: 'error', id: 'trades-error' }, `Trades not shown: ${e.message}`),
      h('div', { class: 'controls' }, file),
    );
  };

  /**
   * The run's trades.csv as a table, whatever its columns (a portfolio's name the market): the last 200 rows, said in
   * the heading (a cut without a word read as the whole list); numbers formatted as the rest of the page.
   */
  D.backtestTrades = async function (root, id) {
    let trades;
    try {
      ({ trades } = await D.api(`/backtests/${encodeURIComponent(id)}/trades`));
    } catch (e) {
      // 404: a run without trades; anything else (a trades.csv over the size read whole: 413) is said, not hidden
      if (e.status !== 404) tradesNotShown(root, id, e);
      return;
    }
    if (!trades.length) return;
    const keys = Object.keys(trades[0]);
    const n = trades.length;
    root.append(
      h('h2', {}, n > TRADE_ROWS ? `Trades (last ${TRADE_ROWS} of ${n})` : `Trades (${n})`),
      D.table(
        trades.slice(-TRADE_ROWS),
        keys.map((k) => [k, (t) => (typeof t[k] === 'number' ? D.num(t[k]) : t[k])]),
        null,
        { id: 'trades-table' },
      ),
    );
  };

  // a portfolio report keeps its figures in `summary` and its buy-and-hold among `baselines` (named as
  // EQUAL_WEIGHTS_HELD in src/backtest/portfolio-report.ts); a sweep, which has no run of its own, its winner's mean
  // over the test windows after every validation candle (cleanTest: every fold's mean counts windows the ranking saw)
  // and buy-and-hold's over the same windows, as the list, the console and the verdict
  const isSweep = (r) => r.schema === SWEEP_SCHEMA;
  const figuresOf = (r) =>
    r.schema === D.PORTFOLIO_SCHEMA
      ? r.summary
      : isSweep(r)
        ? r.winner && r.winner.cleanTest && r.winner.cleanTest.mean
        : r.metrics;
  const buyHoldOf = (r) =>
    r.schema === D.PORTFOLIO_SCHEMA
      ? r.baselines.find((b) => b.name === 'equal weights bought and held')
      : isSweep(r)
        ? r.baselines.buy_and_hold.cleanTest && r.baselines.buy_and_hold.cleanTest.mean
        : r.baselines.buy_and_hold && r.baselines.buy_and_hold.metrics;
  const SWEEP_MEAN = 'mean of test windows after every validation candle';
  /** A column's name: the id as picked; a sweep's says whose figures they are. */
  const columnOf = (id, r) =>
    isSweep(r) ? `${id} (${r.winner ? 'winner ' + r.winner.label : 'no winner'}, ${SWEEP_MEAN})` : id;

  D.pages.compare = async function (root, ids) {
    const list = ids.split(',').filter(Boolean);
    const reports = await Promise.all(
      list.map((id) => D.api('/backtests/' + encodeURIComponent(id)).then((r) => r.report)),
    );
    root.replaceChildren(h('h1', {}, 'Compare ' + list.join(' · ')));
    const cols = [['metric', (k) => k]];
    reports.forEach((r, i) => cols.push([columnOf(list[i], r), (k) => metric(figuresOf(r), k)]));
    const hold = isSweep(reports[0]) ? `buy & hold (first, ${SWEEP_MEAN})` : 'buy & hold (first)';
    cols.push([hold, (k) => metric(buyHoldOf(reports[0]), k)]);
    root.append(D.table(METRICS, cols, null, { id: 'compare-table' }));
    // equity at each trade (cash + units × price) from trades.csv, one line per run on one chart
    const box = h('div', { class: 'chart small', id: 'compare-chart' });
    root.append(h('h2', {}, 'Equity at each trade'), box);
    const chart = LightweightCharts.createChart(box, { autoSize: true, layout: { attributionLogo: false } });
    const styles = [0, 2, 1, 3];
    for (const [i, id] of list.entries()) {
      if (isSweep(reports[i])) {
        root.append(h('p', { class: 'muted' }, `${id}: no line (a sweep's figures are means over test windows)`));
        continue;
      }
      // a portfolio's trades.csv has no cash column: its report holds the value at every clock time
      const pts = reports[i].schema === D.PORTFOLIO_SCHEMA ? D.portfolioEquity(reports[i]) : await equityAtTrades(id);
      const series = chart.addSeries(LightweightCharts.LineSeries, {
        title: id,
        lineStyle: styles[i % 4],
        lineWidth: 2,
      });
      series.setData(dedupe(pts));
    }
    chart.timeScale().fitContent();
  };

  async function equityAtTrades(id) {
    const { trades } = await D.api(`/backtests/${encodeURIComponent(id)}/trades`).catch(() => ({ trades: [] }));
    return trades
      .filter((t) => typeof t.cash === 'number')
      .map((t) => ({ time: Math.floor(Date.parse(t.time) / 1000), value: t.cash + t.units_after * t.price }));
  }

  /** Chart data wants strictly increasing times: keep the last point of each second. */
  function dedupe(points) {
    const out = [];
    for (const p of points) {
      if (out.length && out[out.length - 1].time >= p.time)
        out[out.length - 1] = { ...p, time: out[out.length - 1].time };
      else out.push(p);
    }
    return out;
  }
  D.dedupe = dedupe;

  /**
   * A model version's meta.json metrics in a line. bot backtest saves `{ test: <metrics>, validationSharpe, symbol,
   * timeframe, exchange }` (src/backtest/agent-backtest.ts), a retrain `{ validation: <metrics>, … }`
   * (src/trading/train-challenger.ts), a portfolio retrain `{ holdout: <metrics>, … }` (its judging window,
   * src/trading/portfolio-retrain.ts): the measured set's return, Sharpe, drawdown and trades, then the validation
   * Sharpe; a flat map of numbers (an older home) as it is. The nested set was shown as "test NaN".
   */
  function modelMetrics(m) {
    if (!m) return '—';
    const parts = [];
    for (const set of ['test', 'validation', 'holdout']) {
      const x = m[set];
      if (!x || typeof x !== 'object') continue;
      parts.push(
        `${set}: return ${D.pct(x.totalReturn)}, Sharpe ${D.num(x.sharpe, 3)}, max DD ${D.pct(x.maxDrawdown)}, ` +
          `${D.num(x.trades, 0)} trades`,
      );
    }
    if (typeof m.validationSharpe === 'number') parts.push(`validation Sharpe ${D.num(m.validationSharpe, 3)}`);
    if (parts.length === 0)
      for (const [k, x] of Object.entries(m))
        if (typeof x === 'number' && parts.length < 4) parts.push(`${k} ${D.num(x, 3)}`);
    return parts.length ? parts.join(' · ') : '—';
  }

  // meta.json without measured figures: a portfolio model saved before bot backtest recorded its test set, or a
  // portfolio retrain's challenger saved before it recorded its holdout (its scores are in the retrain history below)
  const NO_METRICS =
    'meta.json holds no metrics: a portfolio model saved before bot backtest recorded its test set ' +
    "(run it again to have them), or an older portfolio retrain's challenger (see the retrain history)";
  const metricsCell = (m) => {
    const text = modelMetrics(m);
    return text === '—' ? h('span', { class: 'muted', title: NO_METRICS }, '— (none recorded)') : text;
  };

  const noVersion = (v) => `no such version in this home (no versions/${v}/meta.json)`;

  D.pages.models = async function (root) {
    const [{ models, unreadable }, { retrains }] = await Promise.all([D.api('/models'), D.api('/retrains?limit=100')]);
    root.replaceChildren(h('h1', {}, 'Models'));
    // a model home whose CURRENT is too large to read, or whose versions is not a folder, is named with its problem
    // instead of failing the list (a version whose meta.json is not read is listed in its home, with why)
    for (const u of unreadable) root.append(h('p', { class: 'muted' }, `${u.name}: ${u.problem} (not listed)`));
    if (models.length === 0) root.append(h('p', { class: 'muted' }, 'No saved models yet.'));
    for (const m of models) {
      root.append(
        h(
          'div',
          { class: 'card' },
          h('h2', {}, `${m.name} — serving ${m.current || '—'}`),
          // CURRENT naming a version the home does not hold (a typo, a removed folder): said, not shown as served
          ...(m.current && !m.versions.some((v) => v.version === m.current)
            ? [h('p', { class: 'error', role: 'alert' }, `⚠ CURRENT names ${m.current}: ${noVersion(m.current)}`)]
            : []),
          D.table(m.versions, [
            ['version', (v) => v.version + (v.version === m.current ? ' (CURRENT)' : '')],
            ['created', (v) => (v.unreadable ? `not read: ${v.unreadable}` : v.createdAt)],
            ['metrics', (v) => metricsCell(v.metrics)],
          ]),
        ),
      );
    }
    root.append(h('h2', {}, 'Retrains and promotions'));
    root.append(
      D.table(
        retrains,
        [
          ['started', (r) => D.time(r.startedAt)],
          ['model', (r) => r.modelDir.split('/').pop()],
          ['outcome', retrainOutcome],
          ['champion', (r) => `${r.championVersion || '—'} ${D.pct(r.championScore)}`],
          ['challenger', (r) => `${r.challengerVersion || '—'} ${D.pct(r.challengerScore)}`],
          ['baseline', retrainBaseline],
          ['holdout', retrainHoldout],
          ['judged at', (r) => r.costs || '—'],
          ['run by', (r) => (r.scheduled ? 'schedule' : 'hand') + (r.retryHoldout ? ' --retry-holdout' : '')],
          ['reason', (r) => r.reason],
        ],
        undefined,
        { id: 'retrains-table' },
      ),
    );
  };

  // the baseline's score named by what it measured (the row's `baseline`, trading schema 18): a portfolio retrain's
  // is equal weights, which the column's "buy & hold" misnamed (audit, session 38)
  const retrainBaseline = (r) => (r.baseline ? `${r.baseline} ` : '') + D.pct(r.buyHoldScore);

  // a row closed by the next retrain (or the trader) after its process was killed (src/trading/killed-retrains.ts)
  const retrainOutcome = (r) =>
    r.killed ? `${r.outcome} (${r.outcome === 'promoted' ? 'its process killed right after' : 'killed'})` : r.outcome;

  // the holdout judged on, this challenger's place among those judged on it, and from when a refused winner's home
  // is free of the earlier trials (src/trading/holdout-trials.ts)
  const retrainHoldout = (r) => {
    if (r.holdoutFrom === null || r.holdoutFrom === undefined) return '—';
    const trial = r.holdoutTrial ? `, challenger ${r.holdoutTrial} on it` : '';
    const free = r.freeFrom ? `; free of its trials from ${D.time(r.freeFrom)}` : '';
    return `${D.time(r.holdoutFrom)} … ${D.time(r.holdoutTo)}${trial}${free}`;
  };

  D.pages.logs = async function (root, level) {
    const lvl = level || 'info';
    const { entries } = await D.api('/logs?limit=300&level=' + lvl);
    const pick = h(
      'select',
      { 'aria-label': 'level', onchange: (e) => (location.hash = '#/logs/' + e.target.value) },
      ['error', 'warn', 'info', 'debug'].map((l) => h('option', { value: l, selected: l === lvl }, l)),
    );
    root.replaceChildren(
      h('h1', {}, 'Log'),
      pick,
      D.table(entries.slice().reverse(), [
        ['time', (e) => String(e.timestamp || '').slice(0, 19)],
        ['level', (e) => e.level],
        ['message', (e) => e.message],
      ]),
    );
  };
})(window.Dash);
