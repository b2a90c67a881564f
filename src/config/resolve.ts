// Options are resolved once, here, in this order (later wins):
//   defaults < profile < config file < environment (MESHUP_*) < flags.
// Commands receive the result and never look at flags, env or files themselves.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { DEFAULT_ISTIO_VERSION, validateIstioVersion } from '../istio/version.js';
import { closest } from '../util/suggest.js';
import { loadProfile } from './catalog.js';
import { loadYamlFile } from './load.js';
import { parseMiB } from './quantity.js';
import { configSchema, PROVIDERS, type MeshupConfig, type Profile, type ProviderName } from './schema.js';

export type Source = 'default' | 'profile' | 'config' | 'env' | 'flag';

/** Flags as commander hands them over (strings; lists comma-separated). */
export interface Flags {
  config?: string;
  context?: string;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
  yes?: boolean;
  color?: boolean;
  provider?: string;
  profile?: string;
  name?: string;
  addons?: string;
  namespaces?: string;
  istioVersion?: string;
  kubernetesVersion?: string;
  cpus?: string;
  memory?: string;
  force?: boolean;
  allowContext?: string[];
  driver?: string;
  istioDir?: string;
  istioMirror?: string;
  timeout?: string;
}

export interface Resources {
  cpus: number;
  memoryMiB: number;
  diskMiB: number;
}

export interface Options {
  provider?: ProviderName;
  clusterName: string;
  context?: string;
  profile: Profile;
  profileSource: string;
  addons: string[];
  namespaces: string[];
  istioVersion: string;
  kubernetesVersion?: string;
  resources: Resources;
  /** resources plus the chosen addons' footprint; set by `up` once the addons are final. */
  need?: Resources;
  gateway: Profile['gateway'];
  mtls?: 'strict' | 'permissive';
  allowContexts: string[];
  driver?: string;
  istioDir?: string;
  istioMirror?: string;
  timeoutMs: number;
  configFile?: string;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
  yes: boolean;
  force: boolean;
  /** Which layer decided each setting, for `meshup up --verbose` and for knowing what to ask. */
  sources: Record<string, Source>;
}

export const DEFAULT_CLUSTER_NAME = 'meshup';

