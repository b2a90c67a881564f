import { minikubeContext, minikubeDelete, minikubeResume, minikubeStart, minikubeStatus } from '../tools/minikube.js';
import type { Provider } from './types.js';
import { clusterNeed } from '../preflight/need.js';

export const minikubeProvider: Provider = {
  name: 'minikube',
  tools: ['minikube', 'docker'],
  usesDocker: true,
  creates: true,
  context: (o) => minikubeContext(o.clusterName),
  async status(runner, o) {
    return { state: await minikubeStatus(runner, o.clusterName) };
  },
  async create(runner, o) {
    const need = clusterNeed(o);
    await minikubeStart(runner, {
      profile: o.clusterName,
      cpus: need.cpus,
      memoryMiB: need.memoryMiB,
      diskMiB: o.resources.diskMiB,
      driver: o.driver,
      kubernetesVersion: o.kubernetesVersion,
    });
  },
  // A stopped profile is started, never recreated: it may hold the user's work (ctlptl#211).
  start: (runner, o) => minikubeResume(runner, o.clusterName),
  delete: (runner, o) => minikubeDelete(runner, o.clusterName),
};
