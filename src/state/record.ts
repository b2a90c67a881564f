// What meshup remembers. In the cluster: the spec it last applied (ConfigMap kube-public/meshup),
// so a re-run can tell what changed. On disk: the clusters it created, so `down` deletes only those.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { apply, getObject, type KubeObject } from '../tools/kubectl.js';
import { writeFileAtomic } from '../util/fs.js';
import { stateDir } from './paths.js';

export const RECORD_NAMESPACE = 'kube-public';
export const RECORD_NAME = 'meshup';

/** The parts of the desired state whose change means work. */
export interface AppliedSpec {
  provider: string;
  clusterName: string;
  profile: string;
  /** The profile as it was given: a bundled name or a file's absolute path. */
  profileRef?: string;
  istioVersion?: string;
  istioRevision?: string;
  overlayHash?: string;
  addons?: string[];
  namespaces?: string[];
  /** Missing in records from before ambient mode: those meshes are sidecar meshes. */
  dataplane?: 'sidecar' | 'ambient';
  mtls?: string;
}

export async function readAppliedSpec(runner: Runner): Promise<AppliedSpec | undefined> {
  const cm = await getObject<KubeObject & { data?: Record<string, string> }>(runner, 'configmap', RECORD_NAME, RECORD_NAMESPACE);
  if (!cm?.data?.spec) return undefined;
  try {
    return JSON.parse(cm.data.spec) as AppliedSpec;
  } catch {
    return undefined;
  }
}

export function appliedSpecManifest(spec: AppliedSpec, meshupVersion: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: RECORD_NAME, namespace: RECORD_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'meshup' } },
    data: { spec: JSON.stringify(spec), meshupVersion },
  });
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

export async function rememberCreated(env: NodeJS.ProcessEnv, provider: string, name: string, now = new Date()): Promise<void> {
  const data = await readCreated(env);
  data.clusters = data.clusters.filter((c) => !(c.provider === provider && c.name === name));
  data.clusters.push({ provider, name, createdAt: now.toISOString() });
  await writeFileAtomic(createdFile(env), `${JSON.stringify(data, null, 2)}\n`);
}

export async function forgetCreated(env: NodeJS.ProcessEnv, provider: string, name: string): Promise<void> {
  const data = await readCreated(env);
  data.clusters = data.clusters.filter((c) => !(c.provider === provider && c.name === name));
  await writeFileAtomic(createdFile(env), `${JSON.stringify(data, null, 2)}\n`);
}
