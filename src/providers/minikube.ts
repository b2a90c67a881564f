// minikube: one profile is one cluster. A stopped or half-running profile is started, never
// recreated: it may hold the user's work (ctlptl#211), and `minikube start` repairs it.

import { subnetsOf } from '../config/cluster-set.js';
import type { Spec } from '../config/spec.js';
import { formatCommand } from '../exec/quote.js';
import { cacheContainer, innerUrl } from '../images/registries.js';
import {
  type MinikubeStartSpec,
  minikubeContext,
  minikubeDelete,
  minikubeIp,
  minikubeProfiles,
  minikubeResume,
  minikubeResumeArgs,
  minikubeServiceUrlArgs,
  minikubeStart,
  minikubeStartArgs,
  minikubeStatus,
} from '../tools/minikube.js';
import { matchChoice, type Provider } from './types.js';

/** minikube's own floor: it refuses to start below this (and warns below 1900). */
const MINIKUBE_MIN_MEMORY_MIB = 1800;

const startSpec = (spec: Spec): MinikubeStartSpec => ({
  profile: spec.clusterName,
  cpus: spec.need.cpus,
  memoryMiB: spec.need.memoryMiB,
  diskMiB: spec.resources.diskMiB,
  driver: spec.driver,
  kubernetesVersion: spec.kubernetesVersion,
  // dockerd's mirror is Docker Hub's only; the cache joins the profile's network after the start.
  registryMirror: spec.imageCache && !spec.imageCache.external && minikubeProvider.registryWiring!.applies!(spec) ? dockerHubMirror() : undefined,
  ...(spec.mesh ? { subnets: subnetsOf(spec.mesh.index) } : {}),
});

const dockerHubMirror = () => {
  const c = cacheContainer('docker.io')!;
  return innerUrl(c);
};

export const minikubeProvider: Provider = {
  name: 'minikube',
  tools: ['minikube', 'docker'],
  usesDocker: true,
  creates: true,
  mapsHostPorts: false,
  startRepairs: ['stopped', 'paused', 'broken'],
  minMemoryMiB: MINIKUBE_MIN_MEMORY_MIB,
  needsInotify: false,
  ingress: 'machine-address',
  simulated: false,
  // The docker driver puts the node on a network named after the profile; its dockerd takes one
  // mirror, for Docker Hub, when it starts.
  registryWiring: {
    network: (spec) => spec.clusterName,
    registries: 'docker.io',
    atCreateOnly: true,
    applies: (spec) => !spec.driver || spec.driver === 'docker',
  },
  // istio-cni must write into minikube's own CNI directories (Istio's platform prerequisites).
  istioPlatform: 'minikube',
  // minikube makes any release from its oldest to its newest: the newest, then each older minor.
  kubernetesChoices(catalog) {
    const m = catalog.minikube[0];
    if (!m) return [];
    const minor = (v: string) => Number(v.split('.')[1]);
    const older = Array.from({ length: Math.max(0, minor(m.newest) - minor(m.oldest)) }, (_, i) => `v1.${minor(m.newest) - 1 - i}.0`);
    return [m.newest, ...older].map((version) => ({ version }));
  },
  kubernetesChoice: (version, catalog) => matchChoice(minikubeProvider.kubernetesChoices!(catalog), version) ?? { version },
  context: (spec) => minikubeContext(spec.clusterName),
  async status(runner, spec) {
    return { state: await minikubeStatus(runner, spec.clusterName) };
  },
  createCommands: (spec) => [formatCommand('minikube', minikubeStartArgs(startSpec(spec)))],
  create: (runner, spec) => minikubeStart(runner, startSpec(spec)),
  startCommands: (spec) => [formatCommand('minikube', minikubeResumeArgs(spec.clusterName))],
  start: (runner, spec) => minikubeResume(runner, spec.clusterName),
  delete: (runner, spec) => minikubeDelete(runner, spec.clusterName),
  deleteCommand: (spec) => `minikube delete -p ${spec.clusterName}`,
  brokenFix: (spec) => `minikube start -p ${spec.clusterName}, then meshup up again`,
  portMappings: () => [],
  // Its node's address on the machine's Docker (or VM) network, where minikube's API server listens.
  peerApiServer: async (runner, spec) => `https://${await minikubeIp(runner, spec.clusterName)}:8443`,
  eastWestAddress: (runner, spec) => minikubeIp(runner, spec.clusterName),
  tunnel: (spec, s) => ({ tool: 'minikube', args: minikubeServiceUrlArgs(spec.clusterName, s.namespace, s.name) }),
  async machineAddress(runner, spec) {
    const [ip, profiles] = await Promise.all([
      minikubeIp(runner, spec.clusterName).catch(() => undefined),
      // The driver matters only where the docker driver hides the node (macOS, Windows).
      process.platform === 'linux' ? Promise.resolve([]) : minikubeProfiles(runner).catch(() => []),
    ]);
    return { ip, driver: profiles.find((p) => p.name === spec.clusterName)?.driver };
  },
};
