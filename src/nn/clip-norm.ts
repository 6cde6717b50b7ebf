/**
 * Gradient clipping by global norm for optimisers fed arrays (the JS trainer's path): every gradient scaled by
 * min(1, clipNorm / (‖g‖ + 1e-6)), ‖g‖ over all of them together, the same formula as trainStep's tfjs path.
 */
import type { ArrayGradient, ArrayGradientOptimizer } from './adam.ts';

export function clipByGlobalNorm(optimizer: ArrayGradientOptimizer, clipNorm: number): ArrayGradientOptimizer {
  if (!(clipNorm > 0)) return optimizer;
  return {
    applyGradientArrays(entries: readonly ArrayGradient[]): void {
      let sumSq = 0;
      for (const { grad } of entries) for (let i = 0; i < grad.length; i++) sumSq += grad[i] * grad[i];
      const scale = Math.min(1, clipNorm / (Math.sqrt(sumSq) + 1e-6));
      if (scale === 1) return optimizer.applyGradientArrays(entries);
      optimizer.applyGradientArrays(
        entries.map(({ variable, grad }) => ({ variable, grad: grad.map((g) => g * scale) })),
      );
    },
  };
}
