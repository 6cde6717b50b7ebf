/**
 * The sweep report's pictures, drawn as SVG and rendered to PNG through sharp: a heatmap of the validation score
 * for each pair of swept parameters, and the winner's chained test-window equity against buy-and-hold.
 */
import sharp from 'sharp';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Red below 0, white at 0, green above, saturating at ±`scale`. */
function colour(v: number, scale: number): string {
  if (!Number.isFinite(v)) return '#e5e7eb';
  const t = Math.max(-1, Math.min(1, v / (scale || 1)));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * Math.abs(t));
  return t >= 0
    ? `rgb(${mix(255, 22)},${mix(255, 163)},${mix(255, 74)})`
    : `rgb(${mix(255, 220)},${mix(255, 38)},${mix(255, 38)})`;
}

interface HeatmapInput {
  title: string;
  xLabel: string;
  yLabel: string;
  xValues: string[];
  yValues: string[];
  /** cells[y][x]: the score (NaN where no configuration finished). */
  cells: number[][];
}

export function heatmapSvg(h: HeatmapInput): string {
  const cw = Math.max(70, Math.min(140, 700 / h.xValues.length));
  const ch = 40;
  const left = 160;
  const top = 70;
  const width = Math.max(720, left + cw * h.xValues.length + 30);
  const height = top + ch * h.yValues.length + 60;
  const finite = h.cells.flat().filter(Number.isFinite);
  const scale = Math.max(1e-9, ...finite.map(Math.abs));
  const rects: string[] = [];
  h.yValues.forEach((yv, yi) => {
    h.xValues.forEach((_, xi) => {
      const v = h.cells[yi][xi];
      const x = left + xi * cw;
      const y = top + yi * ch;
      rects.push(`<rect x="${x}" y="${y}" width="${cw - 2}" height="${ch - 2}" fill="${colour(v, scale)}"/>`);
      const label = Number.isFinite(v) ? v.toFixed(2) : '–';
      rects.push(
        `<text x="${x + cw / 2 - 1}" y="${y + ch / 2 + 4}" text-anchor="middle" font-size="13">${label}</text>`,
      );
    });
    rects.push(
      `<text x="${left - 8}" y="${top + yi * ch + ch / 2 + 4}" text-anchor="end" font-size="13">${esc(yv)}</text>`,
    );
  });
  h.xValues.forEach((xv, xi) =>
    rects.push(
      `<text x="${left + xi * cw + cw / 2}" y="${top - 8}" text-anchor="middle" font-size="13">${esc(xv)}</text>`,
    ),
  );
  const legend =
    'cell: mean validation Sharpe (after costs) over seeds, folds and the other parameters; grey: nothing finished';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(h.title)}</text>
<text x="${left}" y="${top - 30}" font-size="13" fill="#374151">${esc(h.xLabel)} →</text>
<text x="10" y="${top - 8}" font-size="13" fill="#374151">${esc(h.yLabel)} ↓</text>
${rects.join('\n')}
<text x="10" y="${height - 20}" font-size="12" fill="#6b7280">${legend}</text>
</svg>`;
}

interface EquityLinesInput {
  title: string;
  timestamps: number[];
  /** Curves starting at 1: the winner's mean over seeds, each seed (thin), and buy-and-hold. */
  mean: number[];
  seeds: number[][];
  benchmark: number[];
}

export function equityLinesSvg(e: EquityLinesInput): string {
  const W = 1000;
  const H = 480;
  const L = 70;
  const R = 20;
  const T = 40;
  const B = 50;
  const all = [...e.mean, ...e.benchmark, ...e.seeds.flat()].filter(Number.isFinite);
  // a loop, not Math.min(...all): curves as long as a candle series overflow the stack as arguments
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || 1;
  const n = Math.max(2, e.timestamps.length);
  const x = (i: number) => L + ((W - L - R) * i) / (n - 1);
  const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / span);
  const line = (vs: number[]) => vs.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * span);
  const dates = [0, Math.floor((n - 1) / 2), n - 1].filter((i) => i < e.timestamps.length);
  const tickLines = ticks.map(
    (v) =>
      `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>` +
      `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(2)}</text>`,
  );
  const dateLabels = dates.map(
    (i, k) =>
      `<text x="${x(i)}" y="${H - 25}" text-anchor="${['start', 'middle', 'end'][k]}" font-size="11">` +
      `${new Date(e.timestamps[i]).toISOString().slice(0, 10)}</text>`,
  );
  const legend =
    'value (start = 1): winner mean over seeds (blue), each seed (light blue), buy-and-hold (grey); ' +
    'test windows chained';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="${e.title.length > 110 ? 11 : 15}" font-weight="bold">${esc(e.title)}</text>
${tickLines.join('\n')}
${dateLabels.join('\n')}
${e.seeds.map((s) => `<polyline points="${line(s)}" fill="none" stroke="#93c5fd" stroke-width="0.8"/>`).join('\n')}
<polyline points="${line(e.benchmark)}" fill="none" stroke="#6b7280" stroke-width="1.4"/>
<polyline points="${line(e.mean)}" fill="none" stroke="#2563eb" stroke-width="2"/>
<text x="${L}" y="${H - 6}" font-size="12" fill="#374151">${legend}</text>
</svg>`;
}

export async function writeSvgPng(file: string, svg: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(file);
}
