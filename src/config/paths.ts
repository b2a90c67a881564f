// Where meshup keeps files between runs (XDG base directories, as users expect on Linux), and the
// checks of the directories those come from: a HOME that is not set, not a directory or cannot
// be written, and a TMPDIR that is not there, are named with their fix before meshup writes
// anything, rather than surfacing later as an errno from deep inside a step.
import { randomBytes } from 'node:crypto';
import { rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { PreflightError } from '../errors.js';

/**
 * The home directory, for reading (the kubeconfig kubectl reads by default). Every command that
 * uses a cluster asks for it before anything else happens, so a HOME that cannot be one (a
 * relative path, a file) is named here; one that does not exist is fine to read from.
 */
export function home(env: NodeJS.ProcessEnv): string {
  const set = env.HOME || env.USERPROFILE;
  if (set) {
    if (!usableHomes.has(set)) {
      if (!isAbsolute(set)) throw homeProblem(`HOME is "${set}", which is not an absolute path`);
      if (statOf(set)?.isDirectory() === false) throw homeProblem(`HOME is ${set}, which is not a directory`);
    }
    return set;
  }
  try {
    return homedir();
  } catch {
    // No HOME and no entry for this user in the password database.
    throw homeProblem('HOME is not set, and this user has no home directory in the password database');
  }
}

export function stateDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(homeForFiles(env, '.local/state/meshup'), '.local', 'state'), 'meshup');
}

export function cacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homeForFiles(env, '.cache/meshup'), '.cache'), 'meshup');
}

const homeFix = (under: string) => [
  `Set HOME to your home directory (export HOME=/home/$USER), or point XDG_STATE_HOME and XDG_CACHE_HOME at directories you can write (meshup keeps its files in $HOME/${under} otherwise)`,
];

function homeProblem(message: string, under = '.local/state/meshup and .cache/meshup'): PreflightError {
  return new PreflightError(message, { fix: homeFix(under) });
}

/** Homes found usable in this process: the check costs a stat or two, once. */
const usableHomes = new Set<string>();

/**
 * HOME, when meshup is to keep files under it: set, absolute, a directory, and writable where
 * meshup must create its first directory in it. Only the part that is HOME's is checked here; a
 * directory below it that cannot be written is the state and cache checks' to name
 * (preflight/checks.ts storageFindings, state/lock.ts).
 */
function homeForFiles(env: NodeJS.ProcessEnv, under: string): string {
  const dir = env.HOME || env.USERPROFILE;
  if (!dir) throw homeProblem('HOME is not set: meshup keeps its state and downloads under your home directory', under);
  if (usableHomes.has(dir)) return dir;
  if (!isAbsolute(dir)) throw homeProblem(`HOME is "${dir}", which is not an absolute path`, under);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw homeProblem(
      code === 'ENOENT' || code === 'ENOTDIR' ? `HOME is ${dir}, which does not exist` : `HOME (${dir}) cannot be read (${code ?? 'error'})`,
      under,
    );
  }
  if (!isDir) throw homeProblem(`HOME is ${dir}, which is not a directory`, under);
  // meshup creates its first directory right in HOME when none of its parents is there yet
  // (.local, .cache): then HOME itself must take a new entry. Root passes every access() check, so
  // try the real thing, and leave nothing behind.
  if (!exists(join(dir, under.split('/')[0]!))) {
    const probe = join(dir, `.meshup-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      writeFileSync(probe, '', { flag: 'wx' });
    } catch (e) {
      throw homeProblem(`HOME (${dir}) cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'}): meshup keeps its files under it`, under);
    } finally {
      rmSync(probe, { force: true });
    }
  }
  usableHomes.add(dir);
  return dir;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const exists = (path: string) => statOf(path) !== undefined;

/**
 * The directory temporary files go in (TMPDIR, else the system's), checked: there, a directory,
 * and one a directory can be made in. Named with its fix before anything else happens.
 */
export async function usableTempDir(env: NodeJS.ProcessEnv, why: string): Promise<string> {
  const dir = env.TMPDIR || tmpdir();
  const from = env.TMPDIR ? `TMPDIR (${dir})` : `the temporary directory ${dir}`;
  const instead = env.TMPDIR ? 'point TMPDIR at a directory you can write, or unset TMPDIR (then /tmp is used)' : 'point TMPDIR at a directory you can write';
  const fix = [`Create it (mkdir -p ${dir}), or ${instead}`];
  const st = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) {
    const code = st.code ?? 'error';
    throw new PreflightError(`${from} ${code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code})`}: ${why}`, { fix });
  }
  if (!st.isDirectory()) throw new PreflightError(`${from} is not a directory: ${why}`, { fix: [`${instead[0]!.toUpperCase()}${instead.slice(1)}`] });
  try {
    await rm(await mkdtemp(join(dir, 'meshup-probe-')), { recursive: true, force: true });
  } catch (e) {
    throw new PreflightError(`${from} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${why}`, {
      fix: [`Make it writable, or ${instead}`],
    });
  }
  return dir;
}
