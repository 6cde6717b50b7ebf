/**
 * Return and advantage estimators over one rollout stored in flat arrays (oldest first).
 * `dones[i]` = 1 when step i ended its episode: nothing after it bootstraps into it.
 */

/**
 * Monte-Carlo discounted returns G_i = r_i + γ G_{i+1}, reset at episode ends; `bootstrap` values the state after the
 * last step.
 */
export function discountedReturns(
  rewards: ArrayLike<number>,
  dones: ArrayLike<number>,
  gamma: number,
  bootstrap = 0,
  out?: Float32Array,
): Float32Array {
  const n = rewards.length;
  const g = out ?? new Float32Array(n);
  let next = bootstrap;
  for (let i = n - 1; i >= 0; i--) {
    if (dones[i]) next = 0;
    next = rewards[i] + gamma * next;
    g[i] = next;
  }
  return g;
}

/**
 * n-step returns: G_i = Σ_{k<n} γ^k r_{i+k} + γ^n V(s_{i+n}), truncated at episode ends and at the rollout's end
 * (where `lastValue` = V(state after the last step) bootstraps).
 */
export function nStepReturns(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  dones: ArrayLike<number>,
  gamma: number,
  n: number,
  lastValue: number,
  out?: Float32Array,
): Float32Array {
  const len = rewards.length;
  const g = out ?? new Float32Array(len);
  for (let i = 0; i < len; i++) {
    let acc = 0;
    let disc = 1;
    let k = 0;
    let ended = false;
    for (; k < n && i + k < len; k++) {
      acc += disc * rewards[i + k];
      disc *= gamma;
      if (dones[i + k]) {
        ended = true;
        break;
      }
    }
    if (!ended) acc += disc * (i + k < len ? values[i + k] : lastValue);
    g[i] = acc;
  }
  return g;
}

/**
 * Generalised advantage estimation (Schulman et al. 2015): δ_i = r_i + γ V_{i+1} − V_i, A_i = δ_i + γλ A_{i+1}.
 * Returns advantages; returns-to-go for the value loss are A_i + V_i.
 */
export function gae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  dones: ArrayLike<number>,
  gamma: number,
  lambda: number,
  lastValue: number,
  out?: Float32Array,
): Float32Array {
  const n = rewards.length;
  const adv = out ?? new Float32Array(n);
  let nextAdv = 0;
  let nextValue = lastValue;
  for (let i = n - 1; i >= 0; i--) {
    const live = dones[i] ? 0 : 1;
    const delta = rewards[i] + gamma * nextValue * live - values[i];
    nextAdv = delta + gamma * lambda * live * nextAdv;
    adv[i] = nextAdv;
    nextValue = values[i];
  }
  return adv;
}

/** In place: (x − mean) / (sd + 1e-8). */
export function normalise(x: Float32Array): Float32Array {
  const n = x.length;
  if (n === 0) return x;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - mean) ** 2;
  const sd = Math.sqrt(v / n) + 1e-8;
  for (let i = 0; i < n; i++) x[i] = (x[i] - mean) / sd;
  return x;
}
