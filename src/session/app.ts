// What every command receives: the terminal, the output, the interrupt signal, the flags and the
// run's switches, the sources of its spec (each read once), and the one runner that starts
// programs, bound to no cluster (session/target.ts binds a copy to the target's context).
import type { ClusterSet, SetMember } from '../config/cluster-set.js';
import { type Flags, type RunSwitches, switchesOf } from '../config/flags.js';
import type { Runner } from '../exec/runner.js';
import type { IO } from '../ui/io.js';
import type { Output } from '../ui/output.js';
import { Sources } from './sources.js';

export interface App {
  io: IO;
  out: Output;
  signal: AbortSignal;
  flags: Flags;
  switches: RunSwitches;
  sources: Sources;
  version: string;
  /** Set when the command acts on one cluster of a set that forms one mesh (session/cluster-set.ts). */
  member?: { set: ClusterSet; member: SetMember /** The App the set's command runs under: it holds the locks. */; of: App };
  /** The runner for this invocation; created once, stopped by the error boundary. */
  runner(): Runner;
}

// execa and the runner load only once a command runs, keeping --version and --help fast.
export async function createApp(io: IO, out: Output, signal: AbortSignal, flags: Flags, version: string, track: (r: Runner) => void): Promise<App> {
  const { Runner } = await import('../exec/runner.js');
  const switches = switchesOf(flags);
  let runner: Runner | undefined;
  return {
    io,
    out,
    signal,
    flags,
    switches,
    sources: new Sources(io.env, io.cwd, flags),
    version,
    runner() {
      if (!runner) {
        runner = new Runner({ env: io.env, cwd: io.cwd, dryRun: switches.dryRun, verbose: switches.verbose, log: (l) => out.log(l), signal });
        track(runner);
      }
      return runner;
    },
  };
}
