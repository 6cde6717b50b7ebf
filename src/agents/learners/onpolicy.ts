/**
 * REINFORCE with a baseline, A2C and PPO share one loop: sample actions from the policy (seeded), collect
 * `rolloutSteps` steps from each environment, estimate advantages, update. They differ in the advantage estimator and
 * the update, which `pg.ts`, `a2c.ts` and `ppo.ts` choose.
 */
import { JsAdam } from '../../nn/adam.ts';
import type { StepStats } from '../../nn/head-loss.ts';
import { Rng } from '../../core/random.ts';
import type { LearningEnv } from '../learning-env.ts';
import type { Decision, Observation } from '../../core/policy.ts';
import { discountedReturns, gae, nStepReturns, normalise } from './returns.ts';
import { argmax, softmaxRow } from '../../nn/head-math.ts';
import { EpochCounter, type EpochStats, type EpochTrace } from './epoch-trace.ts';
import { greedyDecision, isContinuous, positionAction } from '../greedy-decision.ts';
import type { Learner } from './learner.ts';
import type { AgentNet } from '../../nn/agent-net.ts';
import type { HeadOutputs } from '../../nn/head-outputs.ts';
import * as tf from '@tensorflow/tfjs';
import type { OnPolicyParams } from './onpolicy-params.ts';
import { explainedVariance, LOG_SQRT_2PI, onPolicyLoss, type OnPolicyMinibatch } from './onpolicy-loss.ts';

/** Rollout storage, env-major (row = env·T + t), typed arrays sized once. */
class Rollout {
  readonly x: Float32Array;
  readonly state: Float32Array;
  readonly action: Int32Array;
  readonly position: Float32Array;
  readonly reward: Float32Array;
  readonly done: Float32Array;
  readonly value: Float32Array;
  readonly logp: Float32Array;
  readonly length: Int32Array;

  constructor(
    readonly envs: number,
    readonly steps: number,
    readonly xSize: number,
    readonly stateSize: number,
  ) {
    const n = envs * steps;
    this.x = new Float32Array(n * xSize);
    this.state = new Float32Array(n * stateSize);
    this.action = new Int32Array(n);
    this.position = new Float32Array(n);
    this.reward = new Float32Array(n);
    this.done = new Float32Array(n);
    this.value = new Float32Array(n);
    this.logp = new Float32Array(n);
    this.length = new Int32Array(envs);
  }
}

type OnPolicyKind = 'pg' | 'a2c' | 'ppo';

export class OnPolicyLearner implements Learner {
  private readonly optimizer: JsAdam;
  private readonly stepStats: StepStats = { gradNorm: NaN };
  private readonly rng: Rng;
  private readonly continuous: boolean;
  private readonly logStd: tf.Variable | undefined;
  private logStdValue: number;
  private readonly probs = new Float32Array(3);
  private rollout: Rollout | undefined;

  constructor(
    readonly kind: OnPolicyKind,
    readonly net: AgentNet,
    readonly params: OnPolicyParams,
    seed: number,
    logStd?: number,
  ) {
    if (!net.heads.policy) throw new Error(`${kind} needs a policy head`);
    if (kind !== 'pg' && net.heads.value !== 1) throw new Error(`${kind} needs a value head of 1`);
    this.continuous = isContinuous(net);
    if (!this.continuous && net.heads.policy !== 3)
      throw new Error('a discrete policy head has 3 outputs (buy, sell, hold)');
    if (this.continuous && net.heads.policy !== 1 && net.heads.policy !== 2)
      throw new Error('a continuous policy head has 1 (sigmoid) or 2 (softmax) outputs');
    this.optimizer = new JsAdam(params.learningRate);
    // the hand-derived gradient covers a discrete softmax policy only
    if (this.continuous || net.policyOutput !== 'softmax') {
      net.useTape('the loss has no hand-derived gradient for this policy head');
    }
    this.rng = new Rng(seed);
    this.logStdValue = logStd ?? params.initialLogStd;
    // tidy frees the scalar the variable is made from (the variable keeps its own reference to the data)
    const v = this.logStdValue;
    this.logStd = this.continuous ? tf.tidy(() => tf.variable(tf.scalar(v), true)) : undefined;
  }

