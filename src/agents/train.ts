/** The training loop over epochs: ε schedule, validation, early stopping, the epoch log line and summaries. */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Candles } from '../core/candles.ts';
import type { LearningEnv } from './learning-env.ts';
import { EpochTrace, type EpochStats } from './learners/epoch-trace.ts';
import type { Learner } from './learners/learner.ts';
import { epsilonAt, type EpsilonSchedule } from './learners/schedule.ts';
import { writeEpochSummaryPng, type CurvePoint } from './epoch-summary.ts';
import { EpochChooser } from './epoch-choice.ts';

/**
 * One validation: Sharpe after costs and return (means over the validation windows), and, when selection scores
 * candidates (issue 13), the score that chooses, the switching margin it chose and the trades it made.
 */
export interface ValidationResult {
  sharpe: number;
  totalReturn: number;
  score?: number;
  margin?: number;
  trades?: number;
}

interface EpochRecord extends CurvePoint {
  stats: EpochStats;
  seconds: number;
  validation?: ValidationResult;
}

interface TrainOptions {
  learner: Learner;
  envs: LearningEnv[];
  epochs: number;
  exploration: EpsilonSchedule;
  /** Greedy run(s) on validation; the score (or, without one, the Sharpe after costs) selects the model. */
  validate?: () => ValidationResult;
  validateEvery: number;
  /** Stop after this many validations without improvement (0: never). */
  patience: number;
  /** Choose the epoch by its score's mean with this many neighbouring validations each side (./epoch-choice.ts). */
  smoothEpochs?: number;
  logger: Logger;
  /** Shown in the epoch log line, e.g. the symbol. */
  label: string;
  /** Epoch summary PNGs every N epochs into `summaryDir` (0 or no dir: none). */
  summaryEvery?: number;
  summaryDir?: string;
  candles?: Candles;
  /** cli-progress bar on stderr (only when stderr is a TTY). */
  progress?: boolean;
}

export interface TrainOutcome {
  epochs: EpochRecord[];
  bestEpoch: number;
  bestSharpe: number;
  /** The best epoch's validation score (its Sharpe when no score is computed) and the margin chosen with it. */
  bestScore: number;
  bestMargin: number;
  stoppedEarly: boolean;
  seconds: number;
  summaries: string[];
}

/** The epoch line's names for the training diagnostics (EpochStats.diagnostics), in the order they are printed. */
const DIAGNOSTIC_LABELS: readonly (readonly [key: string, label: string])[] = [
  ['approxKl', 'KL'],
  ['clipFraction', 'ClipFrac'],
  ['entropy', 'Entropy'],
  ['explainedVariance', 'ExplVar'],
  ['meanQ', 'MeanQ'],
  ['tdError', 'TDErr'],
  ['gradNorm', 'GradNorm'],
  ['nonFiniteLosses', 'NaNLoss'],
];

/** ` KL:0.001234 Entropy:1.092 …`: four significant digits each, only the diagnostics the learner reported. */
export function formatDiagnostics(d: Record<string, number>): string {
  return DIAGNOSTIC_LABELS.filter(([key]) => key in d)
    .map(([key, label]) => ` ${label}:${d[key].toPrecision(4)}`)
    .join('');
}

function snapshot(learner: Learner): tf.Tensor[] {
  return learner.net.model.getWeights().map((w) => w.clone());
}

/**
 * Epochs over the training range in RLTrader's spirit: ε from the schedule, one log line per epoch
 * (epoch/total, ε, explorations, #buy/#sell/#hold, portfolio value, loss, training diagnostics, seconds), validation
 * after costs, the best weights kept, early stopping, epoch summary pictures. Ends with the best weights in the
 * learner's net.
 */
