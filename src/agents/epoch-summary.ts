/** Training pictures: RLTrader's epoch summary and the learning curves, as SVG rendered to PNG. */
import sharp from 'sharp';
import type { Candles } from '../core/candles.ts';
import type { EpochTrace } from './learners/epoch-trace.ts';

/**
 * RLTrader's epoch-summary picture (its visualizer.plot), drawn as SVG and rendered to PNG through sharp:
 * 1 candles and volume, 2 actions (background) and units held, 3 value-head outputs, 4 policy-head outputs with
 * exploration marks, 5 portfolio value against the starting value (green above, red below).
 */
const WIDTH = 1400;
const LEFT = 70;
const RIGHT = 20;
const PANEL = 150;
const GAP = 34;
const TOP = 50;
const ACTION_COLOURS = ['#ef4444', '#3b82f6', '#d1d5db'];
const LINE_COLOURS = ['#dc2626', '#2563eb', '#6b7280'];
const MAX_POINTS = 1200;

interface EpochSummaryInput {
  title: string;
  candles: Candles;
  trace: EpochTrace;
  initialValue: number;
  /** Width of the policy rows: 3 action probabilities, or 1–2 for a continuous position (first = mean). */
  policyLabels?: string[];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function epochSummarySvg(input: EpochSummaryInput): string {
  const { candles, trace } = input;
  const n = trace.length;
  const w = WIDTH - LEFT - RIGHT;
  const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  if (n && idx[idx.length - 1] !== n - 1) idx.push(n - 1);
  const x = (i: number) => LEFT + (n > 1 ? (i / (n - 1)) * w : 0);
  const panels = 5;
  const height = TOP + panels * (PANEL + GAP) + 20;
  const top = (k: number) => TOP + k * (PANEL + GAP);
  const out: string[] = [];
  const frame = (k: number, label: string, lo: number, hi: number) => {
    const t = top(k);
    out.push(`<rect x="${LEFT}" y="${t}" width="${w}" height="${PANEL}" fill="none" stroke="#cbd5e1"/>`);
    out.push(`<text x="${LEFT}" y="${t - 6}" font-size="13" fill="#111">${esc(label)}</text>`);
    out.push(`<text x="${LEFT - 6}" y="${t + 10}" font-size="11" fill="#555" text-anchor="end">${fmt(hi)}</text>`);
    out.push(`<text x="${LEFT - 6}" y="${t + PANEL}" font-size="11" fill="#555" text-anchor="end">${fmt(lo)}</text>`);
  };
  const scaleY = (k: number, lo: number, hi: number) => (v: number) =>
    top(k) + PANEL - ((v - lo) / (hi - lo || 1)) * PANEL;
  const line = (k: number, get: (i: number) => number, lo: number, hi: number, colour: string, width = 1.2) => {
    const y = scaleY(k, lo, hi);
    const pts = idx.map((i) => `${x(i).toFixed(1)},${y(get(i)).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="${width}"/>`);
  };
  const bounds = (get: (i: number) => number): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = get(i);
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return lo <= hi ? [lo, hi] : [0, 1];
  };

