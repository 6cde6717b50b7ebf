/** The network-building surface: specs, buildNetwork, the single-observation fast forward and the engine plan. */
export type { NetworkKind, NetworkSpec, ImageShape, ResolvedSpec } from './spec.ts';
export { resolveSpec } from './spec.ts';
export { buildNetwork } from './build.ts';
export type { FastForward } from './fast-forward.ts';
export { compileFastForward } from './fast-forward.ts';
export type { NetPlan } from './plan.ts';
export { plan, describePlan } from './plan.ts';
