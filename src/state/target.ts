// The cluster meshup last brought up on this machine, so `meshup status` after
// `meshup up --provider kwok` looks at that cluster without the flags being repeated. `up`
// writes it before its first change, marked incomplete, and again when it has finished: an
// interrupted first `up` leaves a cluster that `status` and `down` still find, and say so.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterSet, SetMember } from '../config/cluster-set.js';
import { stateDir } from '../config/paths.js';
import { PROVIDERS, type ProviderName } from '../config/schema.js';
import { writeFileAtomic } from '../util/fs.js';

export interface LastTarget {
  provider: ProviderName;
  clusterName: string;
  context?: string;
  /** Set while an `up` runs on it, and left when that `up` did not finish. */
  incomplete?: { since: string };
  /** It is the first of a set of clusters that form one mesh: the set, as `up` made it. */
  set?: ClusterSet;
}

const file = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'target.json');

export async function readLastTarget(env: NodeJS.ProcessEnv): Promise<LastTarget | undefined> {
  try {
    const t = JSON.parse(await readFile(file(env), 'utf8')) as Partial<LastTarget>;
    // A file edited by hand or written by another version is ignored, not trusted.
    if (!t || !(PROVIDERS as readonly string[]).includes(t.provider ?? '') || typeof t.clusterName !== 'string') return undefined;
    const since = t.incomplete && typeof t.incomplete === 'object' ? t.incomplete.since : undefined;
    return {
      provider: t.provider!,
      clusterName: t.clusterName,
      context: typeof t.context === 'string' ? t.context : undefined,
      ...(since !== undefined ? { incomplete: { since: String(since) } } : {}),
      ...(setOf(t.set) ? { set: setOf(t.set) } : {}),
    };
  } catch {
    return undefined;
  }
}

/** A recorded set, checked field by field: one edited into nonsense is not trusted. */
function setOf(s: unknown): ClusterSet | undefined {
  if (!s || typeof s !== 'object') return undefined;
  const x = s as Partial<ClusterSet>;
  if (typeof x.meshId !== 'string' || !Array.isArray(x.members) || !x.members.length) return undefined;
  const members = x.members.filter(
    (m): m is SetMember =>
      !!m &&
      typeof m.name === 'string' &&
      typeof m.network === 'string' &&
      typeof m.index === 'number' &&
      (m.provider === undefined || (PROVIDERS as readonly string[]).includes(m.provider)) &&
      (m.context === undefined || typeof m.context === 'string'),
  );
  return members.length === x.members.length ? { meshId: x.meshId, multiNetwork: !!x.multiNetwork, members } : undefined;
}

export async function writeLastTarget(env: NodeJS.ProcessEnv, t: LastTarget): Promise<void> {
  await writeFileAtomic(file(env), `${JSON.stringify(t, null, 2)}\n`);
}

/** Forgets the target when it is the cluster that was just deleted. */
export async function forgetLastTarget(env: NodeJS.ProcessEnv, provider: string, clusterName: string): Promise<void> {
  const t = await readLastTarget(env);
  if (t && t.provider === provider && t.clusterName === clusterName) await rm(file(env), { force: true });
}

/** The last target when it is this cluster and its last `up` did not finish. */
export async function unfinishedUp(env: NodeJS.ProcessEnv, provider: string, clusterName: string): Promise<LastTarget['incomplete']> {
  const t = await readLastTarget(env);
  return t && t.provider === provider && t.clusterName === clusterName ? t.incomplete : undefined;
}