  private sampleAction(
    outs: HeadOutputs,
    row: number,
    holdRatio: number,
    r: Rollout,
    slot: number,
  ): { action: number; confidence: number; position?: number; explored: boolean } {
    const pol = outs.policy as Float32Array;
    r.value[slot] = outs.value ? outs.value[row] : 0;
    if (this.continuous) {
      const mean = pol[row * (this.net.heads.policy as number)];
      const sd = Math.exp(this.logStdValue);
      const z = this.rng.normal();
      const a = mean + sd * z;
      r.position[slot] = a;
      r.logp[slot] = -0.5 * z * z - this.logStdValue - LOG_SQRT_2PI;
      const target = Math.min(1, Math.max(0, a));
      const action = positionAction(target, holdRatio);
      return {
        action,
        confidence: Math.abs(target - holdRatio),
        position: action === 2 ? undefined : target,
        explored: Math.abs(z) > 1,
      };
    }
    const p = this.net.policyOutput === 'logits' ? softmaxRow(pol, row, 3, this.probs) : this.copyRow(pol, row);
    let u = this.rng.next();
    let a = 2;
    for (let i = 0; i < 3; i++) {
      u -= p[i];
      if (u < 0) {
        a = i;
        break;
      }
    }
    r.action[slot] = a;
    r.logp[slot] = Math.log(p[a] + 1e-8);
    return { action: a, confidence: p[a], explored: a !== argmax(p, 0, 3) };
  }

  private copyRow(src: Float32Array, row: number): Float32Array {
    let s = 0;
    for (let i = 0; i < 3; i++) s += src[row * 3 + i];
    for (let i = 0; i < 3; i++) this.probs[i] = src[row * 3 + i] / (s || 1);
    return this.probs;
  }

  runEpoch(envs: LearningEnv[], _epsilon: number, trace: EpochTrace): EpochStats {
    const p = this.params;
    const n = envs.length;
    const xs = this.net.xSize;
    const ss = this.net.stateSize;
    if (!this.rollout || this.rollout.envs !== n) this.rollout = new Rollout(n, p.rolloutSteps, xs, ss);
    const r = this.rollout;
    const counter = new EpochCounter();
    const obs: Observation[] = envs.map((e) => e.reset());
    const live = new Array<boolean>(n).fill(true);
    const lastValue = new Float32Array(n);
    const batchX = new Float32Array(n * xs);
    const batchS = new Float32Array(n * ss);
    let value0 = envs[0].initialValue;
    while (live.some(Boolean)) {
      r.length.fill(0);
      for (let t = 0; t < p.rolloutSteps && live.some(Boolean); t++) {
        let outs: HeadOutputs;
        if (n === 1) {
          outs = this.net.forwardOne(obs[0]);
        } else {
          for (let e = 0; e < n; e++) {
            batchX.set(this.net.inputOf(obs[e]), e * xs);
            batchS.set(obs[e].state, e * ss);
          }
          outs = this.net.forward(batchX, batchS, n);
        }
        for (let e = 0; e < n; e++) {
          if (!live[e]) continue;
          const slot = e * p.rolloutSteps + t;
          r.x.set(this.net.inputOf(obs[e]), slot * xs);
          r.state.set(obs[e].state, slot * ss);
          const ot = obs[e].t;
          const a = this.sampleAction(outs, e, obs[e].state[0] ?? 0, r, slot);
          const step = envs[e].step(a.action, a.confidence, a.position);
          r.reward[slot] = step.reward * p.rewardScale;
          r.done[slot] = step.done ? 1 : 0;
          r.length[e] = t + 1;
          counter.count(a.action, a.explored);
          if (e === 0) {
            trace.push(ot, a.action, a.explored, step.units, step.portfolioValue, this.traceOutputs(outs, n));
            value0 = step.portfolioValue;
          }
          obs[e] = step.observation;
          if (step.done) live[e] = false;
        }
      }
      for (let e = 0; e < n; e++)
        lastValue[e] = live[e] && this.net.heads.value ? (this.net.forwardOne(obs[e]).value as Float32Array)[0] : 0;
      counter.addLoss(this.update(r, lastValue, counter));
      trace.learnedAt.push(obs[0].t);
    }
    return counter.stats(value0);
  }

  private traceRow: HeadOutputs = {};
  private traceOutputs(outs: HeadOutputs, n: number): HeadOutputs {
    if (n === 1) return outs;
    this.traceRow.value = outs.value?.subarray(0, this.net.heads.value ?? 0);
    this.traceRow.policy = outs.policy?.subarray(0, this.net.heads.policy ?? 0);
    this.traceRow.value = outs.value?.subarray(0, this.net.heads.value ?? 0);
    return this.traceRow;
  }

