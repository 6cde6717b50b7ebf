/** The learner contract: what every learner kind (DQN, PG, A2C, PPO, RLTrader) offers the training loop and policies. */
import type { Decision, Observation } from '../../core/policy.ts';
import type { AgentNet } from '../../nn/agent-net.ts';
import type { LearningEnv } from '../learning-env.ts';
import type { EpochStats, EpochTrace } from './epoch-trace.ts';

export type LearnerKind = 'dqn' | 'pg' | 'a2c' | 'ppo' | 'rltrader';

export interface Learner {
  readonly kind: LearnerKind;
  /** The network that decides (the online network for DQN). */
  readonly net: AgentNet;
  /** Trains for one epoch: every env runs one episode; exploration rate `epsilon` where the learner uses one. */
  runEpoch(envs: LearningEnv[], epsilon: number, trace: EpochTrace): EpochStats;
  /** Greedy decision, no exploration, no learning. */
  decide(obs: Observation): Decision;
  /** Numbers besides the network weights that a saved agent needs (e.g. the continuous policy's log-std). */
  extraState(): Record<string, number>;
  dispose(): void;
}
