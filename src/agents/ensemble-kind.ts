/**
 * The ways an ensemble of seeds combines (`--ensemble vote|mean`, src/agents/ensemble.ts): apart from the ensemble so
 * that checking the flag does not load the learners and TensorFlow.js.
 */
import { UserError } from '../core/errors.ts';

const ENSEMBLE_KINDS = ['vote', 'mean'] as const;
export type EnsembleKind = (typeof ENSEMBLE_KINDS)[number];

/** Whether `v` names a way to combine (a saved model's meta.json is checked with it, naming its own key). */
export function isEnsembleKind(v: unknown): v is EnsembleKind {
  return (ENSEMBLE_KINDS as readonly unknown[]).includes(v);
}

/** `--ensemble` as given on the command line, checked. */
export function parseEnsembleKind(v: string): EnsembleKind {
  if (!isEnsembleKind(v)) throw new UserError(`--ensemble must be one of ${ENSEMBLE_KINDS.join(', ')}, got '${v}'`);
  return v as EnsembleKind;
}
