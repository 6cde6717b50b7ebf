/**
 * `bot live --settle-order CLIENT_ID` with `--exchange-order-id ID` or `--never-placed`: the flags, the flags they
 * cannot go with, and settling the named run's order (src/trading/settle-order.ts).
 */
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { printText } from '../core/redact.ts';
import type { Config } from '../config/schema.ts';
import { runKey } from '../trading/run-key.ts';
import { settleOrder, type SettleBy } from '../trading/settle-order.ts';
import { refuseStartFlags, type StartFlags } from './end-flag.ts';

/** What the settle flags read of `bot live`'s flags (and the start flags they refuse). */
export interface SettleFlags extends StartFlags {
  settleOrder?: string;
  exchangeOrderId?: string;
  neverPlaced?: boolean;
  end?: boolean;
}

export function addSettleOptions(cmd: Command): void {
  cmd
    .option(
      '--settle-order <client-id>',
      "settle an order whose outcome stayed unknown, after checking the exchange's order history " +
        '(with --exchange-order-id or --never-placed); the run must not be running',
    )
    .option('--exchange-order-id <id>', "--settle-order: the exchange's id of that order, to book what it did")
    .option('--never-placed', '--settle-order: the exchange has no such order: write it off as never placed');
}

/**
 * How the flags settle an order, or undefined when they settle none; one line for a settle flag without the others it
 * needs, for both ways at once, and for a flag that starts or trades the run beside them.
 */
export function parseSettleFlags(flags: SettleFlags): SettleBy | undefined {
  if (flags.settleOrder === undefined) {
    const stray =
      flags.exchangeOrderId !== undefined ? '--exchange-order-id' : flags.neverPlaced ? '--never-placed' : '';
    if (stray) throw new UserError(`${stray} goes with --settle-order CLIENT_ID`);
    return undefined;
  }
  if (!flags.settleOrder.trim()) throw new UserError('--settle-order: give the client id bot status shows');
  if (flags.end) throw new UserError('--settle-order and --end: settle the order first, then --end');
  const id = flags.exchangeOrderId?.trim();
  if (flags.exchangeOrderId !== undefined && !id) throw new UserError("--exchange-order-id: give the exchange's id");
  if (id && flags.neverPlaced)
    throw new UserError('--settle-order: give either --exchange-order-id or --never-placed, not both');
  if (!id && !flags.neverPlaced)
    throw new UserError(
      "--settle-order: add --exchange-order-id ID (the exchange's order history has it) " +
        'or --never-placed (it has none)',
    );
  refuseStartFlags(flags, '--settle-order settles one order and starts nothing');
  return id ? { exchangeOrderId: id } : { neverPlaced: true };
}

/** Settles the order the flags name in the live run they name (a portfolio's key is its markets joined by commas). */
export async function settleNamedOrder(
  config: Config,
  o: { name: string; symbols: string[] | undefined; clientId: string; by: SettleBy; logger: Logger },
): Promise<void> {
  const key = runKey(o.symbols ? { ...config, symbol: o.symbols.join(',') } : config, 'live', o.name);
  printText(await settleOrder(config, key, o.clientId.trim(), o.by, o.logger));
}
