/** `bot chart`: the image a model sees for a window of candles, as a PNG or a contact sheet. */
import path from 'node:path';
import type { Command } from 'commander';
import { gapCause } from '../../data/gap-cause.ts';
import { loadSeries } from '../../data/source.ts';
import { log } from '../../core/log.ts';
import { isoTime, parseTime } from '../../data/timeframe.ts';
import { UserError } from '../../core/errors.ts';
import { createImageRenderer } from '../../chart/renderer.ts';
import { formatImageSpec, parseImageSpec, type ImageSpec } from '../../chart/spec.ts';
import { sheetLayout, viewSize } from '../../chart/layout.ts';
import { candleAt } from '../candle-at.ts';
import { chartHolesNotice } from '../chart-holes.ts';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { checkOutFile } from '../out-paths.ts';
import { addDataSourceOptions, COLUMNS_HELP, seriesRequestFromFlags, type DataSourceFlags } from './data.ts';

interface ChartFlags extends CommonFlags, DataSourceFlags {
  at?: string;
  style?: string;
  spec?: string;
  out: string;
  sheet?: string;
  every?: string;
  columns?: string;
  scale: string;
}

/** What `--style` means without `--spec`: the JKX 20-day image, and an RGB candlestick chart with panels. */
export const DEFAULT_SPECS: Record<string, string> = {
  ohlc: 'ohlc:64x60:20',
  candles: 'candles:96x96:32:c3:ma20:bb:volume:rsi',
};

/**
 * The most values (height × width × channels) a PNG of bot chart holds: about 400 MB of floats while it is drawn
 * (audit of chart images: `--sheet 2000 --every 1 --scale 32` asked for 8.5 billion and crashed after the data).
 */
const MAX_VALUES = 100_000_000;

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UserError(`${flag} must be a whole number ≥ 1 (got "${value}")`);
  return Number(value);
}

/** The PNG bot chart writes for `sheet` windows of `spec`, `columns` wide, every pixel `scale`×`scale`. */
function pngSize(spec: ImageSpec, sheet: number, columns: number, scale: number) {
  const tiled = sheet > 1 ? sheetLayout(sheet, spec.width, spec.height, columns) : spec;
  const view = viewSize(tiled.width, tiled.height, spec.channels, spec.layers);
  return { width: view.width * scale, height: view.height * scale, channels: view.channels };
}

