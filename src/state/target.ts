// The cluster meshup last brought up on this machine, so `meshup status` after
// `meshup up --provider kwok` looks at that cluster without the flags being repeated.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stateDir } from '../config/paths.js';
import { PROVIDERS, type ProviderName } from '../config/schema.js';
import { writeFileAtomic } from '../util/fs.js';

export interface LastTarget {
  provider: ProviderName;
  clusterName: string;
  context?: string;
}

const file = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'target.json');

export async function readLastTarget(env: NodeJS.ProcessEnv): Promise<LastTarget | undefined> {
  try {
    const t = JSON.parse(await readFile(file(env), 'utf8')) as Partial<LastTarget>;
    // A file edited by hand or written by another version is ignored, not trusted.
    if (!t || !(PROVIDERS as readonly string[]).includes(t.provider ?? '') || typeof t.clusterName !== 'string') return undefined;
    return { provider: t.provider!, clusterName: t.clusterName, context: typeof t.context === 'string' ? t.context : undefined };
  } catch {
    return undefined;
  }
}

export async function writeLastTarget(env: NodeJS.ProcessEnv, t: LastTarget): Promise<void> {
  await writeFileAtomic(file(env), `${JSON.stringify(t, null, 2)}\n`);
}

/** Forgets the target when it is the cluster that was just deleted. */
export async function forgetLastTarget(env: NodeJS.ProcessEnv, provider: string, clusterName: string): Promise<void> {
  const t = await readLastTarget(env);
  if (t && t.provider === provider && t.clusterName === clusterName) await rm(file(env), { force: true });
}
