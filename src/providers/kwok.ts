// Simulated clusters: a real API server in seconds, without Docker. Good for checking a mesh's
// configuration and for meshup's own end-to-end tests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { apply } from '../tools/kubectl.js';
import { kwokClusters, kwokContext, kwokCreate, kwokctlConfigYaml, kwokDelete, kwokNodeYaml, kwokStart, type KwokBinaries } from '../tools/kwokctl.js';
import { writeFileAtomic } from '../util/fs.js';
import { stateDir } from '../state/paths.js';
import type { Options } from '../config/resolve.js';
import type { Provider } from './types.js';

const BINARIES: [keyof KwokBinaries, string, string][] = [
  ['kubeApiserver', 'kube-apiserver', 'KWOK_KUBE_APISERVER_BINARY'],
  ['kubeControllerManager', 'kube-controller-manager', 'KWOK_KUBE_CONTROLLER_MANAGER_BINARY'],
  ['kubeScheduler', 'kube-scheduler', 'KWOK_KUBE_SCHEDULER_BINARY'],
  ['kwokController', 'kwok', 'KWOK_KWOK_CONTROLLER_BINARY'],
  ['etcd', 'etcd', 'KWOK_ETCD_BINARY'],
];

/** Binaries from --kwok-bin-dir / MESHUP_KWOK_BIN_DIR; kwokctl's own env and defaults otherwise. */
export function kwokBinaries(env: NodeJS.ProcessEnv): KwokBinaries {
  const dir = env.MESHUP_KWOK_BIN_DIR;
  const out: KwokBinaries = {};
  for (const [key, file, envName] of BINARIES) {
    if (env[envName]) continue; // kwokctl reads it itself
    if (dir && existsSync(join(dir, file))) out[key] = join(dir, file);
  }
  return out;
}

export const kwokProvider: Provider = {
  name: 'kwok',
  tools: ['kwokctl'],
  usesDocker: false,
  creates: true,
  context: (o: Options) => kwokContext(o.clusterName),
  async status(runner, o) {
    return { state: (await kwokClusters(runner)).includes(o.clusterName) ? 'running' : 'absent' };
  },
  async create(runner, o) {
    const yaml = kwokctlConfigYaml(kwokBinaries(runner.env));
    const file = join(stateDir(runner.env), 'kwok', `${o.clusterName}.yaml`);
    if (!runner.dryRun) await writeFileAtomic(file, yaml);
    await kwokCreate(runner, o.clusterName, file, yaml);
    runner.pinContext(kwokContext(o.clusterName));
    await apply(runner, kwokNodeYaml(`${o.clusterName}-node-0`, Math.max(o.resources.cpus, 16), Math.max(o.resources.memoryMiB, 65536)), 'Adding a simulated node');
  },
  start: (runner, o) => kwokStart(runner, o.clusterName),
  delete: (runner, o) => kwokDelete(runner, o.clusterName),
};
