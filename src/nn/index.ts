/** The network-building surface: specs, buildNetwork and the single-observation fast forward. */
export type { NetworkKind, NetworkSpec, ImageShape, ResolvedSpec } from './spec.ts';
export { resolveSpec } from './spec.ts';
export { buildNetwork } from './build.ts';
export type { FastForward } from './fast-forward.ts';
export { compileFastForward } from './fast-forward.ts';
