// Carrying out a plan: its steps (apply/steps.ts) as tasks, started in the order apply/order.ts
// declares. A task shows its step; the step's work starts once its gates are open, or ahead of
// its group where the order says so. The first failure halts what still waits, and a failure of
// the prepare group stops what started ahead of it, which is awaited so no istioctl is left
// running and the failure reported is that group's own.
import type { StepTask } from '../ui/tasks.js';
import { Gates, Halted } from './gates.js';
import type { ApplyInput } from './input.js';
import { ORDER, type StepOrder, WAITING_FOR } from './order.js';
import { Resources } from './resources.js';
import { stepsOf } from './steps.js';
import type { Facts, Step, StepContext } from './types.js';

type Task = StepTask<unknown>;
type TaskView = { output: string };

export interface Applying {
  tasks: Task[];
  /** Open as the steps go: the caller reads the gateway once `cluster-ready` and the ingress are in. */
  gates: Gates;
  facts: Facts;
}

/** A step's run, started once; its outcome as the steps after it see it. */
class Running {
  view?: TaskView;
  last = '';
  work?: Promise<unknown>;
  private settle: { resolve: () => void; reject: (e: unknown) => void } = { resolve: () => {}, reject: () => {} };
  readonly outcome = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    readonly step: Step,
    readonly order: StepOrder,
  ) {
    this.outcome.catch(() => undefined);
  }

  progress = (line: string) => {
    this.last = line;
    if (this.view) this.view.output = line;
  };

  settled(ok: boolean, e?: unknown) {
    if (ok) this.settle.resolve();
    else this.settle.reject(e);
  }
}

export function applyTasks(input: ApplyInput): Applying {
  const steps = stepsOf(input).map((s) => new Running(s, ORDER.get(s.kind)!));
  const gates = new Gates(steps.flatMap((r) => r.order.opens ?? []));
  const facts: Facts = { istioChanged: false, istioCoreIn: false };
  const resources = new Resources(input, () => gates.opens('cluster-underway'));
  const ahead = new AbortController();

  const context = (r: Running): StepContext => ({
    input,
    gates,
    resources,
    facts,
    progress: r.progress,
    signal: ahead.signal,
    othersSucceeded: () =>
      Promise.all(steps.filter((o) => o !== r && o.order.group === r.order.group).map((o) => o.outcome)).then(
        () => true,
        () => false,
      ),
  });
  const start = (r: Running): Promise<unknown> => {
    if (!r.work) {
      r.work = r.step.run(context(r));
      r.work.then(
        () => r.settled(true),
        (e: unknown) => {
          gates.halt();
          r.settled(false, e);
        },
      );
      if (r.order.doneAt) void gates.opens(r.order.doneAt).then(() => r.settled(true));
    }
    return r.work;
  };
  for (const r of steps) {
    if (r.order.ahead)
      gates.wait(...r.order.ahead).then(
        // Its outcome is its task's to report.
        () => void start(r),
        () => undefined,
      );
  }

  const taskOf = (r: Running): Task => ({
    title: r.step.title,
    run: async (_ctx, view) => {
      r.view = view;
      if (r.last) view.output = r.last;
      // Started ahead of its group: the task shows that run, and its outcome, whatever else failed.
      if (r.work) return r.work as ReturnType<Task['run']>;
      const waits = (r.order.after ?? []).filter((g) => !gates.isOpen(g));
      if (waits.length && WAITING_FOR[waits[0]!]) view.output = `waiting for ${WAITING_FOR[waits[0]!]}`;
      try {
        await gates.wait(...waits);
      } catch (e) {
        if (!(e instanceof Halted)) throw e;
        r.settled(false, e);
        return { skipped: e.message };
      }
      return start(r) as ReturnType<Task['run']>;
    },
  });
  // A prepare step that fails stops the steps started ahead of their group, and waits for them.
  const prepareTaskOf = (r: Running): Task => {
    const task = taskOf(r);
    return {
      ...task,
      run: (ctx, view) =>
        task.run(ctx, view).catch(async (e: unknown) => {
          ahead.abort();
          await Promise.allSettled(steps.filter((o) => o.order.ahead && o.work).map((o) => o.work));
          throw e;
        }),
    };
  };

  const group = (title: string, children: Task[]): Task[] =>
    children.length === 0 ? [] : children.length === 1 ? children : [{ title, run: async () => undefined, children: () => children, concurrent: true }];
  const prepare = steps.filter((r) => r.order.group === 'prepare').map(prepareTaskOf);
  const mesh = steps.filter((r) => r.order.group === 'mesh').map(taskOf);
  return { tasks: [...group('Cluster and Istio release', prepare), ...group('Mesh', mesh)], gates, facts };
}

export type { ApplyInput };
