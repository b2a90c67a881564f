// Simulated clusters: a real API server in seconds, without Docker. Good for checking a mesh's
// configuration and for meshup's own end-to-end tests; nothing runs in its pods.

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateDir } from '../config/paths.js';
import type { Spec } from '../config/spec.js';
import { binDir } from '../config/validate.js';
import { formatCommand } from '../exec/quote.js';
import { apply, kubeconfigView } from '../tools/kubectl.js';
import { applyArgs } from '../tools/kubectl-args.js';
import {
  type KwokBinaries,
  kwokClusters,
  kwokContext,
  kwokCreate,
  kwokCreateArgs,
  kwokctlConfigYaml,
  kwokDelete,
  kwokNodeYaml,
  kwokStart,
  kwokStartArgs,
} from '../tools/kwokctl.js';
import { writeFileAtomic } from '../util/fs.js';
import { withLockIfPossible } from '../util/lockfile.js';
import type { Provider } from './types.js';

const BINARIES: [keyof KwokBinaries, string, string][] = [
  ['kubeApiserver', 'kube-apiserver', 'KWOK_KUBE_APISERVER_BINARY'],
  ['kubeControllerManager', 'kube-controller-manager', 'KWOK_KUBE_CONTROLLER_MANAGER_BINARY'],
  ['kubeScheduler', 'kube-scheduler', 'KWOK_KUBE_SCHEDULER_BINARY'],
  ['kwokController', 'kwok', 'KWOK_KWOK_CONTROLLER_BINARY'],
  ['etcd', 'etcd', 'KWOK_ETCD_BINARY'],
];

/** Binaries from MESHUP_KWOK_BIN_DIR; kwokctl's own env and defaults otherwise. */
export function kwokBinaries(env: NodeJS.ProcessEnv): KwokBinaries {
  const dir = env.MESHUP_KWOK_BIN_DIR;
  const out: KwokBinaries = {};
  for (const [key, file, envName] of BINARIES) {
    if (env[envName]) continue; // kwokctl reads it itself
    if (dir && existsSync(join(dir, file))) out[key] = join(dir, file);
  }
  return out;
}

/**
 * MESHUP_KWOK_BIN_DIR, when set: a directory holding every binary it names that kwokctl's own
 * variable does not. A wrong one would be passed over in silence, and kwokctl would download the
 * binaries instead (or fail without a network). Checked before anything is run (a UsageError).
 */
export function checkKwokBinDir(env: NodeJS.ProcessEnv): void {
  const dir = env.MESHUP_KWOK_BIN_DIR;
  if (!dir) return;
  const needed = BINARIES.filter(([, , envName]) => !env[envName]).map(([, file]) => file);
  binDir(dir, needed, { label: 'MESHUP_KWOK_BIN_DIR' }, [
    `Point MESHUP_KWOK_BIN_DIR at a directory holding ${BINARIES.map(([, f]) => f).join(', ')} (bash test/cluster/build --print-bin prints where meshup's build keeps them; see docs/kwok.md)`,
    'or unset it, and kwokctl finds them by its own settings (KWOK_KUBE_APISERVER_BINARY and the like) or downloads them',
  ]);
}

const configFile = (env: NodeJS.ProcessEnv, name: string) => join(stateDir(env), 'kwok', `${name}.yaml`);
const nodeYaml = (spec: Spec) => kwokNodeYaml(`${spec.clusterName}-node-0`, Math.max(spec.resources.cpus, 16), Math.max(spec.resources.memoryMiB, 65536));

export const kwokProvider: Provider = {
  name: 'kwok',
  tools: ['kwokctl'],
  usesDocker: false,
  creates: true,
  mapsHostPorts: false,
  startRepairs: ['stopped', 'broken'],
  needsInotify: false,
  ingress: 'simulated',
  simulated: true,
  createsOneAtATime: true,
  ambientNote:
    'the kwok cluster is simulated: ztunnel and istio-cni are scheduled but run nowhere, so no traffic is captured; the enrolment labels are what a real cluster would act on',
  context: (spec) => kwokContext(spec.clusterName),
  // Its API server runs on this machine, as does everything of another simulated cluster: the
  // kubeconfig's loopback address reaches it from there.
  async peerApiServer(runner, spec) {
    const view = await kubeconfigView(runner);
    const server = view.contexts.find((c) => c.name === kwokContext(spec.clusterName))?.server;
    if (!server) throw new Error(`the kube context ${kwokContext(spec.clusterName)} is missing`);
    return server;
  },
  async status(runner, spec) {
    return { state: (await kwokClusters(runner)).includes(spec.clusterName) ? 'running' : 'absent' };
  },
  createCommands: (spec) => [
    formatCommand('kwokctl', kwokCreateArgs(spec.clusterName, '<config written by meshup>')),
    formatCommand('kubectl', ['--context', kwokContext(spec.clusterName), ...applyArgs()], nodeYaml(spec)),
  ],
  async create(runner, spec, answering) {
    const yaml = kwokctlConfigYaml(kwokBinaries(runner.env));
    const file = configFile(runner.env, spec.clusterName);
    await writeFileAtomic(file, yaml);
    // kwokctl picks its components' ports itself, counting down from the same number in every
    // process: two clusters made at once on this machine (by one meshup or two) pick the same ones,
    // and the one that loses runs without a part (its node is never Ready). One at a time, then;
    // and once more after a failure: a kwokctl that is not meshup's may have taken a port first
    // (its component then fails to start, and kwokctl says the API server refused it).
    await withLockIfPossible(
      join(tmpdir(), 'meshup-kwokctl-create.lock'),
      `kwokctl create cluster --name ${spec.clusterName}`,
      { wait: true, signal: runner.signal },
      async () => {
        try {
          await kwokCreate(runner, spec.clusterName, file, yaml);
        } catch (e) {
          if (runner.signal?.aborted || runner.dryRun) throw e;
          await kwokDelete(runner.forCleanup(), spec.clusterName).catch(() => undefined);
          await kwokCreate(runner, spec.clusterName, file, yaml);
        }
      },
    );
    answering?.();
    await apply(runner, nodeYaml(spec), 'Adding a simulated node');
  },
  startCommands: (spec) => [formatCommand('kwokctl', kwokStartArgs(spec.clusterName))],
  start: (runner, spec) => kwokStart(runner, spec.clusterName),
  delete: (runner, spec) => kwokDelete(runner, spec.clusterName),
  deleteCommand: (spec) => `kwokctl delete cluster --name ${spec.clusterName}`,
  brokenFix: (spec) => `Recreate it: kwokctl delete cluster --name ${spec.clusterName} && meshup up --provider kwok`,
  portMappings: () => [],
};