  // 1 candles (high–low bars coloured by direction) and volume
  {
    const [lo, hi] = bounds((i) => candles.low[trace.t[i]]);
    const [, hi2] = bounds((i) => candles.high[trace.t[i]]);
    const y = scaleY(0, lo, hi2 > hi ? hi2 : hi);
    const [, vhi] = bounds((i) => candles.volume[trace.t[i]]);
    frame(0, 'candles and volume', lo, Math.max(hi, hi2));
    for (const i of idx) {
      const t = trace.t[i];
      const up = candles.close[t] >= candles.open[t];
      const vh = (candles.volume[t] / (vhi || 1)) * PANEL * 0.25;
      out.push(
        `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${(top(0) + PANEL).toFixed(1)}" ` +
          `y2="${(top(0) + PANEL - vh).toFixed(1)}" stroke="#cbd5e1"/>`,
      );
      out.push(
        `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${y(candles.high[t]).toFixed(1)}" ` +
          `y2="${y(candles.low[t]).toFixed(1)}" stroke="${up ? '#dc2626' : '#2563eb'}"/>`,
      );
    }
  }
  // 2 actions as background, units held as a line
  {
    const [lo, hi] = bounds((i) => trace.units[i]);
    frame(1, 'actions (red buy, blue sell, grey hold) and units held', Math.min(0, lo), hi);
    const bw = Math.max(1, w / Math.max(1, n));
    for (const i of idx)
      out.push(
        `<rect x="${x(i).toFixed(1)}" y="${top(1)}" width="${(bw * stride).toFixed(2)}" ` +
          `height="${PANEL}" fill="${ACTION_COLOURS[trace.action[i]] ?? '#fff'}" opacity="0.25"/>`,
      );
    line(1, (i) => trace.units[i], Math.min(0, lo), hi, '#111827', 1.4);
  }
  // 3 value outputs
  {
    const vw = trace.valueWidth;
    frame(
      2,
      vw ? `value outputs (${vw === 3 ? 'red buy, blue sell, grey hold' : 'state value'})` : 'value outputs (none)',
      0,
      1,
    );
    if (vw) {
      const [lo, hi] = bounds((i) => {
        let m = trace.value[i * vw];
        for (let j = 1; j < vw; j++) m = Math.max(m, trace.value[i * vw + j]);
        return m;
      });
      const [lo2] = bounds((i) => {
        let m = trace.value[i * vw];
        for (let j = 1; j < vw; j++) m = Math.min(m, trace.value[i * vw + j]);
        return m;
      });
      out.pop();
      out.pop();
      out.push(
        `<text x="${LEFT - 6}" y="${top(2) + 10}" font-size="11" fill="#555" text-anchor="end">${fmt(hi)}</text>`,
      );
      out.push(
        `<text x="${LEFT - 6}" y="${top(2) + PANEL}" font-size="11" ` +
          `fill="#555" text-anchor="end">${fmt(Math.min(lo, lo2))}</text>`,
      );
      for (let j = 0; j < vw; j++)
        line(2, (i) => trace.value[i * vw + j], Math.min(lo, lo2), hi, LINE_COLOURS[j] ?? '#000');
    }
  }
  // 4 policy outputs with exploration marks
  {
    const pw = trace.policyWidth;
    const labels = input.policyLabels ?? ['buy', 'sell', 'hold'];
    frame(
      3,
      pw
        ? `policy outputs (${labels.slice(0, pw).join(', ')}); yellow: exploration`
        : 'policy outputs (none); yellow: exploration',
      0,
      1,
    );
    for (let i = 0; i < n; i += stride) {
      let explored = false;
      for (let k = i; k < Math.min(n, i + stride); k++) if (trace.explored[k]) explored = true;
      if (explored)
        out.push(
          `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${top(3)}" ` +
            `y2="${top(3) + PANEL}" stroke="#facc15" opacity="0.5"/>`,
        );
    }
    for (let j = 0; j < pw; j++) line(3, (i) => trace.policy[i * pw + j], 0, 1, LINE_COLOURS[j] ?? '#000');
  }
  // 5 portfolio value against the start
  {
    const [lo, hi] = bounds((i) => trace.portfolioValue[i]);
    const l = Math.min(lo, input.initialValue);
    const h = Math.max(hi, input.initialValue);
    frame(4, `portfolio value vs start ${fmt(input.initialValue)}`, l, h);
    const y = scaleY(4, l, h);
    const base = y(input.initialValue);
    for (const i of idx) {
      const v = trace.portfolioValue[i];
      out.push(
        `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${base.toFixed(1)}" y2="${y(v).toFixed(1)}" ` +
          `stroke="${v >= input.initialValue ? '#16a34a' : '#dc2626'}" opacity="0.35"/>`,
      );
    }
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + w}" y1="${base.toFixed(1)}" ` +
        `y2="${base.toFixed(1)}" stroke="#111" stroke-dasharray="4 3"/>`,
    );
    line(4, (i) => trace.portfolioValue[i], l, h, '#111827', 1.4);
    for (const t of trace.learnedAt.length < 400 ? trace.learnedAt : []) {
      const i = t - (trace.t[0] ?? 0);
      if (i >= 0 && i < n)
        out.push(`<circle cx="${x(i).toFixed(1)}" cy="${(top(4) + PANEL - 3).toFixed(1)}" r="2" fill="#7c3aed"/>`);
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" ` +
    `height="${height}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${LEFT}" y="28" font-size="17" fill="#111">${esc(input.title)}</text>
${out.join('\n')}
</svg>`
  );
}