async function chart(flags: ChartFlags): Promise<void> {
  // no commander default for --style: a --style beside --spec was silently ignored (audit of chart images)
  if (flags.style !== undefined && flags.spec !== undefined)
    throw new UserError(`--style does not apply with --spec (the spec's first word is its style): drop --style`);
  const style = flags.style ?? 'ohlc';
  if (!flags.spec && !Object.hasOwn(DEFAULT_SPECS, style))
    throw new UserError(`--style must be ohlc or candles (got "${style}")`);
  const spec: ImageSpec = parseImageSpec(flags.spec ?? DEFAULT_SPECS[style]);
  const renderer = createImageRenderer(spec);
  // --columns is the sheet's width when it is a number, the CSV's columns of --data when it names them
  const csvColumns = flags.columns !== undefined && /[a-z_]/i.test(flags.columns) ? flags.columns : undefined;
  const SHEET_ONLY = { every: "spaces a contact sheet's windows", columns: "is a contact sheet's width" };
  const moot = flags.every !== undefined ? 'every' : csvColumns === undefined && flags.columns ? 'columns' : undefined;
  if (flags.sheet === undefined && moot)
    throw new UserError(`--${moot} does not apply without --sheet N (it ${SHEET_ONLY[moot]}): add --sheet or drop it`);
  const sheet = positiveInt(flags.sheet, '--sheet', 1);
  if (sheet === 1 && moot)
    throw new UserError(
      `--${moot} does not apply to --sheet 1 (one window; it ${SHEET_ONLY[moot]}): give --sheet 2 or more, or drop it`,
    );
  const every = positiveInt(flags.every, '--every', spec.bars);
  // with the other flags, before the series: a bad --columns used to be found after a download
  const columns = positiveInt(
    csvColumns === undefined ? flags.columns : undefined,
    '--columns',
    Math.ceil(Math.sqrt(sheet)),
  );
  const scale = positiveInt(flags.scale, '--scale', 1);
  if (scale > 32) throw new UserError('--scale must be at most 32');
  const size = pngSize(spec, sheet, columns, scale);
  const values = size.width * size.height * size.channels;
  if (values > MAX_VALUES)
    throw new UserError(
      `the PNG would be ${size.height} high × ${size.width} wide px × ${size.channels} channel(s) = ` +
        `${values.toLocaleString('en-US')} values, over bot chart's limit of ${MAX_VALUES.toLocaleString('en-US')}: ` +
        'give a smaller --scale, --sheet or image',
    );
  checkOutFile(flags.out, 'chart.png');
  // the image is PNG whatever the name says: a c11.jpg holding PNG bytes misleads every viewer and tool after it
  const ext = path.extname(flags.out);
  if (ext.toLowerCase() !== '.png')
    throw new UserError(
      `--out ${flags.out}: bot chart writes PNG images; give a .png name, ` +
        `e.g. ${flags.out.slice(0, flags.out.length - ext.length)}.png`,
    );
  const at = flags.at !== undefined ? parseTime(flags.at, '--at') : undefined;
  // the config (and zod with its schemas) once the flags are checked: a flag mistake is one line without them
  const { config } = await setupCommand(flags);

  const series = await loadSeries(seriesRequestFromFlags(config, { ...flags, columns: csvColumns }));
  const c = series.candles;
  const t = candleAt(series, at, flags.at);
  const firstT = t - (sheet - 1) * every;
  if (firstT < renderer.warmup) {
    throw new UserError(
      `${formatImageSpec(spec)} needs ${renderer.warmup} candles before the window's last one; ` +
        `${series.label} has ${t} before ${isoTime(c.ts[t])}` +
        (sheet > 1 ? ` (for ${sheet} windows ${every} apart it needs ${renderer.warmup + (sheet - 1) * every})` : ''),
    );
  }

  // the PNG writer (sharp, a native library) loads here: `bot --help` lists this command without drawing
  const { contactSheet, enlarge, viewable, writePng } = await import('../../chart/png.ts');
  const { width, height, channels } = spec;
  const frames: Float32Array[] = [];
  for (let k = 0; k < sheet; k++) {
    const frame = new Float32Array(renderer.frameSize);
    renderer.render(c, firstT + k * every, frame);
    frames.push(frame);
  }
  let image = { pixels: frames[0], width, height, channels: channels as number };
  if (sheet > 1) {
    const tiled = contactSheet(frames, width, height, channels, columns);
    image = { ...tiled, channels };
  }
  const view = viewable(image.pixels, image.width, image.height, image.channels, spec.layers);
  await writePng(
    flags.out,
    enlarge(view.pixels, view.width, view.height, view.channels, scale),
    size.width,
    size.height,
    size.channels,
  );
  const what =
    sheet > 1
      ? `${sheet} windows ending ${isoTime(c.ts[firstT])} … ${isoTime(c.ts[t])} every ${every} candles`
      : `window ending ${isoTime(c.ts[t])}`;
  console.log(
    `wrote ${flags.out}: ${formatImageSpec(spec)}, ${what}, ${series.label}; ` +
      // height first, as the spec's HEIGHTxWIDTH
      `${size.height} high × ${size.width} wide px`,
  );
  if (spec.layers) console.log('(layers in colour: candles white, MA/Bollinger orange, volume grey, RSI/MACD cyan)');
  else if (channels === 2 || channels === 4)
    console.log(`(${channels} channels shown side by side in grey, left to right)`);
  // the PNG is the model's very pixels, so a hole gets this warning rather than a mark on the image
  const holes = chartHolesNotice({
    ts: c.ts,
    timeframe: c.timeframe,
    ends: Array.from({ length: sheet }, (_, k) => firstT + k * every),
    bars: spec.bars,
    label: series.label,
    cause: series.origin === 'store' || series.origin === 'exchange' ? gapCause(config.exchange.id) : undefined,
  });
  if (holes) log().warn(holes);
}

/** `bot chart`: the model's chart images as PNG files for people. */
export function registerChart(program: Command): void {
  const cmd = program
    .command('chart')
    .description(
      'draw the image a model sees for the window of candles ending at --at, as a PNG (or a contact sheet of windows)',
    )
    .option(
      '--at <time>',
      'the window ends at the last candle opening at or before this time (default: the last candle)',
    )
    .option(
      '--style <style>',
      `ohlc (Jiang-Kelly-Xiu bars, ${DEFAULT_SPECS.ohlc}, the default) or candles (${DEFAULT_SPECS.candles}); ` +
        'not with --spec',
    )
    .option(
      '--spec <spec>',
      'full image spec, e.g. ohlc:32x15:5, ohlc:96x180:60:novol, candles:64x64:20:c4:ma20:volume:rsi:macd, ' +
        'candles:64x60:20:layers:ma20:bb:volume:rsi',
    )
    .option('--out <file>', 'PNG file to write', 'chart.png')
    .option('--sheet <n>', 'contact sheet of n windows ending at --at, oldest first')
    .option('--every <n>', 'candles between the sheet windows (default: the bars of one image)')
    .option('--columns <n|names>', `windows per row of the sheet (default: about √n); given names, ${COLUMNS_HELP}`)
    .option('--scale <n>', 'enlarge every pixel to n×n for viewing (nearest neighbour, same values)', '1');
  addDataSourceOptions(cmd);
  addCommonOptions(cmd).action((opts: ChartFlags) => chart(opts));
}
