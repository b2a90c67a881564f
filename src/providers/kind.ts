// kind: clusters as Docker containers. Host ports are mapped onto the gateway's pinned nodePorts
// when the cluster is created, because kind cannot add mappings later (kind#2720).
import { formatCommand } from '../exec/quote.js';
import { kindClusters, kindConfigYaml, kindContext, kindCreate, kindCreateArgs, kindDelete, type KindClusterConfig } from '../tools/kind.js';
import type { Spec } from '../config/spec.js';
import type { Provider } from './types.js';

function clusterConfig(spec: Spec): KindClusterConfig {
  return {
    name: spec.clusterName,
    nodeImage: spec.kubernetesVersion ? `kindest/node:${spec.kubernetesVersion}` : undefined,
    portMappings: kindProvider.portMappings(spec),
  };
}

export const kindProvider: Provider = {
  name: 'kind',
  tools: ['kind', 'docker'],
  usesDocker: true,
  creates: true,
  mapsHostPorts: true,
  // kind clusters restart with Docker; there is nothing of kind's own to start.
  startRepairs: [],
  needsInotify: true,
  ingress: 'host-port-mapping',
  simulated: false,
  context: (spec) => kindContext(spec.clusterName),
  async status(runner, spec) {
    return { state: (await kindClusters(runner)).includes(spec.clusterName) ? 'running' : 'absent' };
  },
  createCommands: (spec) => [formatCommand('kind', kindCreateArgs(clusterConfig(spec)), kindConfigYaml(clusterConfig(spec)))],
  create: (runner, spec) => kindCreate(runner, clusterConfig(spec)),
  startCommands: () => [],
  async start() {},
  delete: (runner, spec) => kindDelete(runner, spec.clusterName),
  deleteCommand: (spec) => `kind delete cluster --name ${spec.clusterName}`,
  brokenFix: (spec) => `Restart Docker, or recreate it: kind delete cluster --name ${spec.clusterName} && meshup up`,
  portMappings: (spec) =>
    spec.gateway.ingress
      ? [
          { containerPort: spec.gateway.httpNodePort, hostPort: spec.gateway.hostHttpPort },
          { containerPort: spec.gateway.httpsNodePort, hostPort: spec.gateway.hostHttpsPort },
        ]
      : [],
};
