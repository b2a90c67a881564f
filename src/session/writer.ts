// The commands that change a cluster run their work through writing(): the first target they
// open is locked for them until the work ends (state/lock.ts). A dry run changes nothing and
// takes no lock.
import { asWriter } from '../state/lock.js';
import type { App } from './app.js';

/** Runs `work` as the one writer of the cluster it opens; `command` names it to a second writer. */
export function writing<T>(app: App, command: string, work: () => Promise<T>): Promise<T> {
  if (app.switches.dryRun) return work();
  return asWriter(app, { env: app.io.env, signal: app.signal, wait: app.switches.wait, command, log: (line) => app.out.log(line) }, work);
}

/** How a lock names its command: `meshup up --provider kind --name dev`, with the flags that
 * chose the cluster. */
export function commandLine(app: App, ...words: string[]): string {
  const { provider, name, context } = app.flags;
  const flags = [provider && `--provider ${provider}`, name && `--name ${name}`, context && `--context ${context}`].filter(Boolean);
  return ['meshup', ...words, ...flags].join(' ');
}
