// The desired state, resolved once, here, from these layers (later wins):
//   defaults < profile < recorded < config file < environment (MESHUP_*) < flags < answers
// "recorded" is what the cluster says meshup last applied (kept while the profile stays the same)
// and, for which cluster to act on, the cluster meshup last worked with. Every value from every
// layer goes through the same check in config/validate.ts. The result is frozen: commands read
// it, never patch it; a change (an answer, `addons enable`) is one more layer and a new spec.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { computeNeed } from '../preflight/need.js';
import type { AppliedSpec } from '../state/applied-spec.js';
import type { LastTarget } from '../state/target.js';
import { closest } from '../util/suggest.js';
import { checkAddonNames, loadProfile, withDependencies } from './catalog.js';
import type { Flags } from './flags.js';
import { loadYamlFile } from './load.js';
import { parseMiB } from './quantity.js';
import {
  type Addon,
  configSchema,
  DATAPLANES,
  type Dataplane,
  ISTIO_PLATFORMS,
  type MeshupConfig,
  PROVIDERS,
  type Profile,
  type ProviderName,
} from './schema.js';
import * as check from './validate.js';
import { DEFAULT_ISTIO_VERSION } from './versions.js';

type Source = 'default' | 'profile' | 'recorded' | 'config' | 'env' | 'flag' | 'answer';

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

type Gateway = Required<Profile['gateway']>;

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
  readonly kubernetesVersion?: string;
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
  readonly timeoutMs: number;
  readonly configFile?: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  /** Which layer decided each setting: for the prompts (ask only what is open) and --verbose. */
  readonly sources: Readonly<Record<string, Source>>;
}

const DEFAULT_CLUSTER_NAME = 'meshup';
const DEFAULT_TIMEOUT = '10m';

export interface SpecInput {
  flags: Flags;
  env: NodeJS.ProcessEnv;
  cwd: string;
  catalog: Map<string, Addon>;
  /** Providers whose tool is installed, in order of preference: the default when none is named. */
  installedProviders: readonly ProviderName[];
  /** The cluster meshup last worked with on this machine. */
  lastTarget?: LastTarget;
  /** The spec meshup last applied to this cluster. */
  recorded?: AppliedSpec;
  answers?: Answers;
  /** Edits a command makes to the desired state (`addons enable`): above everything else. */
  edits?: { addons?: string[]; namespaces?: string[] };
}

