// What every command receives: the terminal, the output, the interrupt signal, the flags, and
// a factory for the one runner that starts programs.

import type { Flags } from '../config/flags.js';
import type { Runner } from '../exec/runner.js';
import type { IO } from '../ui/io.js';
import type { Output } from '../ui/output.js';

export interface App {
  io: IO;
  out: Output;
  signal: AbortSignal;
  flags: Flags;
  version: string;
  /** The runner for this invocation; created once, stopped by the error boundary. */
  runner(): Runner;
}

// execa and the runner load only once a command runs, keeping --version and --help fast.
export async function createApp(io: IO, out: Output, signal: AbortSignal, flags: Flags, version: string, track: (r: Runner) => void): Promise<App> {
  const { Runner } = await import('../exec/runner.js');
  let runner: Runner | undefined;
  return {
    io,
    out,
    signal,
    flags,
    version,
    runner() {
      if (!runner) {
        runner = new Runner({ env: io.env, cwd: io.cwd, dryRun: !!flags.dryRun, verbose: !!flags.verbose, log: (l) => out.log(l), signal });
        track(runner);
      }
      return runner;
    },
  };
}
