// The desired state: what the cluster and the mesh should be, decided once per command from
// every layer (session/spec.ts resolves it). How a command runs (--dry-run, --json, --yes,
// --force, --verbose) is not part of it: those are the run's switches (config/flags.ts).
import type { Dataplane, ISTIO_PLATFORMS, IstioRelease, Profile, ProviderName } from './schema.js';

/** Which layer decided a setting. */
export type Source = 'default' | 'profile' | 'recorded' | 'config' | 'env' | 'flag' | 'answer';

/** What a person chose at the prompts: the top layer. */
export interface Answers {
  provider?: ProviderName;
  profile?: string;
  addons?: string[];
}

export interface Resources {
  cpus: number;
  memoryMiB: number;
  diskMiB: number;
}

export type Gateway = Required<Profile['gateway']>;

export interface ImageCache {
  /** Where meshup's own caches fetch each registry from, where it differs from the registry's own. */
  readonly upstreams: Readonly<Record<string, string>>;
  /** Caches the user runs, by registry (their URLs from this machine): meshup prefetches through
   * them and runs none of its own. */
  readonly external?: Readonly<Record<string, string>>;
}

/** A cluster's place in a mesh of several clusters (session/cluster-set.ts): Istio's multi-primary
 * values, and what keeps it apart from the others on one machine. */
interface MeshMembership {
  readonly meshId: string;
  /** Istio's cluster ID: the cluster's name. */
  readonly clusterId: string;
  readonly network: string;
  /** Each cluster on its own network, reached through east-west gateways. */
  readonly multiNetwork: boolean;
  /** Its place in the set: decides its address ranges and host ports. */
  readonly index: number;
  /** Every cluster of the set, in order, itself included. */
  readonly clusters: readonly string[];
}

export interface Spec {
  readonly provider: ProviderName;
  readonly clusterName: string;
  readonly context?: string;
  readonly profile: Profile;
  /** A bundled profile's name, or the absolute path of a profile file. */
  readonly profileRef: string;
  readonly profileSource: string;
  /** The addons to run, dependencies first. */
  readonly addons: readonly string[];
  /** Addons that are in `addons` only because another one needs them. */
  readonly addedDependencies: readonly string[];
  /** The namespaces in the mesh: labelled for sidecar injection, or enrolled in ambient mode. */
  readonly namespaces: readonly string[];
  /** How workloads join the mesh. */
  readonly dataplane: Dataplane;
  /** Istio's global.platform, when the user named one (providers that know theirs add it). */
  readonly platform?: (typeof ISTIO_PLATFORMS)[number];
  readonly istioVersion: string;
  /** The Istio revision the control plane is installed as (an upgrade's canary that was finished,
   * named after its version: "1-31-1"); undefined for the default, unnamed one. */
  readonly revision?: string;
  /** The version catalog's entry for istioVersion's minor; undefined for a minor it lacks. */
  readonly release?: IstioRelease;
  /** The Kubernetes release of a new cluster: asked for, or the newest the provider can make
   * within the release's range (sources.kubernetesVersion says which). */
  readonly kubernetesVersion?: string;
  /** The node image that makes kubernetesVersion, pinned by digest, where the provider runs one
   * (kind); unpinned when the catalog lacks the version asked for. */
  readonly nodeImage?: string;
  /** What the profile or the user asked for. */
  readonly resources: Resources;
  /** resources plus the addons' footprint: what a new cluster is sized for. */
  readonly need: Resources;
  /** The one reading of the gateway settings: the Istio overlay and kind's port mappings use it. */
  readonly gateway: Gateway;
  readonly mtls?: 'strict' | 'permissive';
  readonly allowContexts: readonly string[];
  readonly driver?: string;
  readonly istioDir?: string;
  readonly istioMirror?: string;
  /** Install (or check) the Gateway API CRDs of the release Istio is built against. */
  readonly gatewayApi: boolean;
  readonly gatewayApiMirror?: string;
  /** Pull-through caches the nodes pull through; undefined when off (--no-cache, or a provider
   * whose nodes cannot use them and no cache of the user's own). */
  readonly imageCache?: ImageCache;
  /** The local registry's host port (localhost:PORT); undefined when there is none. */
  readonly localRegistryPort?: number;
  /** Set when the cluster is one of several that form one mesh. */
  readonly mesh?: MeshMembership;
  readonly timeoutMs: number;
  readonly configFile?: string;
  /** Which layer decided each setting: for the prompts (ask only what is open) and --verbose. */
  readonly sources: Readonly<Record<string, Source>>;
}
