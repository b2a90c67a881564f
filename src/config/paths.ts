// Where meshup keeps files between runs (XDG base directories, as users expect on Linux).
import { homedir } from 'node:os';
import { join } from 'node:path';

export function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || homedir();
}

export function stateDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(home(env), '.local', 'state'), 'meshup');
}

export function cacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(home(env), '.cache'), 'meshup');
}
