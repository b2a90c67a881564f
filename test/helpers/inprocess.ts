// Runs the CLI's main() in this process, in a sealed world (fake tools on PATH, temporary HOME
// and KUBECONFIG): argv, env, cwd and stdin go in through the io object; stdout, stderr and the
// exit code come back. About a hundred times cheaper than spawning bin/meshup, so tables of
// cases can run here. The fake tools are still separate processes the runner spawns (a shell
// each, whose fake runs in this process: see test/fakes/server.mjs).

import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { IO, Prompts } from '../../src/ui/io.js';
import type { Sealed } from './sealed.js';

export interface InProcessResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    done();
  }
}

export interface InProcessOptions {
  input?: string | Buffer;
  /** Merged over the sealed world's environment. */
  env?: Record<string, string>;
  /** Defaults to the world's work/ directory. */
  cwd?: string;
  /** A person at a terminal: stdin and stderr are TTYs and CI is unset, so meshup may ask. */
  tty?: boolean;
  /** The prompt functions meshup asks with (see questions.ts). */
  prompts?: Prompts;
}

export async function runInProcess(w: Sealed, args: string[], o: InProcessOptions = {}): Promise<InProcessResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from(o.input === undefined ? [] : [typeof o.input === 'string' ? Buffer.from(o.input) : o.input]) as Readable & { isTTY?: boolean };
  stdin.isTTY = !!o.tty;
  stderr.isTTY = !!o.tty;
  const env: Record<string, string> = { ...w.env, ...o.env };
  if (o.tty) delete env.CI;
  const io: IO = { stdout, stderr, stdin, env, cwd: o.cwd ?? join(w.dir, 'work'), prompts: o.prompts };
  const exitCode = await main(args, io);
  return { stdout: stdout.text, stderr: stderr.text, exitCode };
}
