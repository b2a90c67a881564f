// Locks between processes, as files: whoever made the file holds the lock. A lock is written whole
// beside its name and then hard-linked into place, which fails when the name exists (O_EXCL's
// guarantee, without a moment in which the file is there but empty). It names its holder: pid,
// command, start time and host. A lock whose process has ended on this host, or whose pid now
// belongs to a newer process, is stale: the next comer takes it over. Waiting is polling.
// Callers in one process take turns before they touch the file, so the file is contended only
// between processes. (util/mutex.ts orders the work of one process; this orders processes.)
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { InterruptedError } from '../errors.js';
import { sleep } from './time.js';

export interface LockHolder {
  pid: number;
  /** What the holder runs, as a person would recognise it (`meshup up --provider kind`). */
  command: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  hostname: string;
  /** When the process started (Linux: /proc/PID/stat), so a pid that a newer process reuses does
   * not keep a dead holder's lock. */
  procStart?: string;
  /** This hold's own mark: a release removes the file only while it is still this one. */
  token: string;
}

export interface LockOptions {
  signal?: AbortSignal;
  /** false: a live holder ends the attempt with `busy(holder)` instead of a wait. */
  wait: boolean;
  /** Called once per holder waited for (undefined: a lock file that does not say who holds it). */
  onWait?: (holder: LockHolder | undefined) => void;
  busy?: (holder: LockHolder | undefined) => Error;
  pollMs?: number;
}

/** A lock file that cannot be read as a holder is not stale until it is this old: another
 * program's lock (or a system without hard links) may be between creating and writing it. */
const UNREADABLE_STALE_MS = 10_000;

/** The tokens of this process's holds, and attempts: a holder with this pid is alive only if its
 * token is one of them (else the file is left from an earlier process with the same pid). */
const mine = new Map<string, string>(); // token → file
let exitHook = false;

/** mkdir -p, one level at a time: Node's own recursive mkdir never returns under /proc (where a
 * missing directory cannot be made, and its parent seems to exist), e.g. with HOME=/proc/1. */
async function makeDirs(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
    await makeDirs(dirname(dir));
    await mkdir(dir).catch((e2: NodeJS.ErrnoException) => {
      if (e2.code !== 'EEXIST') throw e2;
    });
  }
}

/** Linux only: the process's start time since boot, in clock ticks; undefined elsewhere. */
function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) may hold spaces and parentheses: count from its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a holder still runs: on another host meshup cannot tell, and assumes it does. */
function holderAlive(h: LockHolder): boolean {
  if (h.hostname !== hostname()) return true;
  if (h.pid === process.pid) return mine.has(h.token);
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: it runs, as another user.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = h.procStart ? procStart(h.pid) : undefined;
  return started === undefined || started === h.procStart;
}

type Seen = { holder?: LockHolder; ageMs: number } | undefined;

async function readHolder(file: string): Promise<Seen> {
  let text: string;
  let ageMs: number;
  try {
    [text, ageMs] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => Date.now() - s.mtimeMs)]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.token === 'string' && typeof h.hostname === 'string') {
      return { holder: { command: '', startedAt: '', ...h } as LockHolder, ageMs };
    }
  } catch {}
  return { ageMs };
}

/** Who holds the lock `file` now: undefined when it is free, stale, or says nothing of who. */
export async function liveHolder(file: string): Promise<LockHolder | undefined> {
  const seen = await readHolder(file).catch(() => undefined);
  return seen?.holder && holderAlive(seen.holder) ? seen.holder : undefined;
}

const stale = (seen: NonNullable<Seen>) => (seen.holder ? !holderAlive(seen.holder) : seen.ageMs > UNREADABLE_STALE_MS);

