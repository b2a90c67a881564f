// A cluster the user already has, named by context. meshup never creates, starts or deletes it.
import { MeshupError } from '../errors.js';
import { kubeconfigView, serverVersion } from '../tools/kubectl.js';
import type { Provider } from './types.js';

const unreachable = (context?: string) =>
  new MeshupError(`The cluster of context "${context}" is not reachable`, {
    fix: 'Start that cluster yourself (meshup only uses it), or choose a provider that creates one: --provider minikube or --provider kind',
  });

export const existingProvider: Provider = {
  name: 'existing',
  tools: [],
  usesDocker: false,
  creates: false,
  mapsHostPorts: false,
  startRepairs: [],
  needsInotify: false,
  ingress: 'node-address',
  simulated: false,
  ambientNote:
    "meshup did not create this cluster and cannot know its platform: on GKE, k3d, k3s, MicroK8s or OpenShift, ambient mode needs Istio's global.platform (set platform: in meshup.yaml, or MESHUP_PLATFORM)",
  context(spec) {
    if (!spec.context) throw new MeshupError('internal: the existing provider needs a context');
    return spec.context;
  },
  async status(runner) {
    try {
      await serverVersion(runner);
      return { state: 'running' };
    } catch (e) {
      return { state: 'broken', detail: (e as Error).message };
    }
  },
  // What the kubeconfig names: meshup did not make the cluster and cannot know a better address
  // (a member's apiServer in meshup.yaml says another).
  async peerApiServer(runner) {
    const server = (await kubeconfigView(runner)).contexts.find((c) => c.name === runner.context)?.server;
    if (!server) throw new MeshupError(`The kube context ${runner.context} names no server`);
    return server;
  },
  createCommands: () => [],
  async create(_runner, spec) {
    throw unreachable(spec.context);
  },
  startCommands: () => [],
  async start(_runner, spec) {
    throw unreachable(spec.context);
  },
  async delete(_runner, spec) {
    throw new MeshupError(`meshup did not create the cluster of context "${spec.context}" and will not delete it`, {
      fix: 'Remove only the mesh with: meshup down --keep-cluster',
    });
  },
  deleteCommand: () => '',
  brokenFix: (spec) => `Start the cluster of context ${spec.context} yourself, then run meshup up again`,
  portMappings: () => [],
};
