/**
 * The learner contract: what every learner kind offers the training loop and policies (`Learner`), what one learner
 * kind registers for its recipes (`LearnerDefinition`: recipe schema, heads, environments, default exploration) and
 * how it is built (`LearnerFactory`, listed apart in factories.ts: a recipe is checked without loading TensorFlow.js).
 */
import type { z } from 'zod';
import type { Decision, Observation } from '../../core/policy.ts';
import type { AgentNet } from '../../nn/agent-net.ts';
import type { LearningEnv, PortfolioLearningEnv } from '../learning-env.ts';
import type { EpochStats, EpochTrace } from './epoch-trace.ts';
import type { EpsilonSchedule } from './schedule.ts';

export interface Learner {
  /** The registry's name for this learner kind (recipe `learner.kind`). */
  readonly kind: string;
  /** The network that decides (the online network for DQN). */
  readonly net: AgentNet;
  /** Trains for one epoch: every env runs one episode; exploration rate `epsilon` where the learner uses one. */
  runEpoch(envs: LearningEnv[], epsilon: number, trace: EpochTrace): EpochStats;
  /** Greedy decision, no exploration, no learning. */
  decide(obs: Observation): Decision;
  /** Numbers besides the network weights that a saved agent needs (e.g. the continuous policy's log-std). */
  extraState(): Record<string, number>;
  /** Why the learner has not updated its network yet, for the message of a training that never did (DQN's replay). */
  idleReason?(): string;
  dispose(): void;
}

/** The output heads a learner's network carries, and whether its policy head is a continuous target position. */
export interface LearnerHeads {
  heads: { value?: number; policy?: number };
  continuous: boolean;
}

/** What a learner's factory receives: its network, a way to build another like it (DQN's target), the seed. */
export interface LearnerContext {
  net: AgentNet;
  /** A fresh network of the same spec (not continuous), e.g. DQN's target network. */
  newNet(): AgentNet;
  seed: number;
  /** Where a learner says one line about how it was built (e.g. DQN's replay capped by its memory cap). */
  log?: (line: string) => void;
}

/** Numbers in one observation: the network's input x (feature window or image sequence) and the position state. */
export interface ObservationSize {
  xSize: number;
  stateSize: number;
}

/**
 * One learner kind as the registry (registry.ts) lists it. `R` is the recipe's `learner` object, kind included;
 * `schema` checks it at strategy load (unknown keys refused), the rest read it. Its factory is in factories.ts.
 */
export interface LearnerDefinition<R extends { kind: string } = { kind: string }> {
  readonly kind: R['kind'];
  readonly schema: z.ZodType<R>;
  /** ε when the recipe names no exploration (on-policy learners explore by sampling: constant 0). */
  readonly exploration: EpsilonSchedule;
  heads(recipe: R): LearnerHeads;
  /** Environments stepped together (default 1). */
  envs?(recipe: R): number;
  /**
   * What would keep this learner from ever learning on observations of `size` (undefined: not known before the
   * data), in one line, or undefined; the factory checks again on the built network.
   */
  check?(recipe: R, size: ObservationSize | undefined): string | undefined;
}

/** Builds a learner of one kind from its recipe around its network (factories.ts lists one per kind). */
export type LearnerFactory<R extends { kind: string }> = (recipe: R, ctx: LearnerContext) => Learner;

/** Declares a learner kind with its recipe type inferred from the schema. */
export function defineLearner<S extends z.ZodType<{ kind: string }>>(
  d: LearnerDefinition<z.infer<S>> & { schema: S },
): LearnerDefinition<z.infer<S>> & { schema: S } {
  return d;
}

/** What a portfolio learner's epoch reports. */
export interface PortfolioEpochStats {
  steps: number;
  meanReward: number;
  loss: number;
  entropy: number;
  /** Mean value at the end of the epoch's episodes, over the environments' starting value. */
  meanFinalValue: number;
}

/** A learner whose action is target weights over N markets (issue 14). */
export interface PortfolioLearner {
  readonly kind: string;
  readonly net: AgentNet;
  runEpoch(envs: PortfolioLearningEnv[]): PortfolioEpochStats;
  /** The policy call, the same in the environment and the backtest: observation → market weights (greedy). */
  weights(obs: Observation): number[];
  /** Numbers besides the network weights that a saved model needs (e.g. the Gaussian's log-stds). */
  extraState(): Record<string, number[]>;
  dispose(): void;
}

/** One portfolio learner kind as the registry lists it (the portfolio twin of LearnerDefinition). */
export interface PortfolioLearnerDefinition<R extends { kind: string } = { kind: string }> {
  readonly kind: R['kind'];
  readonly schema: z.ZodType<R>;
  /** Environments stepped together. */
  envs(recipe: R): number;
}

/**
 * How a portfolio learner kind is built (factories.ts lists one per kind): its heads, sized by its action
 * distribution, and the learner around its network.
 */
export interface PortfolioLearnerBuild<R extends { kind: string } = { kind: string }> {
  /** Units of the value and policy heads for `markets` markets, with or without a cash category. */
  heads(markets: number, cash: boolean): { value: number; policy: number };
  create(
    recipe: R,
    ctx: { net: AgentNet; seed: number; markets: number; cash: boolean; extra?: Record<string, number[]> },
  ): PortfolioLearner;
}
