/** zod pieces the learners' recipe schemas share: the number ranges hyper-parameters take. */
import { z } from 'zod';

/** A rate or fraction in [0, 1] (γ, λ). */
export const unitInterval = z.number().min(0).max(1);
/** A step size or scale > 0. */
export const positive = z.number().gt(0);
/** A coefficient or threshold ≥ 0 (0 usually switches the term off). */
export const nonNegative = z.number().min(0);
/** A whole number ≥ `min`. */
export const whole = (min: number) => z.number().int().min(min);

/**
 * A learner's recipe schema: every parameter of `params` optional (its defaults fill the rest), unknown keys refused,
 * and `own`: its `kind` literal and the keys only that learner reads.
 */
export function learnerSchema<P extends z.ZodRawShape, O extends z.ZodRawShape>(params: P, own: O) {
  return z.strictObject(params).partial().extend(own);
}
