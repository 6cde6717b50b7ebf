/**
 * The warnings of a candle CSV that was read (no volume column, wild moves: ParsedCsv.notes), printed the same way by
 * every command that reads a user's file: `bot data import FILE` and each `--data FILE`.
 */

/**
 * One `warning: FILE: …` line per note on stderr: stdout may be a report (`bot backtest --json`), and `--data`
 * used to read such a file without a word where the import warned.
 */
export function printCsvWarnings(file: string, notes: readonly string[]): void {
  for (const note of notes) process.stderr.write(`warning: ${file}: ${note}\n`);
}