function list(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Finds and loads meshup.yaml: --config, then MESHUP_CONFIG, then ./meshup.yaml if present. */
async function loadConfigFile(flags: Flags, env: NodeJS.ProcessEnv, cwd: string): Promise<{ config: MeshupConfig; file?: string }> {
  const explicit = flags.config ?? env.MESHUP_CONFIG;
  const file = explicit ? (isAbsolute(explicit) ? explicit : resolve(cwd, explicit)) : resolve(cwd, 'meshup.yaml');
  if (!explicit && !existsSync(file)) return { config: {} };
  return { config: await loadYamlFile(file, configSchema, 'config file'), file };
}

function providerOf(value: string, from: check.From): ProviderName {
  if ((PROVIDERS as readonly string[]).includes(value)) return value as ProviderName;
  const near = closest(value, PROVIDERS);
  throw new UsageError(`Unknown provider ${check.shown(value)} (from ${from.label})`, {
    details: [`valid providers: ${PROVIDERS.join(', ')}`],
    fix: near ? `Did you mean --provider ${near}?` : 'Pick one of the above',
  });
}

type Layer<T> = [Source, check.From, T | undefined];

export async function resolveSpec(input: SpecInput): Promise<Spec> {
  const { flags, env, cwd, catalog, answers, lastTarget, edits } = input;
  const { config, file: configFile } = await loadConfigFile(flags, env, cwd);
  const sources: Record<string, Source> = {};
  const cfg = (key: string): check.From => ({ label: `${configFile ?? 'meshup.yaml'} (${key})`, file: true });
  const flag = (name: string): check.From => ({ label: `--${name}` });
  const envFrom = (name: string): check.From => ({ label: name });
  const recordedFrom: check.From = { label: 'the spec meshup recorded in the cluster' };
  const lastFrom: check.From = { label: 'the cluster meshup last used on this machine' };

  /** The first defined value, top layer first; checks it and records its source. */
  function pick<T, R = T>(key: string, layers: Layer<T>[], validate?: (v: T, from: check.From) => R): R | undefined {
    for (const [source, from, value] of layers) {
      if (value === undefined) continue;
      sources[key] = source;
      return validate ? validate(value, from) : (value as unknown as R);
    }
    return undefined;
  }

  // Which cluster: flags, env and config first; then the cluster meshup last used here.
  const explicitProvider = pick<string, ProviderName>(
    'provider',
    [
      ['answer', { label: 'your answer' }, answers?.provider],
      ['flag', flag('provider'), flags.provider],
      ['env', envFrom('MESHUP_PROVIDER'), env.MESHUP_PROVIDER],
      ['config', cfg('provider'), config.provider],
    ],
    providerOf,
  );
  const context = pick<string>('context', [
    ['flag', flag('context'), flags.context],
    ['env', envFrom('MESHUP_CONTEXT'), env.MESHUP_CONTEXT],
    ['config', cfg('context'), config.context],
  ]);
  let provider: ProviderName;
  if (explicitProvider) provider = explicitProvider;
  else if (context) {
    // A named context means that cluster, unless it is the one meshup made.
    provider = lastTarget?.context === context ? lastTarget.provider : 'existing';
    sources.provider = lastTarget?.context === context ? 'recorded' : 'default';
  } else if (lastTarget) {
    provider = lastTarget.provider;
    sources.provider = 'recorded';
  } else {
    provider = input.installedProviders[0] ?? 'minikube';
    sources.provider = 'default';
  }
  const sameTarget = lastTarget && lastTarget.provider === provider;
  const clusterName = pick<string>(
    'clusterName',
    [
      ['flag', flag('name'), flags.name],
      ['env', envFrom('MESHUP_CLUSTER_NAME'), env.MESHUP_CLUSTER_NAME],
      ['config', cfg('clusterName'), config.clusterName],
      ['recorded', lastFrom, sameTarget ? lastTarget.clusterName : undefined],
      ['default', { label: 'the default' }, DEFAULT_CLUSTER_NAME],
    ],
    check.clusterName,
  )!;
  const targetContext = context ?? (sameTarget && provider === 'existing' ? lastTarget.context : undefined);
  if (targetContext && !sources.context) sources.context = 'recorded';
  if (provider === 'existing' && !targetContext && !sources.context) {
    // Resolved later from the kubeconfig's current-context (commands/target.ts).
  }

  // The recorded spec speaks for the cluster it came from only.
  const recorded = input.recorded && input.recorded.provider === provider && input.recorded.clusterName === clusterName ? input.recorded : undefined;

  const profileRef = pick<string>('profile', [
    ['answer', { label: 'your answer' }, answers?.profile],
    ['flag', flag('profile'), flags.profile],
    ['env', envFrom('MESHUP_PROFILE'), env.MESHUP_PROFILE],
    ['config', cfg('profile'), config.profile],
    ['recorded', recordedFrom, recorded?.profileRef ?? recorded?.profile],
    ['default', { label: 'the default' }, 'default'],
  ])!;
  // A profile path in the config file is relative to that file, as users expect.
  const profileBase = sources.profile === 'config' && configFile ? resolve(configFile, '..') : cwd;
  const { profile, source: profileSource } = await loadProfile(profileRef, profileBase);
  const ref = profileSource.endsWith(`/profiles/${profile.name}.yaml`) && !profileRef.includes('/') ? profile.name : profileSource;
  // What was recorded under another profile does not carry over to this one.
  const keep = recorded && (recorded.profileRef ?? recorded.profile) === ref ? recorded : undefined;

  const addonNames = (v: string[], from: check.From) => {
    checkAddonNames(v, catalog, from.label);
    return [...new Set(v)];
  };
  const chosenAddons = pick<string[]>(
    'addons',
    [
      ['answer', { label: 'your answer' }, edits?.addons ?? answers?.addons],
      ['flag', flag('addons'), list(flags.addons)],
      ['env', envFrom('MESHUP_ADDONS'), list(env.MESHUP_ADDONS)],
      ['config', cfg('addons'), config.addons],
      ['recorded', recordedFrom, keep?.addons],
      ['profile', { label: `profile ${profile.name}` }, profile.addons],
    ],
    addonNames,
  )!;
  if (edits?.addons) sources.addons = 'flag';
  const { ordered, added } = withDependencies(chosenAddons, catalog);

  const namespaces = pick<string[]>(
    'namespaces',
    [
      ['answer', { label: 'your answer' }, edits?.namespaces],
      ['flag', flag('namespaces'), list(flags.namespaces)],
      ['env', envFrom('MESHUP_NAMESPACES'), list(env.MESHUP_NAMESPACES)],
      ['config', cfg('namespaces'), config.namespaces],
      ['recorded', recordedFrom, keep?.namespaces],
      ['profile', { label: `profile ${profile.name}` }, profile.injection.namespaces],
    ],
    check.namespaces,
  )!;
  if (edits?.namespaces) sources.namespaces = 'flag';

  // The dataplane: Istio's ambient profile is ambient; any other profile may be run either way.
  const dataplane = pick<string, Dataplane>(
    'dataplane',
    [
      ['flag', flag('dataplane'), flags.dataplane],
      ['env', envFrom('MESHUP_DATAPLANE'), env.MESHUP_DATAPLANE],
      ['config', cfg('dataplane'), config.dataplane],
      ['recorded', recordedFrom, keep?.dataplane],
      ['profile', { label: `profile ${profile.name}` }, profile.dataplane],
      ['default', { label: 'the default' }, profile.istio.profile === 'ambient' ? 'ambient' : 'sidecar'],
    ],
    check.oneOf('dataplane mode', DATAPLANES),
  )!;
  if (dataplane === 'sidecar' && profile.istio.profile === 'ambient') {
    throw new UsageError(`Profile ${profile.name} installs Istio's ambient profile, so its dataplane is ambient, not sidecar`, {
      fix: ['Drop the sidecar setting to run it in ambient mode', 'or pick a sidecar profile: --profile default, demo or minimal'],
    });
  }

  const size = (v: string | number, from: check.From) => {
    const n = parseMiB(v);
    if (n === undefined || n <= 0) {
      const e = new UsageError(`${check.shown(String(v))} is not a size (from ${from.label})`, { fix: 'Use a size such as 8g, 8192m or 8Gi' });
      throw e;
    }
    return n;
  };
  const cpus = pick<string | number, number>(
    'cpus',
    [
      ['flag', flag('cpus'), flags.cpus],
      ['env', envFrom('MESHUP_CPUS'), env.MESHUP_CPUS],
      ['config', cfg('resources.cpus'), config.resources?.cpus],
      ['profile', { label: `profile ${profile.name}` }, profile.cluster.cpus],
    ],
    (v, from) => (typeof v === 'number' ? v : check.positiveInt(v, from)),
  )!;
  const memoryMiB = pick<string | number, number>(
    'memory',
    [
      ['flag', flag('memory'), flags.memory],
      ['env', envFrom('MESHUP_MEMORY'), env.MESHUP_MEMORY],
      ['config', cfg('resources.memory'), config.resources?.memory],
      ['profile', { label: `profile ${profile.name}` }, profile.cluster.memory],
    ],
    size,
  )!;
  const diskMiB = pick<string | number, number>(
    'disk',
    [
      ['config', cfg('resources.disk'), config.resources?.disk],
      ['profile', { label: `profile ${profile.name}` }, profile.cluster.disk],
    ],
    size,
  )!;
  const resources = { cpus, memoryMiB, diskMiB };

  const istioVersion = pick<string>(
    'istioVersion',
    [
      ['flag', flag('istio-version'), flags.istioVersion],
      ['env', envFrom('MESHUP_ISTIO_VERSION'), env.MESHUP_ISTIO_VERSION],
      ['config', cfg('istioVersion'), config.istioVersion],
      ['recorded', recordedFrom, recorded?.istioVersion],
      ['default', { label: 'the default' }, DEFAULT_ISTIO_VERSION],
    ],
    check.istioVersion,
  )!;

  const gateway = { ...profile.gateway, ...config.gateway } as Gateway;
  const { httpNodePort, httpsNodePort, hostHttpPort, hostHttpsPort } = gateway;
  check.ports({ httpNodePort, httpsNodePort, hostHttpPort, hostHttpsPort }, config.gateway ? cfg('gateway') : { label: `profile ${profile.name}` });

  const timeoutMs = pick<string, number>(
    'timeout',
    [
      ['flag', flag('timeout'), flags.timeout],
      ['env', envFrom('MESHUP_TIMEOUT'), env.MESHUP_TIMEOUT],
      ['default', { label: 'the default' }, DEFAULT_TIMEOUT],
    ],
    check.duration,
  )!;

  const spec: Spec = {
    provider,
    clusterName,
    context: targetContext,
    profile,
    profileRef: ref,
    profileSource,
    addons: ordered,
    addedDependencies: added,
    namespaces,
    dataplane,
    platform: pick<string, (typeof ISTIO_PLATFORMS)[number]>(
      'platform',
      [
        ['env', envFrom('MESHUP_PLATFORM'), env.MESHUP_PLATFORM],
        ['config', cfg('platform'), config.platform],
      ],
      check.oneOf('platform Istio knows', ISTIO_PLATFORMS),
    ),
    istioVersion,
    kubernetesVersion: pick<string>(
      'kubernetesVersion',
      [
        ['flag', flag('kubernetes-version'), flags.kubernetesVersion],
        ['env', envFrom('MESHUP_KUBERNETES_VERSION'), env.MESHUP_KUBERNETES_VERSION],
        ['config', cfg('kubernetesVersion'), config.kubernetesVersion],
      ],
      check.kubernetesVersion,
    ),
    resources,
    need: computeNeed(
      resources,
      ordered.map((n) => catalog.get(n)!),
    ),
    gateway,
    mtls: pick('mtls', [
      ['config', cfg('mtls'), config.mtls],
      ['profile', { label: `profile ${profile.name}` }, profile.mtls],
    ]),
    allowContexts: [...(config.allowContexts ?? []), ...(list(env.MESHUP_ALLOW_CONTEXTS) ?? []), ...(flags.allowContext ?? [])],
    driver: pick('driver', [
      ['flag', flag('driver'), flags.driver],
      ['env', envFrom('MESHUP_DRIVER'), env.MESHUP_DRIVER],
      ['config', cfg('driver'), config.driver],
    ]),
    istioDir: pick<string>(
      'istioDir',
      [
        ['flag', flag('istio-dir'), flags.istioDir === undefined ? undefined : resolve(cwd, flags.istioDir)],
        ['env', envFrom('MESHUP_ISTIO_DIR'), env.MESHUP_ISTIO_DIR === undefined ? undefined : resolve(cwd, env.MESHUP_ISTIO_DIR)],
      ],
      check.istioDir,
    ),
    istioMirror: pick<string>(
      'istioMirror',
      [
        ['flag', flag('istio-mirror'), flags.istioMirror],
        ['env', envFrom('MESHUP_ISTIO_MIRROR'), env.MESHUP_ISTIO_MIRROR],
        ['config', cfg('istioMirror'), config.istioMirror],
      ],
      check.mirror,
    ),
    gatewayApi: pick<boolean>('gatewayApi', [
      ['flag', flag('gateway-api'), flags.gatewayApi],
      ['config', cfg('gatewayApi'), config.gatewayApi],
      ['default', { label: 'the default' }, true],
    ])!,
    gatewayApiMirror: pick<string>(
      'gatewayApiMirror',
      [
        ['flag', flag('gateway-api-mirror'), flags.gatewayApiMirror],
        ['env', envFrom('MESHUP_GATEWAY_API_MIRROR'), env.MESHUP_GATEWAY_API_MIRROR],
        ['config', cfg('gatewayApiMirror'), config.gatewayApiMirror],
      ],
      check.mirror,
    ),
    timeoutMs,
    configFile,
    dryRun: !!flags.dryRun,
    json: !!flags.json,
    verbose: !!flags.verbose,
    yes: !!flags.yes,
    force: !!flags.force,
    sources,
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
