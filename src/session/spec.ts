// The desired state, resolved from these layers (later wins):
//   defaults < profile < recorded < config file < environment (MESHUP_*) < flags < answers
// "recorded" is what the cluster says meshup last applied (kept while the profile stays the same)
// and, for which cluster to act on, the cluster meshup last worked with. Every value from every
// layer goes through the same check in config/validate.ts. The sources come from Sources, read
// once per command; resolving again (with the cluster's record, an answer, an edit) reads nothing.
// The result is frozen: commands read it, never patch it; a change is one more layer, a new spec.
import { resolve } from 'node:path';
import { checkAddonNames, withDependencies } from '../config/catalog.js';
import type { ClusterSet, SetMember } from '../config/cluster-set.js';
import type { Flags } from '../config/flags.js';
import { parseMiB } from '../config/quantity.js';
import {
  type Addon,
  DATAPLANES,
  type Dataplane,
  ISTIO_PLATFORMS,
  type MeshupConfig,
  PROVIDERS,
  type Profile,
  type ProviderName,
  type VersionCatalog,
} from '../config/schema.js';
import type { Answers, Gateway, Source, Spec } from '../config/spec.js';
import * as check from '../config/validate.js';
import { DEFAULT_ISTIO_VERSION } from '../config/versions.js';
import { UsageError } from '../errors.js';
import { DEFAULT_LOCAL_REGISTRY_PORT, UPSTREAMS } from '../images/registries.js';
import { computeNeed } from '../preflight/need.js';
import { providerFor } from '../providers/index.js';
import type { AppliedSpec } from '../state/applied-spec.js';
import type { LastTarget } from '../state/target.js';
import { closest } from '../util/suggest.js';
import type { Sources } from './sources.js';

const DEFAULT_CLUSTER_NAME = 'meshup';
const DEFAULT_TIMEOUT = '10m';

export interface SpecInput {
  flags: Flags;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Providers whose tool is installed, in order of preference: the default when none is named. */
  installedProviders: readonly ProviderName[];
  /** The spec meshup last applied to this cluster. */
  recorded?: AppliedSpec;
  answers?: Answers;
  /** Edits a command makes to the desired state (`addons enable`): above everything else. */
  edits?: { addons?: string[]; namespaces?: string[] };
  /** Instead of the sources' (tests). */
  lastTarget?: LastTarget;
  /** The cluster is one of a set that forms one mesh: its name, provider and place come from it. */
  member?: { set: ClusterSet; member: SetMember };
}

type Layer<T> = [Source, check.From, T | undefined];

const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);

function providerOf(value: string, from: check.From): ProviderName {
  if ((PROVIDERS as readonly string[]).includes(value)) return value as ProviderName;
  const near = closest(value, PROVIDERS);
  throw new UsageError(`Unknown provider ${check.shown(value)} (from ${from.label})`, {
    details: [`valid providers: ${PROVIDERS.join(', ')}`],
    fix: near ? `Did you mean --provider ${near}?` : 'Pick one of the above',
  });
}

const size = (v: string | number, from: check.From) => {
  const n = parseMiB(v);
  if (n === undefined || n <= 0)
    throw new UsageError(`${check.shown(String(v))} is not a size (from ${from.label})`, { fix: 'Use a size such as 8g, 8192m or 8Gi' });
  return n;
};

/** Picks each setting from its layers and records which layer decided it. */
class Layers {
  readonly sources: Record<string, Source> = {};

  constructor(
    readonly input: SpecInput,
    readonly config: MeshupConfig,
    readonly configFile: string | undefined,
  ) {}

  cfg = (key: string): check.From => ({ label: `${this.configFile ?? 'meshup.yaml'} (${key})`, file: true });
  flag = (name: string): check.From => ({ label: `--${name}` });
  env = (name: string): check.From => ({ label: name });
  readonly recordedFrom: check.From = { label: 'the spec meshup recorded in the cluster' };
  readonly lastFrom: check.From = { label: 'the cluster meshup last used on this machine' };
  readonly answerFrom: check.From = { label: 'your answer' };
  readonly defaultFrom: check.From = { label: 'the default' };
  profileFrom = (p: Profile): check.From => ({ label: `profile ${p.name}` });

