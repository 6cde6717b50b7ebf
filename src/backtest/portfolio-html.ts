/**
 * The HTML page of a portfolio run (issue 14): the strategy beside its baselines, the value over time, each market's
 * weight over time as a stacked area (cash on top), and per market its contribution to P/L, turnover, fees and tax.
 * Self-contained (inline SVG, no script), written next to report.json.
 */
import { portfolioNotes, turnoverLabel, type PortfolioReport } from './portfolio-report.ts';

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const W = 900;
const H = 260;

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const money = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** Every k-th point, so a long run draws at most ~W points per series. */
function stride(n: number): number {
  return Math.max(1, Math.ceil(n / W));
}

/** Stacked areas of weights[m][t] (and cash = 1 − Σ) over t, as SVG polygons. */
function weightsSvg(r: PortfolioReport): string {
  const { weights, symbols } = r.portfolio;
  const n = weights[0]?.length ?? 0;
  if (n < 2) return '<p>too few candle times to draw</p>';
  const k = stride(n);
  const idx: number[] = [];
  for (let t = 0; t < n; t += k) idx.push(t);
  if (idx[idx.length - 1] !== n - 1) idx.push(n - 1);
  const x = (t: number) => ((t / (n - 1)) * W).toFixed(1);
  const y = (v: number) => (H - Math.min(1, Math.max(0, v)) * H).toFixed(1);
  const lower = idx.map(() => 0);
  const layers: string[] = [];
  const names = [...symbols, 'cash'];
  names.forEach((name, m) => {
    const upper = idx.map((t, j) => (m < symbols.length ? lower[j] + weights[m][t] : 1));
    const top = idx.map((t, j) => `${x(t)},${y(upper[j])}`);
    const bottom = idx.map((t, j) => `${x(t)},${y(lower[j])}`).reverse();
    const fill = m < symbols.length ? COLOURS[m % COLOURS.length] : '#dddddd';
    layers.push(
      `<polygon points="${[...top, ...bottom].join(' ')}" fill="${fill}"><title>${esc(name)}</title></polygon>`,
    );
    upper.forEach((v, j) => (lower[j] = v));
  });
  const legend = names
    .map((s, m) => {
      const c = m < symbols.length ? COLOURS[m % COLOURS.length] : '#dddddd';
      return `<span style="background:${c}">&nbsp;&nbsp;&nbsp;</span> ${esc(s)}`;
    })
    .join(' &nbsp; ');
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="weights over time">${layers.join('')}</svg>
<p>${legend}</p>`;
}

/** The value at each close as a line. */
function equitySvg(r: PortfolioReport): string {
  const eq = r.portfolio.equity;
  const n = eq.length;
  if (n < 2) return '';
  const k = stride(n);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of eq) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const span = hi - lo || 1;
  const pts: string[] = [];
  for (let t = 0; t < n; t += k)
    pts.push(`${((t / (n - 1)) * W).toFixed(1)},${(H - ((eq[t] - lo) / span) * H).toFixed(1)}`);
  pts.push(`${W},${(H - ((eq[n - 1] - lo) / span) * H).toFixed(1)}`);
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="value over time">
<polyline points="${pts.join(' ')}" fill="none" stroke="#333" stroke-width="1.5"/></svg>
<p>value from ${money(eq[0])} to ${money(eq[n - 1])} (low ${money(lo)}, high ${money(hi)})</p>`;
}

export function portfolioHtml(r: PortfolioReport): string {
  const turnover = turnoverLabel(r.portfolio.symbols);
  const row = (name: string, s: PortfolioReport['summary']) =>
    `<tr><td>${esc(name)}</td><td>${pct(s.totalReturn)}</td><td>${pct(s.maxDrawdown)}</td>` +
    `<td>${s.sharpe.toFixed(2)}</td><td>${money(s.feesPaid)}</td><td>${money(s.turnover)}</td></tr>`;
  // the seeds' and the random weights' rows as the console prints them: mean ± sd, then the mean fees+tax and turnover
  const spread = (name: string, { mean, sd }: PortfolioReport['randomWeights']) =>
    `<tr><td>${esc(name)}</td><td>${pct(mean.totalReturn)} ± ${pct(sd.totalReturn)}</td>` +
    `<td>${pct(mean.maxDrawdown)} ± ${pct(sd.maxDrawdown)}</td>` +
    `<td>${mean.sharpe.toFixed(2)} ± ${sd.sharpe.toFixed(2)}</td><td>${money(mean.feesPaid)}</td>` +
    `<td>${money(mean.turnover)}</td></tr>`;
  const rw = r.randomWeights;
  const seeds = r.seeds ? spread(`${r.summary.name} (${r.seeds.seeds} seeds, mean ± sd)`, r.seeds) : '';
  const markets = r.portfolio.markets
    .map(
      (m) =>
        `<tr><td>${esc(m.symbol)}</td><td>${money(m.contribution)}</td><td>${money(m.turnover)}</td>` +
        `<td>${money(m.feesPaid)}</td><td>${money(m.taxPaid)}</td>` +
        `<td>${Object.values(m.rejected).reduce((a, b) => a + b, 0)}</td>` +
        `<td>${m.waited}</td><td>${m.missing}</td></tr>`,
    )
    .join('\n');
  const sources = [
    ...r.data.series.map((s) => `<li>${esc(s.symbol)}: ${esc(s.label)}</li>`),
    ...(r.data.informative ?? []).map((s) => `<li>${esc(s.symbol)} (informative, not traded): ${esc(s.label)}</li>`),
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.runId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>
<h1>${esc(r.strategy)} — ${esc(r.portfolio.symbols.join(', '))}</h1>
<p>${esc(r.data.timeline)}</p><ul>${sources}</ul>
<h2>Results</h2>
<table><tr><th>run</th><th>return</th><th>max drawdown</th><th>sharpe</th><th>fees+tax</th>
<th>${esc(turnover)}</th></tr>
${row(r.summary.name, r.summary)}
${seeds}
${r.baselines.map((b) => row(b.name, b)).join('\n')}
${spread(`random weights (${rw.seeds} seeds, mean ± sd)`, rw)}</table>
${portfolioNotes(r)
  .map((n) => `<p class="note">${esc(n)}</p>`)
  .join('')}
<h2>Value</h2>${equitySvg(r)}
<h2>Weights over time</h2>${weightsSvg(r)}
<h2>Per market (${esc(r.strategy)})</h2>
<table><tr><th>market</th><th>contribution to P/L</th><th>${esc(turnover)}</th><th>fees</th><th>tax</th>
<th>rejected</th>
<th>waited</th><th>missing candles</th></tr>
${markets}</table>
</body></html>
`;
}
