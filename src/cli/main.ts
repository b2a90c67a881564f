// The entry point's one error boundary: parses argv (cli/program.ts), runs the command, and
// turns whatever it throws into a message and an exit code. Ctrl-C stops every runner's children.
import { setMaxListeners } from 'node:events';
import { type Command, CommanderError } from 'commander';
import { ExitCode, InterruptedError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { createApp } from '../session/app.js';
import { colorEnabled, type IO, processIO } from '../ui/io.js';
import { buildProgram, VERSION } from './program.js';
import { commanderError, errorDocument, formatError, helpFix } from './report.js';

export async function main(argv: string[], io: IO = processIO()): Promise<number> {
  const controller = new AbortController();
  // Every command a run has under way listens for Ctrl-C: a mesh of several clusters has dozens.
  setMaxListeners(100, controller.signal);
  let interrupts = 0;
  const runners: Runner[] = [];
  const onSignal = () => {
    interrupts++;
    controller.abort();
    if (interrupts === 1) io.stderr.write('\nStopping (press Ctrl-C again to stop waiting)...\n');
    // The second one keeps the promise: children are killed at once, nothing is waited for.
    else for (const r of runners) r.killAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let color = colorEnabled(io, !argv.includes('--no-color'));
  let verbose = argv.includes('--verbose') || argv.includes('-v');
  // Known before parsing, so that a usage error under --json is a JSON document too.
  let json = argv.includes('--json');
  let out: { wroteResult: boolean } | undefined;
  let exitCode: number = ExitCode.ok;
  let program: Command | undefined;
  try {
    program = buildProgram(
      io,
      async (flags) => {
        color = colorEnabled(io, flags.color);
        verbose = !!flags.verbose;
        json = !!flags.json;
        const { Output } = await import('../ui/output.js');
        const output = new Output(io, json, color);
        out = output;
        return createApp(io, output, controller.signal, flags, VERSION, (r) => runners.push(r));
      },
      async (_app, fn) => {
        const code = await fn();
        if (typeof code === 'number') exitCode = code;
      },
    );
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const quiet = e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help');
    if (quiet) {
      exitCode = ExitCode.ok;
    } else {
      // Ctrl-C at a question reaches the prompt as a key, not as a signal: it is an interrupt too.
      const interrupted = controller.signal.aborted || (e instanceof Error && e.name === 'ExitPromptError');
      const err = e instanceof CommanderError ? commanderError(e, program, argv) : interrupted ? new InterruptedError() : e;
      const { Chalk } = await import('chalk');
      const paint = new Chalk({ level: color ? 1 : 0 });
      const usageFix = helpFix(program, argv);
      const { text, exitCode: code } = formatError(err, paint, verbose, usageFix);
      io.stderr.write(`${text}\n`);
      // Under --json stdout carries exactly one document: the command's result if it wrote one
      // (up reports its failed steps), else this error.
      if (json && !out?.wroteResult) io.stdout.write(`${JSON.stringify({ error: errorDocument(err, verbose, usageFix) }, null, 2)}\n`);
      exitCode = code;
    }
  } finally {
    await Promise.all(runners.map((r) => r.stopAll()));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}