  /** The first defined value, top layer first; checks it and records its source. */
  pick<T, R = T>(key: string, layers: Layer<T>[], validate?: (v: T, from: check.From) => R): R | undefined {
    for (const [source, from, value] of layers) {
      if (value === undefined) continue;
      this.sources[key] = source;
      return validate ? validate(value, from) : (value as unknown as R);
    }
    return undefined;
  }
}

/** Which cluster: flags, env and config first; then the cluster meshup last used here. */
function targetOf(l: Layers, lastTarget: LastTarget | undefined) {
  const { flags, env, answers } = l.input;
  const { config } = l;
  const explicit = l.pick<string, ProviderName>(
    'provider',
    [
      ['answer', l.answerFrom, answers?.provider],
      ['flag', l.flag('provider'), flags.provider],
      ['env', l.env('MESHUP_PROVIDER'), env.MESHUP_PROVIDER],
      ['config', l.cfg('provider'), config.provider],
    ],
    providerOf,
  );
  const context = l.pick<string>('context', [
    ['flag', l.flag('context'), flags.context],
    ['env', l.env('MESHUP_CONTEXT'), env.MESHUP_CONTEXT],
    ['config', l.cfg('context'), config.context],
  ]);
  let provider: ProviderName;
  if (explicit) provider = explicit;
  else if (context) {
    // A named context means that cluster, unless it is the one meshup made.
    provider = lastTarget?.context === context ? lastTarget.provider : 'existing';
    l.sources.provider = lastTarget?.context === context ? 'recorded' : 'default';
  } else if (lastTarget) {
    provider = lastTarget.provider;
    l.sources.provider = 'recorded';
  } else {
    provider = l.input.installedProviders[0] ?? 'minikube';
    l.sources.provider = 'default';
  }
  const sameTarget = lastTarget?.provider === provider ? lastTarget : undefined;
  const clusterName = l.pick<string>(
    'clusterName',
    [
      ['flag', l.flag('name'), flags.name],
      ['env', l.env('MESHUP_CLUSTER_NAME'), env.MESHUP_CLUSTER_NAME],
      ['config', l.cfg('clusterName'), config.clusterName],
      ['recorded', l.lastFrom, sameTarget?.clusterName],
      ['default', l.defaultFrom, DEFAULT_CLUSTER_NAME],
    ],
    check.clusterName,
  )!;
  // A provider that makes no clusters reaches one by context: the one it used last, else the
  // kubeconfig's current-context (session/target.ts).
  const targetContext = context ?? (providerFor(provider).creates ? undefined : sameTarget?.context);
  if (targetContext && !l.sources.context) l.sources.context = 'recorded';
  return { provider, clusterName, context: targetContext };
}

/** A member of a set: its own name (and provider and context, where the set names them). */
function memberTarget(l: Layers, base: ReturnType<typeof targetOf>, member: SetMember): ReturnType<typeof targetOf> {
  l.sources.clusterName = 'config';
  if (member.provider) l.sources.provider = 'config';
  if (member.context) l.sources.context = 'config';
  const provider = member.provider ?? base.provider;
  if (!providerFor(provider).creates && !member.context) {
    throw new UsageError(`Cluster ${member.name} of the mesh uses the ${provider} provider, which reaches a cluster only by its kube context, and names none`, {
      fix: `Give it one in meshup.yaml: clusters: [{ name: ${member.name}, provider: ${provider}, context: CONTEXT }, ...]`,
    });
  }
  return { provider, clusterName: member.name, context: member.context };
}

