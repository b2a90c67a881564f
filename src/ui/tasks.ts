// The task list runner. The renderer is chosen once: the live tree in a terminal, plain lines
// when not a TTY or under CI, nothing under --json. Tasks are plain data built by factories.
import type { ListrTask } from 'listr2';
import { type IO, isCI } from './io.js';

type RendererKind = 'default' | 'simple' | 'silent';

function chooseRenderer(io: IO, json: boolean): RendererKind {
  if (json) return 'silent';
  if (!io.stderr.isTTY || isCI(io.env)) return 'simple';
  return 'default';
}

export interface StepTask<Ctx> {
  title: string;
  /** Resolve to a short note shown after the title (e.g. "reused"), or to `{ skipped }` when it
   * found, once started, that it has nothing to do. */
  run: (ctx: Ctx, task: { output: string; title: string }) => Promise<string | void | { skipped: string }>;
  skip?: (ctx: Ctx) => string | false;
  /** Subtasks run concurrently. */
  children?: (ctx: Ctx) => StepTask<Ctx>[];
  concurrent?: boolean;
}

export interface StepResult {
  title: string;
  status: 'done' | 'skipped' | 'failed';
  note?: string;
  ms: number;
}

function toListr<Ctx>(steps: StepTask<Ctx>[], results: StepResult[], running: Set<Promise<unknown>>): ListrTask<Ctx>[] {
  return steps.map((s) => ({
    title: s.title,
    skip: s.skip ? (ctx: Ctx) => s.skip!(ctx) : undefined,
    task: async (ctx, task) => {
      const started = Date.now();
      const result: StepResult = { title: s.title, status: 'done', ms: 0 };
      results.push(result);
      try {
        const work = s.run(ctx, task);
        running.add(work);
        const note = await work;
        if (typeof note === 'object') {
          result.status = 'skipped';
          result.note = note.skipped;
          task.skip(note.skipped);
          return undefined;
        }
        if (note) {
          task.title = `${s.title} (${note})`;
          result.note = note;
        }
        if (s.children) {
          const kids = s.children(ctx);
          if (kids.length) return task.newListr(toListr(kids, results, running), { concurrent: s.concurrent ?? false, exitOnError: true });
        }
      } catch (e) {
        result.status = 'failed';
        throw e;
      } finally {
        result.ms = Date.now() - started;
      }
      return undefined;
    },
  }));
}

/** Runs the steps; `results` fills as they go, so a caller still has them when one fails. */
export async function runSteps<Ctx extends object>(io: IO, json: boolean, steps: StepTask<Ctx>[], ctx: Ctx, results: StepResult[] = []): Promise<StepResult[]> {
  // listr2 loads only when there is work to show: a converged re-run never pays for it.
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const renderer = chooseRenderer(io, json);
  // Progress belongs on stderr, leaving stdout for the result.
  const output = new ProcessOutput(io.stderr as NodeJS.WriteStream, io.stderr as NodeJS.WriteStream);
  const logger = new ListrLogger({ useIcons: true, processOutput: output });
  const running = new Set<Promise<unknown>>();
  const list = new Listr<Ctx, 'default' | 'simple' | 'silent', 'simple'>(toListr(steps, results, running), {
    renderer,
    fallbackRenderer: 'simple',
    exitOnError: true,
    registerSignalListeners: false,
    collectErrors: false,
    rendererOptions: { collapseErrors: false, showErrorMessage: false, processOutput: output, logger },
    fallbackRendererOptions: { processOutput: output, logger },
  } as never);
  try {
    await list.run(ctx);
  } finally {
    // When one task fails, listr2 stops waiting for its siblings; meshup does not return (nor exit)
    // until each has finished, so a sibling's clean-up (a removed node, a deleted download) is done.
    await Promise.allSettled(running);
  }
  return results;
}
