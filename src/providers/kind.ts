import { kindClusters, kindContext, kindCreate, kindDelete } from '../tools/kind.js';
import type { Options } from '../config/resolve.js';
import type { Provider } from './types.js';

export function kindPortMappings(o: Options) {
  const g = o.gateway;
  return [
    { containerPort: g.httpNodePort!, hostPort: g.hostHttpPort! },
    { containerPort: g.httpsNodePort!, hostPort: g.hostHttpsPort! },
  ];
}

export const kindProvider: Provider = {
  name: 'kind',
  tools: ['kind', 'docker'],
  usesDocker: true,
  creates: true,
  context: (o) => kindContext(o.clusterName),
  async status(runner, o) {
    // kind has no stopped state of its own: a listed cluster whose API is down is "broken".
    return { state: (await kindClusters(runner)).includes(o.clusterName) ? 'running' : 'absent' };
  },
  async create(runner, o) {
    await kindCreate(runner, {
      name: o.clusterName,
      nodeImage: o.kubernetesVersion ? `kindest/node:${o.kubernetesVersion.startsWith('v') ? '' : 'v'}${o.kubernetesVersion}` : undefined,
      // Decided now: kind cannot add port mappings to an existing cluster (kind#2720).
      portMappings: o.profile.gateway.ingress ? kindPortMappings(o) : [],
    });
  },
  async start() {
    /* kind clusters restart with Docker; nothing to do */
  },
  delete: (runner, o) => kindDelete(runner, o.clusterName),
};