async function profileOf(l: Layers, sources: Sources, recorded: AppliedSpec | undefined) {
  const { flags, env, answers, cwd } = l.input;
  const ref = l.pick<string>('profile', [
    ['answer', l.answerFrom, answers?.profile],
    ['flag', l.flag('profile'), flags.profile],
    ['env', l.env('MESHUP_PROFILE'), env.MESHUP_PROFILE],
    ['config', l.cfg('profile'), l.config.profile],
    ['recorded', l.recordedFrom, recorded?.profileRef ?? recorded?.profile],
    ['default', l.defaultFrom, 'default'],
  ])!;
  // A profile path in the config file is relative to that file, as users expect.
  const base = l.sources.profile === 'config' && l.configFile ? resolve(l.configFile, '..') : cwd;
  const { profile, source } = await sources.profile(ref, base);
  const profileRef = source.endsWith(`/profiles/${profile.name}.yaml`) && !ref.includes('/') ? profile.name : source;
  // What was recorded under another profile does not carry over to this one.
  const keep = recorded && (recorded.profileRef ?? recorded.profile) === profileRef ? recorded : undefined;
  return { profile, profileRef, profileSource: source, keep };
}

/** What is in the mesh: addons (with what they need), namespaces, and the dataplane mode. */
function meshOf(l: Layers, profile: Profile, keep: AppliedSpec | undefined, catalog: Map<string, Addon>) {
  const { flags, env, answers, edits } = l.input;
  const { config } = l;
  const addonNames = (v: string[], from: check.From) => {
    checkAddonNames(v, catalog, from.label);
    return [...new Set(v)];
  };
  const chosen = l.pick<string[]>(
    'addons',
    [
      ['answer', l.answerFrom, edits?.addons ?? answers?.addons],
      ['flag', l.flag('addons'), list(flags.addons)],
      ['env', l.env('MESHUP_ADDONS'), list(env.MESHUP_ADDONS)],
      ['config', l.cfg('addons'), config.addons],
      ['recorded', l.recordedFrom, keep?.addons],
      ['profile', l.profileFrom(profile), profile.addons],
    ],
    addonNames,
  )!;
  if (edits?.addons) l.sources.addons = 'flag';
  const namespaces = l.pick<string[]>(
    'namespaces',
    [
      ['answer', l.answerFrom, edits?.namespaces],
      ['flag', l.flag('namespaces'), list(flags.namespaces)],
      ['env', l.env('MESHUP_NAMESPACES'), list(env.MESHUP_NAMESPACES)],
      ['config', l.cfg('namespaces'), config.namespaces],
      ['recorded', l.recordedFrom, keep?.namespaces],
      ['profile', l.profileFrom(profile), profile.injection.namespaces],
    ],
    check.namespaces,
  )!;
  if (edits?.namespaces) l.sources.namespaces = 'flag';
  // Istio's ambient profile is ambient; any other profile may be run either way.
  const dataplane = l.pick<string, Dataplane>(
    'dataplane',
    [
      ['flag', l.flag('dataplane'), flags.dataplane],
      ['env', l.env('MESHUP_DATAPLANE'), env.MESHUP_DATAPLANE],
      ['config', l.cfg('dataplane'), config.dataplane],
      ['recorded', l.recordedFrom, keep?.dataplane],
      ['profile', l.profileFrom(profile), profile.dataplane],
      ['default', l.defaultFrom, profile.istio.profile === 'ambient' ? 'ambient' : 'sidecar'],
    ],
    check.oneOf('dataplane mode', DATAPLANES),
  )!;
  if (dataplane === 'sidecar' && profile.istio.profile === 'ambient') {
    throw new UsageError(`Profile ${profile.name} installs Istio's ambient profile, so its dataplane is ambient, not sidecar`, {
      fix: ['Drop the sidecar setting to run it in ambient mode', 'or pick a sidecar profile: --profile default, demo or minimal'],
    });
  }
  const { ordered, added } = withDependencies(chosen, catalog);
  return { addons: ordered, addedDependencies: added, namespaces, dataplane };
}

