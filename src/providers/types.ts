// What a cluster provider can do, as data the rest of meshup reads instead of comparing names:
// whether it creates clusters, maps host ports, which states it reports and what repairs them,
// how its ingress is reached, and the commands behind each of its actions.

import type { ProviderName, VersionCatalog } from '../config/schema.js';
import type { Spec } from '../config/spec.js';
import type { Runner } from '../exec/runner.js';
import type { ToolName } from '../exec/tools.js';

type ClusterState = 'absent' | 'running' | 'stopped' | 'paused' | 'broken';

export interface ClusterStatus {
  state: ClusterState;
  detail?: string;
  /** It runs, but the kube context meshup reaches it by is gone from the kubeconfig. */
  contextMissing?: boolean;
}

/** How a person on this machine reaches the ingress gateway of such a cluster. */
export type IngressReach =
  /** Host ports mapped onto the gateway's pinned nodePorts when the cluster was made (kind). */
  | 'host-port-mapping'
  /** The cluster machine's own address and the nodePort (minikube ip). */
  | 'machine-address'
  /** A node's address (or localhost on desktop clusters) and the nodePort. */
  | 'node-address'
  /** Nothing listens: the nodes and pods are simulated. */
  | 'simulated';

export interface PortMapping {
  containerPort: number;
  hostPort: number;
}

/** A Kubernetes release a new cluster can run, and the node image that makes it (kind). */
export interface KubernetesChoice {
  version: string;
  image?: string;
}

/** The choice for a version asked for: that release, or for a minor alone ("v1.35") the newest
 * release of it. */
export function matchChoice(choices: readonly KubernetesChoice[], version: string): KubernetesChoice | undefined {
  const minorOnly = /^v1\.\d+$/.test(version);
  return choices.find((c) => c.version === version || (minorOnly && c.version.startsWith(`${version}.`)));
}

/** How a provider's nodes pull through meshup's registry containers (images/registries.ts). */
interface RegistryWiring {
  /** The Docker network its nodes are on: the registry containers join it, and nodes reach them by name. */
  network(spec: Spec): string;
  /** Which registries its nodes can be pointed at a mirror for: any (containerd's hosts.toml), or
   * Docker Hub alone (dockerd's --registry-mirror), and so no local registry. */
  registries: 'any' | 'docker.io';
  /** Its nodes' mirrors are set when the cluster is made and cannot change afterwards. */
  atCreateOnly: boolean;
  /** The node containers of a running cluster, by name (nodes whose mirrors can change later). */
  nodes?(runner: Runner, spec: Spec): Promise<string[]>;
  /** Whether this spec's cluster can use them at all (minikube: the docker driver only). */
  applies?(spec: Spec): boolean;
}

export interface Provider {
  readonly name: ProviderName;
  /** Programs it drives besides kubectl. */
  readonly tools: readonly ToolName[];
  /** Runs inside Docker, so Docker's VM limits apply. */
  readonly usesDocker: boolean;
  /** Creates (and so may delete) clusters; `existing` only uses one. */
  readonly creates: boolean;
  /** Host ports are mapped at creation and cannot change afterwards (kind#2720). */
  readonly mapsHostPorts: boolean;
  /** Whether `start` brings a cluster in each state back; others are refused with brokenFix. */
  readonly startRepairs: readonly ClusterState[];
  /** Its own memory floor for a new cluster, if it has one. */
  readonly minMemoryMiB?: number;
  /** Pods fail with "too many open files" below the kernel's default inotify limits. */
  readonly needsInotify: boolean;
  readonly ingress: IngressReach;
  /** Pods are simulated: nothing runs in them (no sidecar is ever injected, nothing listens). */
  readonly simulated: boolean;
  /** Istio's global.platform for its clusters (istio-cni's node paths differ), if it needs one. */
  readonly istioPlatform?: string;
  /** What ambient mode needs here that meshup cannot give: said in the plan, before anything runs. */
  readonly ambientNote?: string;
  /** The Kubernetes releases a new cluster can run by the version catalog, newest first: what the
   * newest release of its tool there lists. Absent: the tool's own default (kwok's is fixed). */
  kubernetesChoices?(catalog: VersionCatalog): readonly KubernetesChoice[];
  /** How a version the catalog does not list is asked for (kind: an unpinned image tag). */
  kubernetesChoice?(version: string, catalog: VersionCatalog): KubernetesChoice;
  context(spec: Spec): string;
  status(runner: Runner, spec: Spec): Promise<ClusterStatus>;
  /** The exact commands create() runs, for the plan. */
  createCommands(spec: Spec): string[];
  /** `answering` is called when the new cluster's API server answers, the runner is pinned to it
   * and its nodes are sure to come (kwok, which adds its node itself afterwards): Istio's install
   * may then start before create() returns. Other providers' nodes are checked first. */
  create(runner: Runner, spec: Spec, answering?: () => void): Promise<void>;
  startCommands(spec: Spec): string[];
  start(runner: Runner, spec: Spec): Promise<void>;
  delete(runner: Runner, spec: Spec): Promise<void>;
  /** The command a person would run to delete it by hand. */
  deleteCommand(spec: Spec): string;
  /** What to do about a cluster that exists but does not answer, when start cannot fix it. */
  brokenFix(spec: Spec): string;
  /** Its nodes can pull through meshup's caches and local registry; absent: they cannot (simulated
   * pods pull nothing; an existing cluster's nodes are not meshup's to configure). */
  readonly registryWiring?: RegistryWiring;
  /** A command that stays running and serves a Service on 127.0.0.1 (its URLs, one a line, on
   * stdout, in the Service's port order): for `ingress --tunnel` where the node address is hidden. */
  tunnel?(spec: Spec, service: { namespace: string; name: string }): { tool: ToolName; args: string[] };
  /** The API server's address as another cluster of the same machine reaches it (for the remote
   * secrets of a mesh of two clusters): not the 127.0.0.1 of a kubeconfig when that is a port
   * published from a container (istio/istio#31081). */
  peerApiServer?(runner: Runner, spec: Spec): Promise<string>;
  /** Where another cluster of the machine reaches this one's east-west gateway (a multi-network
   * mesh): its node's address; absent where nothing can (simulated nodes, a cluster meshup did
   * not make). */
  eastWestAddress?(runner: Runner, spec: Spec): Promise<string>;
  /** Two of its clusters cannot be created at the same moment (their creations are queued). */
  readonly createsOneAtATime?: boolean;
  /** The host ports a new cluster maps; empty when it maps none. */
  portMappings(spec: Spec): PortMapping[];
  /** The cluster machine's address, for `ingress: machine-address`. */
  machineAddress?(runner: Runner, spec: Spec): Promise<{ ip?: string; driver?: string }>;
  /** The host ports an existing cluster really maps (they were fixed when it was made). */
  hostPortMappings?(runner: Runner, spec: Spec): Promise<PortMapping[]>;
  /** Writes a missing kube context back (the cluster runs, its context was deleted). */
  restoreContext?(runner: Runner, spec: Spec): Promise<void>;
  restoreContextCommand?(spec: Spec): string;
}
