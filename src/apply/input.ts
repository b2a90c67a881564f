// What an apply is given: the plan, and everything it was made from.
import type { Addon } from '../config/schema.js';
import type { Spec } from '../config/spec.js';
import type { Runner } from '../exec/runner.js';
import type { Observed } from '../observe/evaluate.js';
import type { Plan } from '../plan/types.js';
import type { Provider } from '../providers/types.js';

export interface ApplyInput {
  runner: Runner;
  spec: Spec;
  provider: Provider;
  context: string;
  plan: Plan;
  observed: Observed;
  catalog: Map<string, Addon>;
  meshupVersion: string;
}
