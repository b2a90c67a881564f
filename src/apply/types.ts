import type { Gates } from './gates.js';
import type { ApplyInput } from './input.js';
import type { StepKind } from './order.js';
import type { Resources } from './resources.js';

/** What a step learns that a later one, or the caller, needs. */
export interface Facts {
  /** The control plane was (re)installed or repaired: istio-system objects read before are stale. */
  istioChanged: boolean;
  /** istioctl reported Istio's core in (and so istio-system made). */
  istioCoreIn: boolean;
}

export interface StepContext {
  input: ApplyInput;
  gates: Gates;
  resources: Resources;
  facts: Facts;
  /** A progress line, shown by the step's task (kept until the task shows, for a step ahead of it). */
  progress: (line: string) => void;
  /** Aborted when the prepare group fails while this step runs ahead of its group. */
  signal: AbortSignal;
  /** Whether every other step of its group succeeded (for the steps that go last). */
  othersSucceeded: () => Promise<boolean>;
}

export type Note = string | undefined | void | { skipped: string };

export interface Step {
  kind: StepKind;
  title: string;
  run: (x: StepContext) => Promise<Note>;
}
