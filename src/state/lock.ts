// One writer per cluster. A command that changes a cluster (up, down, addons and injection
// enable|disable, expose, waypoint apply|remove) runs as a writer: from the moment its kube
// context is known (session/target.ts openTarget), before anything is read for its plan, it holds
// a lock file for that context under meshup's state dir until it ends, however it ends. A second
// writer of the same context waits for the first, saying for whom, or with --no-wait refuses
// (exit 5). Commands that only read never take it, and never wait.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { stateDir } from '../config/paths.js';
import { BusyError, PreflightError } from '../errors.js';
import { acquireLock, type LockHolder, liveHolder } from '../util/lockfile.js';

export interface WriterOptions {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** false (--no-wait): refuse at once when another command holds the lock. */
  wait: boolean;
  /** What the lock file names as its holder, e.g. `meshup addons disable grafana`. */
  command: string;
  /** Where the one "waiting for" line goes (stderr). */
  log: (line: string) => void;
  pollMs?: number;
}

interface Writer {
  opts: WriterOptions;
  /** Lock file → its release; a command that opens its target twice takes the lock once. */
  held: Map<string, () => Promise<void>>;
}

/** Keyed by what a command runs with (its App), which this layer does not know the type of. */
const writers = new WeakMap<object, Writer>();

export function contextLockFile(env: NodeJS.ProcessEnv, context: string): string {
  // Readable, and unique: two contexts that differ only in characters a file name cannot hold
  // still get two files.
  const readable = context.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  const hash = createHash('sha256').update(context).digest('hex').slice(0, 8);
  return join(stateDir(env), 'locks', `${readable}-${hash}.lock`);
}

const clock = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? 'an unknown time' : d.toTimeString().slice(0, 8);
};

/** `meshup up` (pid 123, since 14:02:11), as the lock names its holder. */
export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'a meshup command that left no name';
  const where = h.hostname && h.hostname !== hostname() ? ` on host ${h.hostname}` : '';
  return `\`${h.command || 'meshup'}\` (pid ${h.pid}${where}, since ${clock(h.startedAt)})`;
}

/**
 * Runs `work` as a writer: the first openTarget in it takes its context's lock (lockContext),
 * and every lock taken is released when `work` ends: done, failed or interrupted.
 */
export async function asWriter<T>(owner: object, opts: WriterOptions, work: () => Promise<T>): Promise<T> {
  const writer: Writer = { opts, held: new Map() };
  writers.set(owner, writer);
  try {
    return await work();
  } finally {
    writers.delete(owner);
    await Promise.all([...writer.held.values()].map((release) => release()));
  }
}

/** Takes the lock of `context` when `owner` runs as a writer; nothing otherwise (a reader). */
export async function lockContext(owner: object, context: string): Promise<void> {
  const writer = writers.get(owner);
  if (!writer) return;
  const { opts } = writer;
  const file = contextLockFile(opts.env, context);
  if (writer.held.has(file)) return;
  try {
    const release = await acquireLock(file, opts.command, {
      signal: opts.signal,
      wait: opts.wait,
      pollMs: opts.pollMs,
      onWait: (h) => opts.log(`waiting for ${describeHolder(h)} to finish with context ${context}; --no-wait refuses instead`),
      busy: (h) =>
        new BusyError(`Another meshup command is changing context ${context}: ${describeHolder(h)}`, {
          details: [...(h ? [`started ${h.startedAt} on ${h.hostname}`] : []), `lock: ${file}`],
          fix: [
            'Wait for it to finish: run this again without --no-wait, and meshup waits its turn',
            `If that command is stuck, stop it${h ? ` (kill ${h.pid})` : ''}: a lock whose process has ended is taken over by the next command`,
          ],
        }),
    });
    writer.held.set(file, release);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw e;
    throw notWritable(stateDir(opts.env), code, 'XDG_STATE_HOME');
  }
}

/** A directory meshup must write to, and cannot: found before the first change. */
export function notWritable(dir: string, code: string, envVar: string): PreflightError {
  return new PreflightError(`meshup cannot write to ${dir} (${code}), where it keeps what it needs between runs`, {
    fix: [`Make ${dir} writable (or free space on its disk), or point ${envVar} at a directory you can write`],
  });
}

/** The command changing `context` now, if one is (for readers, which never wait: `status`). */
export function changingNow(env: NodeJS.ProcessEnv, context: string): Promise<LockHolder | undefined> {
  return liveHolder(contextLockFile(env, context));
}
