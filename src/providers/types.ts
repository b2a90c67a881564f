// What every cluster provider does. `up` asks for the state, then creates, starts or reuses;
// `down` deletes only what meshup created.
import type { Runner, ToolName } from '../exec/runner.js';
import type { Options } from '../config/resolve.js';
import type { ProviderName } from '../config/schema.js';

export type ClusterState = 'absent' | 'running' | 'stopped' | 'paused' | 'broken';

export interface ClusterStatus {
  state: ClusterState;
  detail?: string;
}

export interface Provider {
  readonly name: ProviderName;
  /** Programs it drives besides kubectl. */
  readonly tools: readonly ToolName[];
  /** Runs inside Docker, so Docker's VM limits apply. */
  readonly usesDocker: boolean;
  /** Whether it can create clusters; `existing` only uses one. */
  readonly creates: boolean;
  context(opts: Options): string;
  status(runner: Runner, opts: Options): Promise<ClusterStatus>;
  create(runner: Runner, opts: Options): Promise<void>;
  start(runner: Runner, opts: Options): Promise<void>;
  delete(runner: Runner, opts: Options): Promise<void>;
}
