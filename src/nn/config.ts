/** The config section that the network engines own (`ml`: which tfjs backend runs them). */
import { z } from 'zod';
import { BACKEND_CHOICES } from '../core/limits.ts';

/** Which TensorFlow.js backend runs the networks. `auto` picks the fastest one that works on this machine. */
export const mlSection = z.strictObject({
  backend: z.enum(BACKEND_CHOICES),
});

export type MlSection = z.infer<typeof mlSection>;