/** Makes the lock file, whole, unless it exists. */
async function create(file: string, me: LockHolder): Promise<boolean> {
  const body = `${JSON.stringify(me)}\n`;
  const tmp = `${file}.${me.token}`;
  await writeFile(tmp, body);
  try {
    await link(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: O_EXCL, then the content.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    try {
      const h = await open(file, 'wx');
      await h.writeFile(body).finally(() => h.close());
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Removes a stale lock: moved aside first (one mover wins), then checked to be the stale one
 * that was read; a fresh lock moved by mistake (its taker came between) is put back. */
async function takeOver(file: string, seen: NonNullable<Seen>): Promise<void> {
  const aside = `${file}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await readHolder(aside).catch(() => undefined);
  if (moved && moved.holder?.token !== seen.holder?.token) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
}

async function release(file: string, me: LockHolder): Promise<void> {
  try {
    const seen = await readHolder(file);
    if (seen?.holder?.token === me.token) await rm(file, { force: true });
  } catch {
    // Left behind, it is stale once this process ends.
  } finally {
    // Alive until the file is gone: counted dead between the read and the removal, it could be
    // taken over by another caller here, whose new lock the removal would then delete.
    mine.delete(me.token);
  }
}

/** At exit (bin/meshup's process.exit included) nothing this process holds is left behind. */
function releaseAtExit(): void {
  for (const [token, file] of mine) {
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as LockHolder).token === token) unlinkSync(file);
    } catch {}
  }
}

/**
 * Takes the lock `file` for `command`: at once when it is free or stale, else after its holder
 * lets go (or, without `wait`, never: `busy` is thrown). Returns the release, which removes the
 * file only while it is still this hold's. File-system errors (a directory that cannot be
 * written) are thrown as they are, for the caller to name.
 */
export async function acquireLock(file: string, command: string, o: LockOptions): Promise<() => Promise<void>> {
  await makeDirs(dirname(file));
  const me: LockHolder = {
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
    hostname: hostname(),
    procStart: procStart(process.pid),
    token: randomBytes(8).toString('hex'),
  };
  if (!exitHook) {
    exitHook = true;
    process.once('exit', releaseAtExit);
  }
  // Callers in this process take turns first: the file is then only ever contended between
  // processes, and a lock of this pid that is not the current turn's is one left by an earlier
  // process with the same pid.
  const told = new Set<string>();
  const tell = (h: LockHolder | undefined) => {
    const who = h?.token ?? '?';
    if (!told.has(who)) {
      told.add(who);
      o.onWait?.(h);
    }
  };
  const leave = await localTurn(file, me, o, tell);
  try {
    for (;;) {
      if (o.signal?.aborted) throw new InterruptedError();
      mine.set(me.token, file);
      if (await create(file, me)) return () => release(file, me).finally(leave);
      mine.delete(me.token);
      const seen = await readHolder(file);
      if (!seen) continue;
      if (stale(seen)) {
        await takeOver(file, seen);
        continue;
      }
      if (!o.wait) throw o.busy?.(seen.holder) ?? new Error(`${file} is locked`);
      tell(seen.holder);
      await sleep(o.pollMs ?? 250, o.signal);
    }
  } catch (e) {
    mine.delete(me.token);
    leave();
    throw e;
  }
}

/** Whose turn it is in this process, per lock file, and when it ends. */
const turns = new Map<string, { holder: LockHolder; ended: Promise<void> }>();

async function localTurn(file: string, me: LockHolder, o: LockOptions, tell: (h: LockHolder) => void): Promise<() => void> {
  for (;;) {
    const current = turns.get(file);
    if (!current) {
      let end = () => {};
      const turn = { holder: me, ended: new Promise<void>((r) => (end = r)) };
      turns.set(file, turn);
      return () => {
        if (turns.get(file) === turn) turns.delete(file);
        end();
      };
    }
    if (!o.wait) throw o.busy?.(current.holder) ?? new Error(`${file} is locked`);
    tell(current.holder);
    // Ctrl-C ends the wait; a nap that ends after the turn did is not an error of anyone's.
    const nap = sleep(o.pollMs ?? 250, o.signal);
    nap.catch(() => undefined);
    await Promise.race([current.ended, nap]);
  }
}

/** Runs `work` holding the lock `file`, or without it when no lock can be made there at all (a
 * directory that cannot be written): the lock orders writers, and is no reason to fail. */
export async function withLockIfPossible<T>(file: string, command: string, o: LockOptions, work: () => Promise<T>): Promise<T> {
  let release: (() => Promise<void>) | undefined;
  try {
    release = await acquireLock(file, command, o);
  } catch (e) {
    if (typeof (e as NodeJS.ErrnoException).code !== 'string') throw e;
  }
  try {
    return await work();
  } finally {
    await release?.();
  }
}
