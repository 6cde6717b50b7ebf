import type { Config } from '../config/schema.ts';
import { UserError } from '../errors.ts';
import type { SizingOptions } from '../market/execution.ts';
import { resolveModel } from './model-pointer.ts';
import type { PolicySource } from './types.ts';

/**
 * A saved model home (`models/<name>`) as a policy source. The serving version is re-read from the pointer at every
 * tick, so a promotion is picked up without a restart.
 */
export async function modelPolicySource(home: string, _config: Config): Promise<{ source: PolicySource; sizing: SizingOptions }> {
  resolveModel(home);
  throw new UserError(`--model ${home}: trading saved models needs the learners' agent policy (src/agents/agent-policy.ts), not available yet`);
}
