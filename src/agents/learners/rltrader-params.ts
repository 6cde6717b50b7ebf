/** The RLTrader learners' recipe side: their parameters, defaults and ranges, and their registry entry. */
import { z } from 'zod';
import { defineLearner } from './learner.ts';
import { learnerSchema, positive, unitInterval } from './param-schemas.ts';

export interface RltraderParams {
  gamma: number;
  learningRate: number;
  fitOnDelayedReward: boolean;
}

export const RLTRADER_DEFAULTS: RltraderParams = { gamma: 0.9, learningRate: 1e-4, fitOnDelayedReward: false };

const rltraderParamsShape = {
  gamma: unitInterval,
  learningRate: positive,
  fitOnDelayedReward: z.boolean(),
} satisfies Record<keyof RltraderParams, z.ZodType>;

/** The registry entry: `net: 'dqn'` a value head of 3, `net: 'a2c'` value and policy heads of 3 on one trunk. */
export const rltraderLearner = defineLearner({
  kind: 'rltrader',
  schema: learnerSchema(rltraderParamsShape, { kind: z.literal('rltrader'), net: z.enum(['dqn', 'a2c']) }),
  exploration: { kind: 'linear', start: 0.5, end: 0.02 },
  heads: (l) => ({ heads: l.net === 'a2c' ? { value: 3, policy: 3 } : { value: 3 }, continuous: false }),
});
