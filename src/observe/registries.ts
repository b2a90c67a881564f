// What Docker and the nodes hold of meshup's registry containers: the containers under meshup's
// names (whoever made them), and, on nodes whose mirrors can change, each wanted registry's
// hosts.toml; and the local registry's KEP-1755 ConfigMap. Read only where the spec wants them.
import type { Spec } from '../config/spec.js';
import type { Runner } from '../exec/runner.js';
import { hostsTomlPath, type RegistryContainer, type RegistryObserved } from '../images/registries.js';
import type { KubeObject } from '../kube/objects.js';
import type { Provider } from '../providers/types.js';
import { readContainerFile, registryContainers } from '../tools/docker.js';
import { listObjects } from '../tools/kubectl.js';

export interface RegistriesObserved {
  containers: RegistryObserved[];
  /** By node container: each wanted registry's hosts.toml, undefined when it is not there. */
  nodes?: Record<string, Record<string, string | undefined>>;
  /** kube-public/local-registry-hosting; null when it is not there, undefined when not read. */
  hosting?: KubeObject | null;
}

/** `running`: the cluster answered, so its nodes and objects can be read. */
export async function readRegistries(
  runner: Runner,
  spec: Spec,
  provider: Provider,
  running: boolean,
  wanted: readonly RegistryContainer[],
): Promise<RegistriesObserved> {
  const wiring = provider.registryWiring;
  const [containers, nodes, hosting] = await Promise.all([
    registryContainers(
      runner,
      wanted.map((c) => c.name),
    ),
    running && wiring?.nodes && !wiring.atCreateOnly
      ? wiring.nodes(runner, spec).then(async (names) => {
          const out: Record<string, Record<string, string | undefined>> = {};
          await Promise.all(
            names.map(async (node) => {
              const files = await Promise.all(wanted.map(async (c) => [c.registry, await readContainerFile(runner, node, hostsTomlPath(c.registry))] as const));
              out[node] = Object.fromEntries(files);
            }),
          );
          return out;
        })
      : Promise.resolve(undefined),
    running && wanted.some((c) => c.role === 'local')
      ? listObjects(runner, 'configmaps', { namespace: 'kube-public' }).then((cms) => cms.find((o) => o.metadata.name === 'local-registry-hosting') ?? null)
      : Promise.resolve(undefined),
  ]);
  return { containers, nodes, hosting };
}
