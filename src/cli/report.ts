// Turns any failure into what a person reads: the problem, its details, the fix. No stack
// traces unless --verbose asks for them on an internal error. Under --json the same content is
// one JSON document. Output stays bounded whatever the error carries: lines are clipped and
// long detail lists cut, so no input, however large, is echoed back whole.
import type { Command, CommanderError } from 'commander';
import { ExitCode, isMeshupError, UsageError } from '../errors.js';
import { excerpt } from '../util/text.js';

export interface Painter {
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export interface ErrorDocument {
  message: string;
  details: string[];
  fix: string[];
  exitCode: number;
}

const MAX_LINE = 300;
const MAX_DETAILS = 40;
const REPORT = 'Re-run with --verbose for details, and please report it: https://github.com/meshup-dev/meshup/issues';

function clip(lines: string[]): string[] {
  const out = lines.flatMap((l) => l.split('\n')).map((l) => excerpt(l, MAX_LINE));
  return out.length > MAX_DETAILS ? [...out.slice(0, MAX_DETAILS - 1), `... ${out.length - MAX_DETAILS + 1} more lines`] : out;
}

/**
 * The parts of any error, bounded; an unknown error is a bug and says so. A usage error that
 * brings no fix of its own gets `usageFix` (the command's --help), so every one has a fix line.
 */
export function errorDocument(e: unknown, verbose = false, usageFix?: string): ErrorDocument {
  if (isMeshupError(e)) {
    const fix = e.fix.length || e.exitCode !== ExitCode.usage || !usageFix ? e.fix : [usageFix];
    return {
      message: excerpt(e.message.split('\n')[0]!, MAX_LINE),
      details: clip([...e.message.split('\n').slice(1), ...e.details]),
      fix: clip(fix),
      exitCode: e.exitCode,
    };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    message: excerpt(`meshup failed unexpectedly: ${err.message.split('\n')[0]}`, MAX_LINE),
    details: verbose && err.stack ? err.stack.split('\n').slice(0, MAX_DETAILS) : [],
    fix: [REPORT],
    exitCode: ExitCode.failed,
  };
}

export function formatError(e: unknown, paint: Painter, verbose: boolean, usageFix?: string): { text: string; exitCode: number } {
  const d = errorDocument(e, verbose, usageFix);
  if (!isMeshupError(e)) {
    const lines = [paint.red(`error: ${d.message}`)];
    if (verbose && d.details.length) lines.push(paint.dim(d.details.join('\n')));
    else lines.push(REPORT);
    return { text: lines.join('\n'), exitCode: d.exitCode };
  }
  const lines = [paint.red(`error: ${d.message}`)];
  for (const x of d.details) lines.push(`  ${x}`);
  for (const f of d.fix) lines.push(`${paint.bold('fix:')} ${f}`);
  return { text: lines.join('\n'), exitCode: d.exitCode };
}

/** The command words of argv that name a (sub)command, e.g. "meshup profiles show". */
function commandPath(program: Command | undefined, argv: string[]): string {
  const words = ['meshup'];
  let cmd = program;
  for (const a of argv) {
    if (!cmd || a.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    words.push(sub.name());
    cmd = sub;
  }
  return words.join(' ');
}

/** A commander parse error (unknown flag or command, bad or missing argument) as a UsageError. */
export function commanderError(e: CommanderError, program: Command | undefined, argv: string[]): UsageError {
  const lines = e.message
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fix: string[] = [];
  const rest: string[] = [];
  for (const l of lines.slice(1)) {
    const m = /^\((Did you mean .*)\)$/.exec(l);
    if (m) fix.push(m[1]!);
    else rest.push(l);
  }
  // Commander quotes the offending argument whole; keep an excerpt.
  const message = (lines[0] ?? 'invalid command line').replace(/'([^']*)'/g, (_, q: string) => `'${excerpt(q, 60)}'`);
  fix.push(helpFix(program, argv));
  return new UsageError(message, { details: rest, fix });
}

/** "meshup up --help shows the usage", for the command argv names. */
export function helpFix(program: Command | undefined, argv: string[]): string {
  return `${commandPath(program, argv)} --help shows the usage`;
}
