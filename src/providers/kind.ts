// kind: clusters as Docker containers. Host ports are mapped onto the gateway's pinned nodePorts
// when the cluster is created, because kind cannot add mappings later (kind#2720).

import { subnetsOf } from '../config/cluster-set.js';
import type { Spec } from '../config/spec.js';
import { CommandFailedError, InterruptedError } from '../errors.js';
import { formatCommand } from '../exec/quote.js';
import { CERTS_D } from '../images/registries.js';
import {
  type KindClusterConfig,
  kindClusters,
  kindConfigYaml,
  kindContext,
  kindCreate,
  kindCreateArgs,
  kindDelete,
  kindExportKubeconfig,
  kindNodeAddress,
  kindNodeStart,
  kindNodeStartArgs,
  kindNodeState,
  kindNodes,
  kindPortMappings,
} from '../tools/kind.js';
import { matchChoice, type Provider } from './types.js';

function clusterConfig(spec: Spec): KindClusterConfig {
  return {
    name: spec.clusterName,
    nodeImage: spec.nodeImage ?? (spec.kubernetesVersion ? `kindest/node:${spec.kubernetesVersion}` : undefined),
    portMappings: kindProvider.portMappings(spec),
    // Always set: a cluster made without the cache can be pointed at it later.
    registryConfigPath: CERTS_D,
    ...(spec.mesh ? { subnets: subnetsOf(spec.mesh.index) } : {}),
  };
}

export const kindProvider: Provider = {
  name: 'kind',
  tools: ['kind', 'docker'],
  usesDocker: true,
  creates: true,
  mapsHostPorts: true,
  // kind has no start command: a stopped or paused node container is started with docker.
  startRepairs: ['stopped', 'paused'],
  needsInotify: true,
  ingress: 'host-port-mapping',
  simulated: false,
  // Nodes join the network kind makes for every cluster ("kind"); containerd reads hosts.toml.
  registryWiring: { network: () => 'kind', registries: 'any', atCreateOnly: false, nodes: (runner, spec) => kindNodes(runner, spec.clusterName) },
  // kind supports a node image as built for its release; the newest release the catalog knows
  // lists them by digest.
  kubernetesChoices: (catalog) => (catalog.kind[0]?.images ?? []).map((image) => ({ version: image.split(':')[1]!.split('@')[0]!, image })),
  kubernetesChoice: (version, catalog) => matchChoice(kindProvider.kubernetesChoices!(catalog), version) ?? { version, image: `kindest/node:${version}` },
  context: (spec) => kindContext(spec.clusterName),
  async status(runner, spec) {
    // kind lists a cluster while its node container exists; whether that runs is Docker's to say.
    const [listed, node] = await Promise.all([kindClusters(runner), kindNodeState(runner, spec.clusterName).catch(() => 'other' as const)]);
    if (!listed.includes(spec.clusterName)) return { state: 'absent' };
    if (node === 'stopped' || node === 'paused') return { state: node, detail: `its node container ${spec.clusterName}-control-plane is ${node}` };
    if (node === 'absent') return { state: 'broken', detail: `kind lists it, but its node container ${spec.clusterName}-control-plane is gone` };
    return { state: 'running' };
  },
  createCommands: (spec) => [formatCommand('kind', kindCreateArgs(clusterConfig(spec)), kindConfigYaml(clusterConfig(spec)))],
  async create(runner, spec) {
    try {
      // The limit is the user's --timeout, so the one an error names is real.
      await kindCreate(runner, clusterConfig(spec), 180, spec.timeoutMs);
    } catch (e) {
      // Killed mid-create (Ctrl-C, or the limit above), kind leaves its node container behind;
      // failing on its own, it cleans up. Remove what it left, with a runner Ctrl-C does not stop.
      if (e instanceof InterruptedError || (e instanceof CommandFailedError && e.commandExitCode === undefined)) {
        await kindDelete(runner.forCleanup(), spec.clusterName).catch(() => undefined);
      }
      throw e;
    }
  },
  startCommands: (spec) => [formatCommand('docker', kindNodeStartArgs(spec.clusterName))],
  start: (runner, spec) => kindNodeStart(runner, spec.clusterName),
  restoreContext: (runner, spec) => kindExportKubeconfig(runner, spec.clusterName),
  restoreContextCommand: (spec) => `kind export kubeconfig --name ${spec.clusterName}`,
  async hostPortMappings(runner, spec) {
    return (await kindPortMappings(runner, spec.clusterName)).map((m) => ({ containerPort: m.containerPort, hostPort: m.hostPort }));
  },
  delete: (runner, spec) => kindDelete(runner, spec.clusterName),
  peerApiServer: async (runner, spec) => {
    const ip = await kindNodeAddress(runner, spec.clusterName);
    return `https://${ip.includes(':') ? `[${ip}]` : ip}:6443`;
  },
  eastWestAddress: (runner, spec) => kindNodeAddress(runner, spec.clusterName),
  deleteCommand: (spec) => `kind delete cluster --name ${spec.clusterName}`,
  brokenFix: (spec) => `Restart Docker, or recreate it: kind delete cluster --name ${spec.clusterName} && meshup up`,
  // Mapped whether the ingress is Istio's classic gateway or a Gateway API gateway (meshup pins
  // the nodePorts of either): the mappings cannot be added once the cluster exists.
  portMappings: (spec) => [
    { containerPort: spec.gateway.httpNodePort, hostPort: spec.gateway.hostHttpPort },
    { containerPort: spec.gateway.httpsNodePort, hostPort: spec.gateway.hostHttpsPort },
  ],
};
