// Turns any failure into what a person reads: the problem, its details, the fix. No stack
// traces unless --verbose asks for them on an internal error.
import { isMeshupError } from '../errors.js';

export interface Painter {
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function formatError(e: unknown, paint: Painter, verbose: boolean): { text: string; exitCode: number } {
  if (isMeshupError(e)) {
    const lines = [paint.red(`error: ${e.message}`)];
    for (const d of e.details) lines.push(`  ${d}`);
    for (const f of e.fix) lines.push(`${paint.bold('fix:')} ${f}`);
    return { text: lines.join('\n'), exitCode: e.exitCode };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const lines = [paint.red(`error: meshup failed unexpectedly: ${err.message}`)];
  if (verbose && err.stack) lines.push(paint.dim(err.stack));
  else lines.push('Re-run with --verbose for details, and please report it: https://github.com/meshup-dev/meshup/issues');
  return { text: lines.join('\n'), exitCode: 1 };
}