export async function trainAgent(o: TrainOptions): Promise<TrainOutcome> {
  const started = performance.now();
  const net = o.learner.net;
  const trace = new EpochTrace(net.heads.value ?? 0, net.heads.policy ?? 0);
  const records: EpochRecord[] = [];
  const summaries: string[] = [];
  const chooser = new EpochChooser(o.smoothEpochs ?? 0);
  let stoppedEarly = false;
  // learning updates so far: an epoch before the first one holds the network as it was drawn, not a learned agent
  let learned = 0;
  const digits = String(o.epochs).length;
  const bar =
    o.progress && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: 'training [{bar}] {value}/{total} epochs | ε {eps} | val Sharpe {sharpe}',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(o.epochs, 0, { eps: '-', sharpe: '-' });
  if (o.summaryDir && o.summaryEvery) mkdirSync(o.summaryDir, { recursive: true });
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const t0 = performance.now();
      const epsilon = epsilonAt(o.exploration, epoch - 1, o.epochs);
      trace.reset();
      const stats = o.learner.runEpoch(o.envs, epsilon, trace);
      const seconds = (performance.now() - t0) / 1000;
      const record: EpochRecord = {
        epoch,
        epsilon,
        stats,
        seconds,
        portfolioValue: stats.portfolioValue,
        loss: stats.loss,
      };
      learned += stats.updates;
      // a DQN learns once its replay holds `warmup` transitions: on a short series the first epochs never update the
      // network, and their untrained weights, validated like the rest, were chosen and saved as the trained agent
      const untrained = learned === 0;
      if (o.validate && !untrained && (epoch % o.validateEvery === 0 || epoch === o.epochs)) {
        const v = o.validate();
        const sharpe = Number.isFinite(v.sharpe) ? v.sharpe : 0;
        const score = v.score === undefined ? sharpe : Number.isFinite(v.score) ? v.score : 0;
        record.validation = { ...v, sharpe, ...(v.score !== undefined ? { score } : {}) };
        record.validationSharpe = sharpe;
        chooser.offer({ epoch, score, sharpe, margin: v.margin ?? 0 }, () => snapshot(o.learner));
      }
      records.push(record);
      const e = String(epoch).padStart(digits, '0');
      const v = record.validation;
      const scored =
        v?.score !== undefined ? ` Score ${v.score.toFixed(3)} Margin ${v.margin ?? 0} Trades ${v.trades ?? 0}` : '';
      const val = v
        ? ` Val:Sharpe ${v.sharpe.toFixed(3)} Ret ${(v.totalReturn * 100).toFixed(2)}%${scored}`
        : untrained && o.validate
          ? ' Val: none (no learning update yet: not a candidate)'
          : '';
      o.logger.info(
        `[${o.label}][Epoch ${e}/${o.epochs}] Epsilon:${epsilon.toFixed(4)} ` +
          `#Expl.:${stats.explorations}/${stats.steps} ` +
          `#Buy:${stats.buys} #Sell:${stats.sells} #Hold:${stats.holds} ` +
          `PV:${Math.round(stats.portfolioValue).toLocaleString('en-US')} ` +
          `LC:${stats.updates} Loss:${stats.loss.toFixed(6)}${formatDiagnostics(stats.diagnostics)}${val} ` +
          `ET:${seconds.toFixed(4)}`,
      );
      bar?.update(epoch, {
        eps: epsilon.toFixed(3),
        sharpe: record.validation ? record.validation.sharpe.toFixed(2) : '-',
      });
      const lastEpoch = epoch === o.epochs || (o.patience > 0 && chooser.sinceBest >= o.patience);
      if (o.summaryDir && o.summaryEvery && o.candles && (epoch % o.summaryEvery === 0 || lastEpoch)) {
        const file = path.join(o.summaryDir, `epoch_summary_${e}.png`);
        await writeEpochSummaryPng(file, {
          title:
            `${o.label} ${o.learner.kind} epoch ${e}/${o.epochs}  ε ${epsilon.toFixed(3)} ` +
            ` PV ${Math.round(stats.portfolioValue).toLocaleString('en-US')}`,
          candles: o.candles,
          trace,
          initialValue: o.envs[0].initialValue,
          ...(net.continuous ? { policyLabels: ['target position', 'cash share'] } : {}),
        });
        summaries.push(file);
      }
      if (o.patience > 0 && chooser.sinceBest >= o.patience) {
        stoppedEarly = true;
        const b = chooser.best!;
        o.logger.info(
          `[${o.label}] early stop after epoch ${epoch}: ` +
            `no better validation ${record.validation?.score !== undefined ? 'score' : 'Sharpe'} ` +
            `for ${o.patience} validations (best ${b.chosenOn.toFixed(3)} at epoch ${b.epoch})`,
        );
        break;
      }
    }
  } finally {
    bar?.stop();
  }
  chooser.finish();
  if (learned === 0) {
    chooser.dispose();
    const steps = records[0]?.stats.steps ?? 0;
    throw new UserError(
      `[${o.label}] training never updated the network: ${records.length} epoch(s) of ${steps} steps, and the ` +
        `${o.learner.kind} learner had not started learning (` +
        (o.learner.idleReason?.() ?? 'a DQN learns once its replay holds learner.warmup transitions') +
        '): give more data or epochs, or a smaller learner.warmup',
    );
  }
  const best = chooser.best;
  if (best) {
    net.model.setWeights(best.weights);
    net.sync();
    if (o.smoothEpochs) {
      o.logger.info(
        `[${o.label}] chosen epoch ${best.epoch}: smoothed validation score ${best.chosenOn.toFixed(3)} ` +
          `(its own ${best.score.toFixed(3)}, ±${o.smoothEpochs} validations)`,
      );
    }
  }
  chooser.dispose();
  const finite = (x: number) => (Number.isFinite(x) ? x : 0);
  return {
    epochs: records,
    bestEpoch: best?.epoch ?? records.length,
    bestSharpe: finite(best?.sharpe ?? 0),
    bestScore: finite(best?.score ?? 0),
    bestMargin: best?.margin ?? 0,
    stoppedEarly,
    seconds: (performance.now() - started) / 1000,
    summaries,
  };
}