/** What a new cluster is sized for: the profile's or the user's size, and the addons' footprint on top. */
function resourcesOf(l: Layers, profile: Profile, addons: readonly Addon[]) {
  const { flags, env } = l.input;
  const r = l.config.resources;
  const cpus = l.pick<string | number, number>(
    'cpus',
    [
      ['flag', l.flag('cpus'), flags.cpus],
      ['env', l.env('MESHUP_CPUS'), env.MESHUP_CPUS],
      ['config', l.cfg('resources.cpus'), r?.cpus],
      ['profile', l.profileFrom(profile), profile.cluster.cpus],
    ],
    (v, from) => (typeof v === 'number' ? v : check.positiveInt(v, from)),
  )!;
  const memoryMiB = l.pick<string | number, number>(
    'memory',
    [
      ['flag', l.flag('memory'), flags.memory],
      ['env', l.env('MESHUP_MEMORY'), env.MESHUP_MEMORY],
      ['config', l.cfg('resources.memory'), r?.memory],
      ['profile', l.profileFrom(profile), profile.cluster.memory],
    ],
    size,
  )!;
  const diskMiB = l.pick<string | number, number>(
    'disk',
    [
      ['config', l.cfg('resources.disk'), r?.disk],
      ['profile', l.profileFrom(profile), profile.cluster.disk],
    ],
    size,
  )!;
  const resources = { cpus, memoryMiB, diskMiB };
  const byHand = { cpus: l.sources.cpus !== 'profile', memory: l.sources.memory !== 'profile' };
  return { resources, need: computeNeed(resources, addons, byHand) };
}

/** Where Istio and the Gateway API CRDs come from, and which Kubernetes a new cluster runs. */
function releasesOf(l: Layers, recorded: AppliedSpec | undefined) {
  const { flags, env, cwd } = l.input;
  const { config } = l;
  const path = (v: string | undefined) => (v === undefined ? undefined : resolve(cwd, v));
  return {
    istioVersion: l.pick<string>(
      'istioVersion',
      [
        ['flag', l.flag('istio-version'), flags.istioVersion],
        ['env', l.env('MESHUP_ISTIO_VERSION'), env.MESHUP_ISTIO_VERSION],
        ['config', l.cfg('istioVersion'), config.istioVersion],
        ['recorded', l.recordedFrom, recorded?.istioVersion],
        ['default', l.defaultFrom, DEFAULT_ISTIO_VERSION],
      ],
      check.istioVersion,
    )!,
    kubernetesVersion: l.pick<string>(
      'kubernetesVersion',
      [
        ['flag', l.flag('kubernetes-version'), flags.kubernetesVersion],
        ['env', l.env('MESHUP_KUBERNETES_VERSION'), env.MESHUP_KUBERNETES_VERSION],
        ['config', l.cfg('kubernetesVersion'), config.kubernetesVersion],
      ],
      check.kubernetesVersion,
    ),
    istioDir: l.pick<string>(
      'istioDir',
      [
        ['flag', l.flag('istio-dir'), path(flags.istioDir)],
        ['env', l.env('MESHUP_ISTIO_DIR'), path(env.MESHUP_ISTIO_DIR)],
      ],
      check.istioDir,
    ),
    istioMirror: l.pick<string>(
      'istioMirror',
      [
        ['flag', l.flag('istio-mirror'), flags.istioMirror],
        ['env', l.env('MESHUP_ISTIO_MIRROR'), env.MESHUP_ISTIO_MIRROR],
        ['config', l.cfg('istioMirror'), config.istioMirror],
      ],
      check.mirror,
    ),
    gatewayApi: l.pick<boolean>('gatewayApi', [
      ['flag', l.flag('gateway-api'), flags.gatewayApi],
      ['config', l.cfg('gatewayApi'), config.gatewayApi],
      ['recorded', l.recordedFrom, recorded?.gatewayApi],
      ['default', l.defaultFrom, true],
    ])!,
    gatewayApiMirror: l.pick<string>(
      'gatewayApiMirror',
      [
        ['flag', l.flag('gateway-api-mirror'), flags.gatewayApiMirror],
        ['env', l.env('MESHUP_GATEWAY_API_MIRROR'), env.MESHUP_GATEWAY_API_MIRROR],
        ['config', l.cfg('gatewayApiMirror'), config.gatewayApiMirror],
      ],
      check.mirror,
    ),
  };
}

/** How the mesh runs here: the platform, the gateway's ports, mTLS, the driver, the time limit.
 * The index-th cluster of a set publishes its gateway on host ports of its own (the next ones). */
