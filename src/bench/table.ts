/** One line of the benchmark table. */
export interface Figure {
  group: string;
  figure: string;
  value: number | string;
  unit: string;
  /** What the figure is measured against (a target, a peer), if anything. */
  note?: string;
}

/** A benchmark group: `npm run bench -- NAME` runs just this one. */
export interface BenchGroup {
  name: string;
  description: string;
  run(report: (f: Omit<Figure, 'group'>) => void): Promise<void>;
}

export function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 0.01) return v.toFixed(3);
  return v.toPrecision(3);
}

export function renderTable(rows: readonly Figure[]): string {
  const cells = rows.map((r) => [r.group, r.figure, formatValue(r.value), r.unit, r.note ?? '']);
  const head = ['group', 'figure', 'value', 'unit', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => (i === 2 ? x.padStart(widths[i]) : x.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Peak resident memory so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
