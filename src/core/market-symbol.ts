/**
 * A market's name as users give it (`--symbol`, `--symbols`, config files, recipes): one parser, BASE/QUOTE of a spot
 * market, so that every command refuses a ccxt derivative (`BTC/USDT:USDT`) or a malformed name in the same one line
 * instead of reading its quote as `USDT:USDT`.
 */
import { UserError } from './errors.ts';

/**
 * A market name BASE/QUOTE. A hyphen may join parts of a name, as in the derived series `bot data derive` writes
 * (SP500-2X/USD, SP500-INV/USD: issue 14); it used to be refused, so `--symbol` could not name them.
 */
const SPOT_SYMBOL = /^([A-Z0-9]+(?:-[A-Z0-9]+)*)\/([A-Z0-9]+(?:-[A-Z0-9]+)*)$/;

interface SpotSymbol {
  base: string;
  quote: string;
}

/** What is wrong with `symbol` as a spot market's name, in a few words; undefined when it is one. */
export function spotSymbolProblem(symbol: string): string | undefined {
  if (SPOT_SYMBOL.test(symbol)) return undefined;
  const colon = symbol.indexOf(':');
  if (colon >= 0) {
    // ccxt names a swap BASE/QUOTE:SETTLE and a future BASE/QUOTE:SETTLE-EXPIRY (option: …-STRIKE-C|P)
    const spot = symbol.slice(0, colon);
    const settle = symbol.slice(colon + 1).split('-')[0];
    const example = SPOT_SYMBOL.test(spot) ? spot : 'BTC/USDT';
    const settled = settle ? ` (settled in ${settle})` : '';
    return `${symbol} is a derivative${settled}; this bot trades spot markets only, e.g. ${example}`;
  }
  const shown = JSON.stringify(symbol);
  if (/\s/.test(symbol)) return `${shown} has a space; a market is BASE/QUOTE such as BTC/KRW`;
  const parts = symbol.split('/');
  if (parts.length === 1) return `${shown} is not BASE/QUOTE; name the quote too, e.g. BTC/KRW`;
  if (parts.length > 2) return `${shown} has more than one "/"; a market is BASE/QUOTE such as BTC/KRW`;
  if (parts[0] === '') return `${shown} has no base before the "/", e.g. BTC/KRW`;
  if (parts[1] === '') return `${shown} has no quote after the "/", e.g. BTC/KRW`;
  return `${shown}: expected BASE/QUOTE in capitals and digits (a hyphen may join parts), e.g. BTC/KRW`;
}

/** `symbol` as base and quote, or a UserError naming `where` it came from (`--symbol`, a recipe's `symbols`, …). */
export function parseSpotSymbol(symbol: string, where: string): SpotSymbol {
  const problem = spotSymbolProblem(symbol);
  if (problem !== undefined) throw new UserError(`${where}: ${problem}`);
  const slash = symbol.indexOf('/');
  return { base: symbol.slice(0, slash), quote: symbol.slice(slash + 1) };
}

/**
 * A comma list of markets (`--symbols`, `--informative`), checked before any I/O: no blanks, no repeats (`noun` says
 * what is repeated), each a spot BASE/QUOTE (parseSpotSymbol, `flag` named in the line).
 */
export function parseSymbolList(value: string, flag: string, noun = 'market'): string[] {
  const symbols = value.split(',').map((s) => s.trim());
  if (symbols.some((s) => s === '')) throw new UserError(`${flag} has an empty name: "${value}"`);
  if (new Set(symbols).size !== symbols.length) throw new UserError(`${flag} names a ${noun} twice: "${value}"`);
  for (const s of symbols) parseSpotSymbol(s, flag);
  return symbols;
}