  /** Advantages and returns per env segment, then the gradient passes. Returns the mean loss. */
  private update(r: Rollout, lastValue: Float32Array, counter: EpochCounter): number {
    const p = this.params;
    const xs = this.net.xSize;
    const ss = this.net.stateSize;
    let total = 0;
    for (let e = 0; e < r.envs; e++) total += r.length[e];
    if (total === 0) return NaN;
    const x = new Float32Array(total * xs);
    const st = new Float32Array(total * ss);
    const act = new Int32Array(total);
    const pos = new Float32Array(total);
    const oldLogp = new Float32Array(total);
    const adv = new Float32Array(total);
    const ret = new Float32Array(total);
    const values = new Float32Array(total);
    let k = 0;
    for (let e = 0; e < r.envs; e++) {
      const len = r.length[e];
      if (!len) continue;
      const from = e * r.steps;
      const rew = r.reward.subarray(from, from + len);
      const done = r.done.subarray(from, from + len);
      const val = r.value.subarray(from, from + len);
      const a = adv.subarray(k, k + len);
      const g = ret.subarray(k, k + len);
      if (p.advantage === 'gae') {
        gae(rew, val, done, p.gamma, p.gaeLambda, lastValue[e], a);
        for (let i = 0; i < len; i++) g[i] = a[i] + val[i];
      } else {
        if (p.advantage === 'mc') discountedReturns(rew, done, p.gamma, lastValue[e], g);
        else nStepReturns(rew, val, done, p.gamma, p.nSteps, lastValue[e], g);
        for (let i = 0; i < len; i++) a[i] = g[i] - (this.net.heads.value ? val[i] : 0);
      }
      x.set(r.x.subarray(from * xs, (from + len) * xs), k * xs);
      st.set(r.state.subarray(from * ss, (from + len) * ss), k * ss);
      act.set(r.action.subarray(from, from + len), k);
      pos.set(r.position.subarray(from, from + len), k);
      oldLogp.set(r.logp.subarray(from, from + len), k);
      values.set(val, k);
      k += len;
    }
    if (!this.net.heads.value && p.advantage === 'mc') {
      // REINFORCE without a value head: the batch's mean return is the baseline
      let m = 0;
      for (let i = 0; i < total; i++) m += ret[i];
      m /= total;
      for (let i = 0; i < total; i++) adv[i] = ret[i] - m;
    }
    if (p.normaliseAdvantages && total > 1) normalise(adv);
    if (this.net.heads.value) counter.addDiagnostics({ explainedVariance: explainedVariance(values, ret) });

    const order = new Int32Array(total);
    for (let i = 0; i < total; i++) order[i] = i;
    const mb = Math.min(p.minibatchSize, total);
    const mbX = new Float32Array(mb * xs);
    const mbS = new Float32Array(mb * ss);
    const mbA = new Int32Array(mb);
    const mbPos = new Float32Array(mb);
    const mbOld = new Float32Array(mb);
    const mbAdv = new Float32Array(mb);
    const mbRet = new Float32Array(mb);
    const minibatch: OnPolicyMinibatch = { act: mbA, pos: mbPos, oldLogp: mbOld, adv: mbAdv, ret: mbRet };
    let lossSum = 0;
    let lossN = 0;
    for (let epoch = 0; epoch < p.epochsPerRollout; epoch++) {
      this.rng.shuffle(order);
      for (let start = 0; start < total; start += mb) {
        const size = Math.min(mb, total - start);
        for (let i = 0; i < size; i++) {
          const row = order[start + i];
          mbX.set(x.subarray(row * xs, (row + 1) * xs), i * xs);
          mbS.set(st.subarray(row * ss, (row + 1) * ss), i * ss);
          mbA[i] = act[row];
          mbPos[i] = pos[row];
          mbOld[i] = oldLogp[row];
          mbAdv[i] = adv[row];
          mbRet[i] = ret[row];
        }
        lossSum += this.gradientStep(mbX, mbS, minibatch, size, counter);
        lossN++;
      }
    }
    if (this.logStd) this.logStdValue = this.logStd.dataSync()[0];
    return lossSum / lossN;
  }

  private gradientStep(
    x: Float32Array,
    st: Float32Array,
    mb: OnPolicyMinibatch,
    size: number,
    counter: EpochCounter,
  ): number {
    const p = this.params;
    const observed: Record<string, number> = {};
    const loss = onPolicyLoss(this.net, mb, size, p, this.logStd, observed);
    const value = this.net.train(x, st, size, loss, this.optimizer, {
      clipNorm: p.clipNorm,
      extraVars: this.logStd ? [this.logStd] : [],
      stats: this.stepStats,
    });
    counter.addDiagnostics({ ...observed, gradNorm: this.stepStats.gradNorm });
    return value;
  }

  decide(obs: Observation): Decision {
    return greedyDecision(this.net, this.net.forwardOne(obs), obs.state[0] ?? 0, this.probs);
  }

  extraState(): Record<string, number> {
    return this.continuous ? { logStd: this.logStdValue } : {};
  }

  dispose(): void {
    this.optimizer.dispose();
    this.logStd?.dispose();
  }
}
