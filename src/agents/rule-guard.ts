/**
 * A rule strategy's policy as every run calls it (backtest, paper and live build it here): what the strategy's own
 * createPolicy and decide throw, and a decision outside the Decision contract, stop the run with one line naming the
 * strategy, the candle and the value, instead of a stack trace or a run that silently never trades. The error is a
 * HaltError: a rule decides from candles alone, so the next tick of a paper or live trader would fail the same way
 * (as a UserError it was logged as a failed tick and tried again forever).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaltError } from '../core/errors.ts';
import { ACTIONS, type Decision, type Observation, type Policy } from '../core/policy.ts';
import { isoTime } from '../data/timeframe.ts';
import type { RuleContext, RuleStrategy } from './strategy.ts';

/** `strategy.createPolicy(ctx)`, its policy's decide checked at every candle. */
export function createRulePolicy(strategy: RuleStrategy, ctx: RuleContext): Policy {
  const who = `strategy "${strategy.name}"`;
  const policy = createdPolicy(strategy, ctx, 'observation');
  const where = (obs: Observation) => `${who}: decide at ${isoTime(obs.candles.ts[obs.t])}`;
  return {
    name: policyName(policy, strategy),
    decide(obs: Observation): Decision {
      let d: Decision;
      try {
        d = policy.decide(obs);
      } catch (e) {
        throw strategyError(where(obs), e);
      }
      const problem = decisionProblem(d);
      if (problem) throw new HaltError(`${where(obs)} returned ${problem}`);
      return d;
    },
  };
}

/**
 * `strategy.createPolicy(ctx)`, or one line naming the strategy when it throws or returns no object with
 * decide(`input`) (single-market and portfolio rules alike).
 */
export function createdPolicy<C, P extends { decide: unknown }>(
  strategy: { name: string; createPolicy(ctx: C): P },
  ctx: C,
  input: string,
): P {
  const who = `strategy "${strategy.name}"`;
  let policy: P;
  try {
    policy = strategy.createPolicy(ctx);
  } catch (e) {
    throw strategyError(`${who}: createPolicy`, e);
  }
  if (typeof (policy as Partial<P> | undefined)?.decide !== 'function')
    throw new HaltError(`${who}: createPolicy returned no policy (an object with decide(${input}))`);
  return policy;
}

/**
 * The name a run records its decisions under: the policy's own, else the strategy's. A policy without one passed the
 * backtest, then paper and live failed at their first decision on `NOT NULL constraint failed:
 * trading_decisions.policy` (audit, session 38, item 3).
 */
export function policyName(policy: { name?: unknown }, strategy: { name: string }): string {
  return typeof policy.name === 'string' && policy.name !== '' ? policy.name : strategy.name;
}

function shown(v: unknown): string {
  return typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

/** What is wrong with a decision (its action, confidence 0…1, optional target position 0…1), or undefined. */
function decisionProblem(d: unknown): string | undefined {
  if (typeof d !== 'object' || d === null) return `${shown(d)}, not a decision { action, confidence }`;
  const { action, confidence, targetPosition } = d as Record<string, unknown>;
  if (!(ACTIONS as readonly unknown[]).includes(action))
    return `action ${shown(action)} (allowed: ${ACTIONS.join(', ')})`;
  const fraction = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
  if (!fraction(confidence)) return `confidence ${shown(confidence)} (a number from 0 to 1)`;
  if (targetPosition !== undefined && !fraction(targetPosition))
    return `targetPosition ${shown(targetPosition)} (a number from 0 to 1, or none)`;
  return undefined;
}

/**
 * An error thrown by the strategy's code as one line: its message and the first place in a file it came from. A file
 * outside a module package is compiled to a data: URL whose lines are not the file's: only the file is named then.
 */
export function strategyError(where: string, e: unknown): HaltError {
  if (e instanceof HaltError) return e;
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  const at = e instanceof Error ? origin(e.stack) : undefined;
  return new HaltError(`${where} threw: ${message}${at ? ` (at ${at})` : ''}`);
}

/** The first stack frame outside node's internals and node_modules, as file:line:column (or the file alone). */
function origin(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n')) {
    const frame = /^\s+at (?:.*? \()?(.+?)\)?$/.exec(line)?.[1];
    if (!frame || frame.startsWith('node:') || frame.includes('node_modules')) continue;
    if (frame.startsWith('data:')) {
      const file = /[?&]filePath=([^?&:)]+)/.exec(frame)?.[1];
      return file ? shortPath(decodeURIComponent(file).split('?')[0]) : undefined;
    }
    return shortPath(frame.startsWith('file://') ? fileURLToPath(frame) : frame);
  }
  return undefined;
}

/** A path under the working folder as ./relative, others as given. */
function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : `./${rel}`;
}
