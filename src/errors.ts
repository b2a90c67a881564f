// Typed failures. Every error a user can cause or meet is one of these; the error boundary in
// cli/main.ts turns them into a message, a fix and an exit code. Anything else is a bug.

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  preflight: 3,
  refused: 4,
  /** Another meshup command is changing the same cluster, and --no-wait said not to wait. */
  busy: 5,
  /** `meshup plan`: the cluster differs from the spec; `meshup up` would change it. */
  changesPending: 10,
  interrupted: 130,
} as const;

export interface ErrorDetails {
  /** What the user can do about it, one or more lines. */
  fix?: string | string[];
  /** Extra lines shown under the message (a stderr tail, a list of findings). */
  details?: string[];
  /** Process exit code. */
  exitCode?: number;
}

export class MeshupError extends Error {
  readonly fix: string[];
  readonly details: string[];
  readonly exitCode: number;

  constructor(message: string, opts: ErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.fix = opts.fix === undefined ? [] : Array.isArray(opts.fix) ? opts.fix : [opts.fix];
    this.details = opts.details ?? [];
    this.exitCode = opts.exitCode ?? ExitCode.failed;
  }
}

/** Bad flags, arguments or names. */
export class UsageError extends MeshupError {
  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, { exitCode: ExitCode.usage, ...opts });
  }
}

/** A profile, addon or config file that does not parse or validate; carries file:line:col. */
export class ConfigError extends MeshupError {
  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, { exitCode: ExitCode.usage, ...opts });
  }
}

/** The machine cannot run what was asked (too little memory, Docker stopped, a missing tool). */
export class PreflightError extends MeshupError {
  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, { exitCode: ExitCode.preflight, ...opts });
  }
}

/** A program meshup needs is not on PATH. */
export class ToolMissingError extends PreflightError {
  constructor(
    readonly tool: string,
    hint: string,
  ) {
    super(`${tool} was not found on PATH`, { fix: hint });
  }
}

/** A kube context meshup must not change. */
export class ContextRefusedError extends MeshupError {
  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, { exitCode: ExitCode.refused, ...opts });
  }
}

/** An external command that failed: which step, which command, what it said. */
export class CommandFailedError extends MeshupError {
  constructor(
    message: string,
    readonly commandLine: string,
    readonly stderrTail: string[],
    readonly commandExitCode: number | undefined,
    opts: ErrorDetails = {},
  ) {
    super(message, {
      ...opts,
      details: [`command: ${shortened(commandLine)}`, ...(stderrTail.length ? ['output:', ...stderrTail.map((l) => `  ${l}`)] : []), ...(opts.details ?? [])],
    });
  }
}

/** A command with a long here-document (a manifest on stdin) cut to its first lines and its end,
 * so that what the tool said, which follows, is never crowded out of the report. */
function shortened(commandLine: string): string {
  const lines = commandLine.split('\n');
  if (lines.length <= 8) return commandLine;
  return [...lines.slice(0, 4), `  ... ${lines.length - 5} more lines of input`, lines.at(-1)!].join('\n');
}

/** Another meshup command holds the cluster's lock (state/lock.ts), and --no-wait was given. */
export class BusyError extends MeshupError {
  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, { exitCode: ExitCode.busy, ...opts });
  }
}

/** Ctrl-C or SIGTERM. */
export class InterruptedError extends MeshupError {
  constructor() {
    super('Interrupted', { exitCode: ExitCode.interrupted });
  }
}

export function isMeshupError(e: unknown): e is MeshupError {
  return e instanceof MeshupError;
}

/** An object under a name meshup would use is not meshup's (by evidence): changing it would take
 * over, and a later removal delete, something a person made. */
export class OwnershipError extends MeshupError {
  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, { exitCode: ExitCode.refused, ...opts });
  }
}
