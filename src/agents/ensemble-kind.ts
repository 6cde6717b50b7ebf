/**
 * The ways an ensemble of seeds combines (`--ensemble vote|mean`, src/agents/ensemble.ts) and the networks a saved
 * ensemble's folder holds: apart from the ensemble so that checking the flag, or a saved folder before tfjs
 * (model-folder-check.ts), does not load the learners and TensorFlow.js.
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

/** The network keys of a saved ensemble of `members` seeds (model-files.ts): `model`, `member1`, `member2`, … */
export function ensembleMemberKeys(members: number): string[] {
  return ['model', ...Array.from({ length: Math.max(0, members - 1) }, (_, i) => `member${i + 1}`)];
}

/**
 * What a saved ensemble (meta.json learner.ensemble, its `margins` one per member) lacks of the networks its folder
 * holds (`has`), or of valid margins; undefined when nothing. Loading it and checking its folder before tfjs say alike.
 */
export function ensembleLacks(ens: { margins: unknown }, has: (key: string) => boolean): string | undefined {
  const margins = Array.isArray(ens.margins) ? (ens.margins as unknown[]) : [];
  const missing = ensembleMemberKeys(margins.length).filter((k) => !has(k));
  const valid =
    Array.isArray(ens.margins) && margins.every((m) => typeof m === 'number' && Number.isFinite(m) && m >= 0);
  if (!missing.length && valid) return undefined;
  return `ensemble of ${margins.length} lacks ${missing.join(', ') || 'valid margins'}`;
}
