// The task list runner. The renderer is chosen once: the live tree in a terminal, plain lines
// when not a TTY or under CI, nothing under --json. Tasks are plain data built by factories.
import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import { isCI, type IO } from './io.js';

type RendererKind = 'default' | 'simple' | 'silent';

function chooseRenderer(io: IO, json: boolean): RendererKind {
  if (json) return 'silent';
  if (!io.stderr.isTTY || isCI(io.env)) return 'simple';
  return 'default';
}

export interface StepTask<Ctx> {
  title: string;
  /** Resolve to a short note shown after the title (e.g. "reused", "skipped: unchanged"). */
  run: (ctx: Ctx, task: { output: string; title: string }) => Promise<string | void>;
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

function toListr<Ctx>(steps: StepTask<Ctx>[], results: StepResult[]): ListrTask<Ctx>[] {
  return steps.map((s) => ({
    title: s.title,
    skip: s.skip ? (ctx: Ctx) => s.skip!(ctx) : undefined,
    task: async (ctx, task) => {
      const started = Date.now();
      const result: StepResult = { title: s.title, status: 'done', ms: 0 };
      results.push(result);
      try {
        const note = await s.run(ctx, task);
        if (note) {
          task.title = `${s.title} (${note})`;
          result.note = note;
        }
        if (s.children) {
          const kids = s.children(ctx);
          if (kids.length) return task.newListr(toListr(kids, results), { concurrent: s.concurrent ?? false, exitOnError: true });
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

export async function runSteps<Ctx extends object>(io: IO, json: boolean, steps: StepTask<Ctx>[], ctx: Ctx): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const renderer = chooseRenderer(io, json);
  // Progress belongs on stderr, leaving stdout for the result.
  const output = new ProcessOutput(io.stderr as NodeJS.WriteStream, io.stderr as NodeJS.WriteStream);
  const logger = new ListrLogger({ useIcons: true, processOutput: output });
  const list = new Listr<Ctx, 'default' | 'simple' | 'silent', 'simple'>(toListr(steps, results), {
    renderer,
    fallbackRenderer: 'simple',
    exitOnError: true,
    registerSignalListeners: false,
    collectErrors: false,
    rendererOptions: { collapseErrors: false, showErrorMessage: false, processOutput: output, logger },
    fallbackRendererOptions: { processOutput: output, logger },
  } as never);
  await list.run(ctx);
  return results;
}