export async function writeEpochSummaryPng(file: string, input: EpochSummaryInput): Promise<void> {
  await sharp(Buffer.from(epochSummarySvg(input)))
    .png()
    .toFile(file);
}

export interface CurvePoint {
  epoch: number;
  portfolioValue: number;
  loss: number;
  validationSharpe?: number;
  epsilon: number;
}

/** Learning curves: training portfolio value, loss, validation Sharpe and ε per epoch, one panel each. */
function learningCurvesSvg(title: string, points: readonly CurvePoint[], bestEpoch: number): string {
  const w = 900 - LEFT - RIGHT;
  const ph = 130;
  const series: { label: string; get: (p: CurvePoint) => number | undefined; colour: string }[] = [
    { label: 'training portfolio value (end of epoch)', get: (p) => p.portfolioValue, colour: '#111827' },
    { label: 'loss (mean over updates)', get: (p) => p.loss, colour: '#dc2626' },
    { label: 'validation Sharpe (after costs); dashed: best epoch', get: (p) => p.validationSharpe, colour: '#2563eb' },
    { label: 'exploration ε', get: (p) => p.epsilon, colour: '#ca8a04' },
  ];
  const n = points.length;
  const x = (i: number) => LEFT + (n > 1 ? (i / (n - 1)) * w : w / 2);
  const out: string[] = [];
  series.forEach((s, k) => {
    const t = TOP + k * (ph + GAP);
    const vals = points.map(s.get).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const lo = vals.length ? Math.min(...vals) : 0;
    const hi = vals.length ? Math.max(...vals) : 1;
    const y = (v: number) => t + ph - ((v - lo) / (hi - lo || 1)) * ph;
    out.push(`<rect x="${LEFT}" y="${t}" width="${w}" height="${ph}" fill="none" stroke="#cbd5e1"/>`);
    out.push(`<text x="${LEFT}" y="${t - 6}" font-size="13" fill="#111">${esc(s.label)}</text>`);
    out.push(`<text x="${LEFT - 6}" y="${t + 10}" font-size="11" fill="#555" text-anchor="end">${fmt(hi)}</text>`);
    out.push(`<text x="${LEFT - 6}" y="${t + ph}" font-size="11" fill="#555" text-anchor="end">${fmt(lo)}</text>`);
    const pts = points
      .map((p, i) => [i, s.get(p)] as const)
      .filter(([, v]) => v !== undefined && Number.isFinite(v))
      .map(([i, v]) => `${x(i).toFixed(1)},${y(v as number).toFixed(1)}`);
    if (pts.length)
      out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="1.6"/>`);
    for (const pt of pts)
      out.push(`<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="2.5" fill="${s.colour}"/>`);
    const bi = points.findIndex((p) => p.epoch === bestEpoch);
    if (k === 2 && bi >= 0)
      out.push(`<line x1="${x(bi)}" x2="${x(bi)}" y1="${t}" y2="${t + ph}" stroke="#16a34a" stroke-dasharray="4 3"/>`);
  });
  const height = TOP + series.length * (ph + GAP) + 10;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="900" ` +
    `height="${height}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${LEFT}" y="28" font-size="17" fill="#111">${esc(title)}</text>
${out.join('\n')}
</svg>`
  );
}

export async function writeLearningCurvesPng(
  file: string,
  title: string,
  points: readonly CurvePoint[],
  bestEpoch: number,
): Promise<void> {
  await sharp(Buffer.from(learningCurvesSvg(title, points, bestEpoch)))
    .png()
    .toFile(file);
}
