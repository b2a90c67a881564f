// A cluster the user already has, named by context. meshup never creates or deletes it.
import { MeshupError } from '../errors.js';
import { serverVersion } from '../tools/kubectl.js';
import type { Provider } from './types.js';

export const existingProvider: Provider = {
  name: 'existing',
  tools: [],
  usesDocker: false,
  creates: false,
  context(o) {
    if (!o.context) throw new MeshupError('internal: the existing provider needs a context');
    return o.context;
  },
  async status(runner) {
    try {
      await serverVersion(runner);
      return { state: 'running' };
    } catch (e) {
      return { state: 'broken', detail: (e as Error).message };
    }
  },
  async create(_runner, o) {
    throw new MeshupError(`The cluster of context "${o.context}" is not reachable`, {
      fix: 'Start that cluster, or choose a provider that creates one: --provider minikube or --provider kind',
    });
  },
  async start(_runner, o) {
    throw new MeshupError(`The cluster of context "${o.context}" is not reachable`, { fix: 'Start that cluster yourself; meshup only uses it' });
  },
  async delete(_runner, o) {
    throw new MeshupError(`meshup did not create the cluster of context "${o.context}" and will not delete it`, {
      fix: 'Remove only the mesh with: meshup down --keep-cluster',
    });
  },
};
