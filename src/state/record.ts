// What meshup remembers. In the cluster: the spec it last applied (ConfigMap kube-public/meshup),
// so a re-run can tell what changed. On disk: the clusters it created, so `down` deletes only those.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateDir } from '../config/paths.js';
import type { Runner } from '../exec/runner.js';
import type { KubeObject } from '../kube/objects.js';
import { apply, getObject } from '../tools/kubectl.js';
import { writeFileAtomic } from '../util/fs.js';
import { serialized } from '../util/mutex.js';
import { type AppliedSpec, appliedSpecManifest, RECORD_NAME, RECORD_NAMESPACE } from './applied-spec.js';

export async function readAppliedSpec(runner: Runner): Promise<AppliedSpec | undefined> {
  const cm = await getObject<KubeObject & { data?: Record<string, string> }>(runner, 'configmap', RECORD_NAME, RECORD_NAMESPACE);
  if (!cm?.data?.spec) return undefined;
  try {
    return JSON.parse(cm.data.spec) as AppliedSpec;
  } catch {
    return undefined;
  }
}

export async function writeAppliedSpec(runner: Runner, spec: AppliedSpec, meshupVersion: string): Promise<void> {
  await apply(runner, appliedSpecManifest(spec, meshupVersion), 'Recording the applied spec');
}

interface CreatedClusters {
  clusters: { provider: string; name: string; createdAt: string }[];
}

const createdFile = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'clusters.json');

async function readCreated(env: NodeJS.ProcessEnv): Promise<CreatedClusters> {
  try {
    return JSON.parse(await readFile(createdFile(env), 'utf8')) as CreatedClusters;
  } catch {
    return { clusters: [] };
  }
}

export async function wasCreatedByMeshup(env: NodeJS.ProcessEnv, provider: string, name: string): Promise<boolean> {
  return (await readCreated(env)).clusters.some((c) => c.provider === provider && c.name === name);
}

/** Read, changed and written back one at a time: two at once would lose one's change. */
function updateCreated(env: NodeJS.ProcessEnv, change: (clusters: CreatedClusters['clusters']) => CreatedClusters['clusters']): Promise<void> {
  const file = createdFile(env);
  return serialized(file, async () => {
    const data = await readCreated(env);
    data.clusters = change(data.clusters);
    await writeFileAtomic(file, `${JSON.stringify(data, null, 2)}\n`);
  });
}

export function rememberCreated(env: NodeJS.ProcessEnv, provider: string, name: string, now = new Date()): Promise<void> {
  return updateCreated(env, (cs) => [...cs.filter((c) => !(c.provider === provider && c.name === name)), { provider, name, createdAt: now.toISOString() }]);
}

export function forgetCreated(env: NodeJS.ProcessEnv, provider: string, name: string): Promise<void> {
  return updateCreated(env, (cs) => cs.filter((c) => !(c.provider === provider && c.name === name)));
}