function settingsOf(l: Layers, profile: Profile, index: number) {
  const { flags, env } = l.input;
  const { config } = l;
  const given = { ...profile.gateway, ...config.gateway } as Gateway;
  const gateway = { ...given, hostHttpPort: given.hostHttpPort + index, hostHttpsPort: given.hostHttpsPort + index };
  const { httpNodePort, httpsNodePort, hostHttpPort, hostHttpsPort } = gateway;
  check.ports({ httpNodePort, httpsNodePort, hostHttpPort, hostHttpsPort }, config.gateway ? l.cfg('gateway') : l.profileFrom(profile));
  return {
    gateway,
    platform: l.pick<string, (typeof ISTIO_PLATFORMS)[number]>(
      'platform',
      [
        ['env', l.env('MESHUP_PLATFORM'), env.MESHUP_PLATFORM],
        ['config', l.cfg('platform'), config.platform],
      ],
      check.oneOf('platform Istio knows', ISTIO_PLATFORMS),
    ),
    mtls: l.pick('mtls', [
      ['config', l.cfg('mtls'), config.mtls],
      ['profile', l.profileFrom(profile), profile.mtls],
    ]),
    allowContexts: [...(config.allowContexts ?? []), ...(list(env.MESHUP_ALLOW_CONTEXTS) ?? []), ...(flags.allowContext ?? [])],
    driver: l.pick('driver', [
      ['flag', l.flag('driver'), flags.driver],
      ['env', l.env('MESHUP_DRIVER'), env.MESHUP_DRIVER],
      ['config', l.cfg('driver'), config.driver],
    ]),
    timeoutMs: l.pick<string, number>(
      'timeout',
      [
        ['flag', l.flag('timeout'), flags.timeout],
        ['env', l.env('MESHUP_TIMEOUT'), env.MESHUP_TIMEOUT],
        ['default', l.defaultFrom, DEFAULT_TIMEOUT],
      ],
      check.duration,
    )!,
  };
}

/** The pull-through caches and the local registry: on by default where the provider's nodes can
 * pull through them; caches of the user's own (config cache.external) work with any provider. */
function registriesOf(l: Layers, provider: ProviderName) {
  const { flags, env } = l.input;
  const { config } = l;
  const wiring = providerFor(provider).registryWiring;
  const own = typeof config.cache === 'object' ? config.cache : undefined;
  for (const registry of Object.keys(own?.upstreams ?? {})) {
    if (!UPSTREAMS.some((u) => u.registry === registry))
      throw new UsageError(`${l.cfg('cache.upstreams').label}: meshup runs no cache for ${check.shown(registry)}`, {
        fix: `Name one of ${UPSTREAMS.map((u) => u.registry).join(', ')}`,
      });
  }
  const external = own?.external
    ? Object.fromEntries(Object.entries(own.external).map(([r, url]) => [r, check.mirror(url, l.cfg(`cache.external.${r}`)).replace(/\/$/, '')]))
    : undefined;
  const cacheOn = l.pick<boolean>('cache', [
    ['flag', l.flag(flags.cache === false ? 'no-cache' : 'cache'), typeof flags.cache === 'boolean' ? flags.cache : undefined],
    ['env', l.env('MESHUP_CACHE'), env.MESHUP_CACHE === undefined ? undefined : !/^(0|false|off|no)$/i.test(env.MESHUP_CACHE)],
    ['config', l.cfg('cache'), config.cache === undefined ? undefined : config.cache !== false],
    ['default', l.defaultFrom, !!wiring || !!external],
  ])!;
  const local = typeof config.localRegistry === 'object' ? config.localRegistry : undefined;
  const localOn = l.pick<boolean>('localRegistry', [
    ['flag', l.flag(flags.localRegistry === false ? 'no-local-registry' : 'local-registry'), flags.localRegistry],
    ['config', l.cfg('localRegistry'), config.localRegistry === undefined ? undefined : config.localRegistry !== false],
    ['default', l.defaultFrom, wiring?.registries === 'any'],
  ])!;
  if (localOn && wiring?.registries !== 'any') {
    const from = l.sources.localRegistry === 'flag' ? l.flag('local-registry') : l.cfg('localRegistry');
    throw new UsageError(`A local registry was asked for (${from.label}), but ${provider}'s nodes cannot be pointed at one`, {
      fix: `Drop the setting (or pass --no-local-registry): the local registry needs nodes that read containerd's hosts.toml, as kind's do`,
    });
  }
  const port = local?.port ?? DEFAULT_LOCAL_REGISTRY_PORT;
  const clash = UPSTREAMS.find((u) => u.hostPort === port);
  if (localOn && clash) {
    throw new UsageError(`${l.cfg('localRegistry.port').label}: ${port} is the port of meshup's ${clash.registry} cache`, {
      fix: `Pick another, e.g. ${DEFAULT_LOCAL_REGISTRY_PORT} or 5002`,
    });
  }
  return {
    ...(cacheOn && (wiring || external) ? { imageCache: { upstreams: own?.upstreams ?? {}, ...(external ? { external } : {}) } } : {}),
    ...(localOn ? { localRegistryPort: port } : {}),
  };
}

