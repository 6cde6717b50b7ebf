/**
 * Which validated epoch's weights a training run keeps (issue 13, "selection that predicts the test"): the best
 * validation score, or with `smooth` k > 0 the best mean of an epoch's score and its k neighbouring validations' on
 * each side (the ends use the neighbours that exist). Why smooth: consecutive epochs' weights are close, so one
 * epoch's spike on a few short validation windows is mostly noise, while a plateau of good epochs is less likely to
 * be; the choice is then less selective (its score is less biased upward by the many epochs tried).
 */
import * as tf from '@tensorflow/tfjs';

/** What one validation said about its epoch's weights. */
interface EpochScore {
  epoch: number;
  score: number;
  sharpe: number;
  margin: number;
}

interface Pending extends EpochScore {
  weights: tf.Tensor[];
}

interface ChosenEpoch extends EpochScore {
  /** The score the choice was made on: `score` itself without smoothing, the neighbourhood mean with it. */
  chosenOn: number;
  weights: tf.Tensor[];
}

export class EpochChooser {
  /** Every validation's score, in order (the neighbourhoods read them). */
  private readonly scores: number[] = [];
  /** Validations whose neighbourhood is not complete yet, oldest first, with a copy of their weights. */
  private readonly pending: Pending[] = [];
  private chosen: ChosenEpoch | undefined;
  /** Decided validations since the chosen one improved. */
  sinceBest = 0;

  constructor(private readonly smooth: number) {}

  get best(): ChosenEpoch | undefined {
    return this.chosen;
  }

  /** Records one validation; `weights` is called for a copy of the epoch's weights (the chooser owns it). */
  offer(v: EpochScore, weights: () => tf.Tensor[]): void {
    this.scores.push(v.score);
    // without smoothing a validation no better than the chosen one is decided at once: its weights are never copied
    if (this.smooth === 0 && this.chosen && !(v.score > this.chosen.chosenOn)) {
      this.sinceBest++;
      return;
    }
    this.pending.push({ ...v, weights: weights() });
    // the oldest pending validation's neighbourhood is complete once `smooth` validations followed it
    while (this.pending.length > this.smooth) this.decide(this.scores.length - this.pending.length, this.scores.length);
  }

  /** Decides the validations still pending (the last ones: their neighbourhoods end at the last validation). */
  finish(): void {
    while (this.pending.length > 0) this.decide(this.scores.length - this.pending.length, this.scores.length);
  }

  /** Frees every copy of weights the chooser still holds (the chosen one's included). */
  dispose(): void {
    for (const p of this.pending.splice(0)) tf.dispose(p.weights);
    if (this.chosen) tf.dispose(this.chosen.weights);
    this.chosen = undefined;
  }

  private decide(index: number, count: number): void {
    const p = this.pending.shift()!;
    const from = Math.max(0, index - this.smooth);
    const to = Math.min(count, index + this.smooth + 1);
    let sum = 0;
    for (let i = from; i < to; i++) sum += this.scores[i];
    const chosenOn = sum / (to - from);
    // strictly better: ties keep the earlier epoch
    if (!this.chosen || chosenOn > this.chosen.chosenOn) {
      if (this.chosen) tf.dispose(this.chosen.weights);
      this.chosen = { ...p, chosenOn };
      this.sinceBest = 0;
    } else {
      tf.dispose(p.weights);
      this.sinceBest++;
    }
  }
}
