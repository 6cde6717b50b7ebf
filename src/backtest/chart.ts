/** The backtest report's equity picture: price with buy/sell marks, portfolio value against a benchmark, drawdown. */
import sharp from 'sharp';
import type { Trade } from '../market/backtest-engine.ts';

interface EquityChartInput {
  title: string;
  timestamps: Float64Array;
  close: Float64Array;
  equity: Float64Array;
  benchmark: Float64Array;
  benchmarkLabel: string;
  trades: readonly Trade[];
  /** Candle index of timestamps[0] in the series the trades index into. */
  offset: number;
}

const WIDTH = 1200;
const HEIGHT = 900;
const LEFT = 90;
const RIGHT = 20;
const MAX_MARKERS = 4000;

interface Panel {
  top: number;
  height: number;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  return v.toPrecision(4);
}

/** A polyline of a series scaled into a panel; long series keep each pixel column's min and max. */
function path(values: Float64Array, lo: number, hi: number, panel: Panel): string {
  const n = values.length;
  const w = WIDTH - LEFT - RIGHT;
  const y = (v: number) => panel.top + panel.height - ((v - lo) / (hi - lo || 1)) * panel.height;
  const x = (i: number) => LEFT + (n > 1 ? (i / (n - 1)) * w : 0);
  const pts: string[] = [];
  if (n <= w * 2) {
    for (let i = 0; i < n; i++) pts.push(`${x(i).toFixed(1)},${y(values[i]).toFixed(1)}`);
  } else {
    const per = n / w;
    for (let c = 0; c < w; c++) {
      const a = Math.floor(c * per);
      const b = Math.min(n, Math.floor((c + 1) * per));
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = a; i < b; i++) {
        if (values[i] < mn) mn = values[i];
        if (values[i] > mx) mx = values[i];
      }
      const px = (LEFT + c).toFixed(1);
      pts.push(`${px},${y(mn).toFixed(1)}`, `${px},${y(mx).toFixed(1)}`);
    }
  }
  return pts.join(' ');
}

function range(...series: Float64Array[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (let i = 0; i < s.length; i++) {
      if (s[i] < lo) lo = s[i];
      if (s[i] > hi) hi = s[i];
    }
  if (!Number.isFinite(lo)) return [0, 1];
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.01 || 1;
  return [lo - pad, hi + pad];
}

function frame(panel: Panel, title: string, lo: number, hi: number, pct = false): string {
  const w = WIDTH - LEFT - RIGHT;
  const label = (v: number) => (pct ? `${(v * 100).toFixed(1)}%` : fmt(v));
  const ticks = [0, 0.5, 1].map((f) => {
    const v = lo + (hi - lo) * f;
    const y = panel.top + panel.height - f * panel.height;
    return (
      `<line x1="${LEFT}" x2="${LEFT + w}" y1="${y}" y2="${y}" stroke="#e5e5e5"/><text ` +
      `x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="12" fill="#555">${label(v)}</text>`
    );
  });
  return (
    `<rect x="${LEFT}" y="${panel.top}" width="${w}" height="${panel.height}" fill="none" ` +
    `stroke="#bbb"/>${ticks.join('')}<text x="${LEFT + 4}" y="${panel.top - 6}" ` +
    `font-size="14" fill="#222">${escapeXml(title)}</text>`
  );
}

function drawdown(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let peak = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > peak) peak = values[i];
    out[i] = peak > 0 ? values[i] / peak - 1 : 0;
  }
  return out;
}

/** SVG of price with buy/sell marks, portfolio value vs a benchmark, and drawdown. */
function equitySvg(c: EquityChartInput): string {
  const price: Panel = { top: 60, height: 300 };
  const value: Panel = { top: 410, height: 260 };
  const dd: Panel = { top: 720, height: 130 };
  const n = c.close.length;
  const w = WIDTH - LEFT - RIGHT;
  const x = (i: number) => LEFT + (n > 1 ? (i / (n - 1)) * w : 0);
  const [plo, phi] = range(c.close);
  const [vlo, vhi] = range(c.equity, c.benchmark);
  const ddS = drawdown(c.equity);
  const ddB = drawdown(c.benchmark);
  const [dlo] = range(ddS, ddB);
  const yPrice = (v: number) => price.top + price.height - ((v - plo) / (phi - plo || 1)) * price.height;
  const markers: string[] = [];
  const step = Math.max(1, Math.ceil(c.trades.length / MAX_MARKERS));
  for (let k = 0; k < c.trades.length; k += step) {
    const t = c.trades[k];
    const i = t.index - c.offset;
    if (i < 0 || i >= n) continue;
    const px = x(i);
    const py = yPrice(t.price);
    markers.push(
      t.side === 'buy'
        ? `<path d="M${px.toFixed(1)},${(py + 4).toFixed(1)} l-5,9 h10 z" fill="#16a34a"/>`
        : `<path d="M${px.toFixed(1)},${(py - 4).toFixed(1)} l-5,-9 h10 z" fill="#dc2626"/>`,
    );
  }
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const xLabels =
    n > 0
      ? [0, Math.floor((n - 1) / 2), n - 1]
          .map(
            (i, k) =>
              `<text x="${x(i)}" y="${HEIGHT - 22}" text-anchor="${['start', 'middle', 'end'][k]}" ` +
              `font-size="12" fill="#555">${date(c.timestamps[i])}</text>`,
          )
          .join('')
      : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" ` +
    `height="${HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${LEFT}" y="30" font-size="18" fill="#111">${escapeXml(c.title)}</text>
${frame(price, 'price (close) — ▲ buy fills, ▼ sell fills', plo, phi)}
<polyline points="${path(c.close, plo, phi, price)}" fill="none" stroke="#334155" stroke-width="1.2"/>
${markers.join('\n')}
${frame(value, `portfolio value (blue) vs ${c.benchmarkLabel} (grey)`, vlo, vhi)}
<polyline points="${path(c.benchmark, vlo, vhi, value)}" fill="none" stroke="#9ca3af" stroke-width="1.4"/>
<polyline points="${path(c.equity, vlo, vhi, value)}" fill="none" stroke="#2563eb" stroke-width="1.6"/>
${frame(dd, 'drawdown from peak (red: strategy, grey: benchmark)', dlo, 0, true)}
<polyline points="${path(ddB, dlo, 0, dd)}" fill="none" stroke="#9ca3af" stroke-width="1"/>
<polyline points="${path(ddS, dlo, 0, dd)}" fill="none" stroke="#dc2626" stroke-width="1.4"/>
${xLabels}
</svg>`
  );
}

/** Renders the equity chart to a PNG file through sharp. */
export async function writeEquityPng(file: string, c: EquityChartInput): Promise<void> {
  await sharp(Buffer.from(equitySvg(c)))
    .png()
    .toFile(file);
}