/** The catalog's entry for the Istio release, and the Kubernetes of a new cluster: what was asked
 * for (pinned where the catalog lists it), else the newest the provider can make in the release's
 * range. Out of range or unknown is the plan's to say, not a refusal here. */
function kubernetesOf(l: Layers, provider: ProviderName, istioVersion: string, asked: string | undefined, versions: VersionCatalog) {
  const minor = istioVersion.split('.').slice(0, 2).join('.');
  const release = versions.istio.find((r) => r.minor === minor);
  const p = providerFor(provider);
  if (asked) return { release, kubernetesVersion: asked, nodeImage: p.kubernetesChoice?.(asked, versions).image };
  const kubeMinor = (v: string) => Number(v.split('.')[1]);
  const within =
    release &&
    p
      .kubernetesChoices?.(versions)
      .find((c) => kubeMinor(c.version) >= kubeMinor(release.kubernetes.min) && kubeMinor(c.version) <= kubeMinor(release.kubernetes.max));
  if (!within) return { release };
  l.sources.kubernetesVersion = 'default';
  return { release, kubernetesVersion: within.version, nodeImage: within.image };
}

export async function resolveSpec(sources: Sources, input: SpecInput): Promise<Spec> {
  const [{ config, file: configFile }, catalog, lastTarget, versions] = await Promise.all([
    sources.configFile(),
    sources.catalog(),
    input.lastTarget ? Promise.resolve(input.lastTarget) : sources.lastTarget(),
    sources.versions(),
  ]);
  const l = new Layers(input, config, configFile);
  const m = input.member;
  const target = m ? memberTarget(l, targetOf(l, lastTarget), m.member) : targetOf(l, lastTarget);
  // The recorded spec speaks for the cluster it came from only: the one of that provider and name,
  // or whichever cluster a provider that makes none reaches (the record was read from it).
  const r = input.recorded;
  // A cluster of a mesh takes the mesh's record, its own or (not made yet) another member's.
  const recorded =
    r && (!providerFor(target.provider).creates || m || (r.provider === target.provider && r.clusterName === target.clusterName)) ? r : undefined;
  const { profile, profileRef, profileSource, keep } = await profileOf(l, sources, recorded);
  const mesh = meshOf(l, profile, keep, catalog);
  const releases = releasesOf(l, recorded);
  const spec: Spec = {
    ...target,
    profile,
    profileRef,
    profileSource,
    ...mesh,
    ...resourcesOf(
      l,
      profile,
      mesh.addons.map((n) => catalog.get(n)!),
    ),
    ...releases,
    // The revision goes with the version it was installed as: another version is another install.
    ...(recorded?.istioRevision && recorded.istioVersion === releases.istioVersion ? { revision: recorded.istioRevision } : {}),
    ...kubernetesOf(l, target.provider, releases.istioVersion, releases.kubernetesVersion, versions),
    ...settingsOf(l, profile, m?.member.index ?? 0),
    ...registriesOf(l, target.provider),
    ...(m
      ? {
          mesh: {
            meshId: m.set.meshId,
            clusterId: m.member.name,
            network: m.member.network,
            multiNetwork: m.set.multiNetwork,
            index: m.member.index,
            clusters: m.set.members.map((x) => x.name),
          },
        }
      : {}),
    configFile,
    sources: l.sources,
  };
  return deepFreeze(spec);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
