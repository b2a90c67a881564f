// The streams and facts of the terminal meshup talks to. Passed in, so tests and --json can
// redirect everything, and so "is this a terminal" is decided in one place.
import type { Readable, Writable } from 'node:stream';
import type * as Inquirer from '@inquirer/prompts';

/** The kinds of question meshup asks. */
export type Prompts = Pick<typeof Inquirer, 'select' | 'checkbox' | 'confirm'>;

export interface IO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The prompt functions; @inquirer/prompts when absent. Tests render the same prompts with
   * @inquirer/testing and answer them with keypresses. */
  prompts?: Prompts;
}

/** The prompt functions to ask with (loaded only when a question is asked). */
export async function promptsOf(io: IO): Promise<Prompts> {
  return io.prompts ?? (await import('@inquirer/prompts'));
}

export function processIO(): IO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  return !!env.CI && env.CI !== 'false' && env.CI !== '0';
}

/** Prompts need a person at a terminal on both ends, and never run under CI. */
export function canPrompt(io: IO): boolean {
  return !!io.stdin.isTTY && !!io.stderr.isTTY && !isCI(io.env);
}

export function colorEnabled(io: IO, flag: boolean | undefined): boolean {
  if (flag === false || (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '')) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return !!io.stderr.isTTY;
}
