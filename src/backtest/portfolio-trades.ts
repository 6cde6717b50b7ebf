/**
 * `trades.csv` of a portfolio run (issue 14): one row per fill, every market, full precision, so a paper run over
 * the same series can be compared with it trade for trade.
 */
import type { PortfolioResult } from '../market/portfolio-engine.ts';

export function portfolioTradesCsv(r: PortfolioResult): string {
  const rows = r.fills.map((f) =>
    [new Date(f.ts).toISOString(), r.symbols[f.market], f.side, f.price, f.units, f.gross, f.fee, f.tax].join(','),
  );
  return ['time,market,side,price,units,value,fee,tax', ...rows].join('\n') + '\n';
}