export interface ResolveInput {
  flags: Flags;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function list(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Finds and loads meshup.yaml: --config, then MESHUP_CONFIG, then ./meshup.yaml if present. */
export async function loadConfigFile(flags: Flags, env: NodeJS.ProcessEnv, cwd: string): Promise<{ config: MeshupConfig; file?: string }> {
  const explicit = flags.config ?? env.MESHUP_CONFIG;
  const file = explicit ? (isAbsolute(explicit) ? explicit : resolve(cwd, explicit)) : resolve(cwd, 'meshup.yaml');
  if (!explicit && !existsSync(file)) return { config: {} };
  return { config: await loadYamlFile(file, configSchema, 'config file'), file };
}

function providerOf(value: string, source: string): ProviderName {
  if ((PROVIDERS as readonly string[]).includes(value)) return value as ProviderName;
  const near = closest(value, PROVIDERS);
  throw new UsageError(`Unknown provider "${value}" (from ${source})`, {
    details: [`valid providers: ${PROVIDERS.join(', ')}`],
    fix: near ? `Did you mean ${near}?` : 'Pick one of the above',
  });
}

function positiveInt(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a whole number above 0, got "${value}"`);
  return n;
}

function mib(value: string | number, what: string, bad: (m: string) => Error): number {
  const n = parseMiB(value);
  if (n === undefined || n <= 0) throw bad(`${what} must be a size such as 8g, 8192m or 8Gi, got "${value}"`);
  return n;
}

export async function resolveOptions({ flags, env, cwd }: ResolveInput): Promise<Options> {
  const { config, file: configFile } = await loadConfigFile(flags, env, cwd);
  const sources: Record<string, Source> = {};

  /** The first defined value from flag, env, config, profile, default; records its source. */
  function pick<T>(key: string, layers: [Source, T | undefined][]): T | undefined {
    for (const [source, value] of layers) {
      if (value !== undefined) {
        sources[key] = source;
        return value;
      }
    }
    return undefined;
  }

  const profileRef = pick('profile', [
    ['flag', flags.profile],
    ['env', env.MESHUP_PROFILE],
    ['config', config.profile],
    ['default', 'default'],
  ])!;
  // A profile path in the config file is relative to that file, as users expect.
  const profileBase = sources.profile === 'config' && configFile ? resolve(configFile, '..') : cwd;
  const { profile, source: profileSource } = await loadProfile(profileRef, profileBase);

  const providerRaw = pick('provider', [
    ['flag', flags.provider],
    ['env', env.MESHUP_PROVIDER],
    ['config', config.provider],
  ]);
  const provider = providerRaw === undefined ? undefined : providerOf(providerRaw, sources.provider!);

  const usage = (m: string) => new UsageError(m);
  const cfgErr = (m: string) => new ConfigError(`${configFile}: ${m}`);
  const cpus = pick<number>('cpus', [
    ['flag', flags.cpus === undefined ? undefined : positiveInt(flags.cpus, '--cpus')],
    ['env', env.MESHUP_CPUS === undefined ? undefined : positiveInt(env.MESHUP_CPUS, 'MESHUP_CPUS')],
    ['config', config.resources?.cpus],
    ['profile', profile.cluster.cpus],
  ])!;
  const memoryMiB = pick<number>('memory', [
    ['flag', flags.memory === undefined ? undefined : mib(flags.memory, '--memory', usage)],
    ['env', env.MESHUP_MEMORY === undefined ? undefined : mib(env.MESHUP_MEMORY, 'MESHUP_MEMORY', usage)],
    ['config', config.resources?.memory === undefined ? undefined : mib(config.resources.memory, 'resources.memory', cfgErr)],
    ['profile', mib(profile.cluster.memory, 'cluster.memory', usage)],
  ])!;
  const diskMiB = pick<number>('disk', [
    ['config', config.resources?.disk === undefined ? undefined : mib(config.resources.disk, 'resources.disk', cfgErr)],
    ['profile', mib(profile.cluster.disk, 'cluster.disk', usage)],
  ])!;

  const istioVersion = pick('istioVersion', [
    ['flag', flags.istioVersion],
    ['env', env.MESHUP_ISTIO_VERSION],
    ['config', config.istioVersion],
    ['default', DEFAULT_ISTIO_VERSION],
  ])!;
  validateIstioVersion(istioVersion, sources.istioVersion!);

  const timeoutRaw = flags.timeout ?? env.MESHUP_TIMEOUT ?? '10m';
  const timeoutMs = parseDuration(timeoutRaw);

  return {
    provider,
    clusterName: pick('clusterName', [
      ['flag', flags.name],
      ['env', env.MESHUP_CLUSTER_NAME],
      ['config', config.clusterName],
      ['default', DEFAULT_CLUSTER_NAME],
    ])!,
    context: pick('context', [
      ['flag', flags.context],
      ['env', env.MESHUP_CONTEXT],
      ['config', config.context],
    ]),
    profile,
    profileSource,
    addons: pick('addons', [
      ['flag', list(flags.addons)],
      ['env', list(env.MESHUP_ADDONS)],
      ['config', config.addons],
      ['profile', profile.addons],
    ])!,
    namespaces: pick('namespaces', [
      ['flag', list(flags.namespaces)],
      ['env', list(env.MESHUP_NAMESPACES)],
      ['config', config.namespaces],
      ['profile', profile.injection.namespaces],
    ])!,
    istioVersion,
    kubernetesVersion: pick('kubernetesVersion', [
      ['flag', flags.kubernetesVersion],
      ['env', env.MESHUP_KUBERNETES_VERSION],
      ['config', config.kubernetesVersion],
    ]),
    resources: { cpus, memoryMiB, diskMiB },
    gateway: { ...profile.gateway, ...config.gateway },
    mtls: pick('mtls', [
      ['config', config.mtls],
      ['profile', profile.mtls],
    ]),
    allowContexts: [...(config.allowContexts ?? []), ...(list(env.MESHUP_ALLOW_CONTEXTS) ?? []), ...(flags.allowContext ?? [])],
    driver: pick('driver', [
      ['flag', flags.driver],
      ['env', env.MESHUP_DRIVER],
      ['config', config.driver],
    ]),
    istioDir: flags.istioDir ?? env.MESHUP_ISTIO_DIR,
    istioMirror: pick('istioMirror', [
      ['flag', flags.istioMirror],
      ['env', env.MESHUP_ISTIO_MIRROR],
      ['config', config.istioMirror],
    ]),
    timeoutMs,
    configFile,
    dryRun: !!flags.dryRun,
    json: !!flags.json,
    verbose: !!flags.verbose,
    yes: !!flags.yes,
    force: !!flags.force,
    sources,
  };
}

export function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`"${s}" is not a duration`, { fix: 'Use a number with a unit: 90s, 10m, 1h' });
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}
