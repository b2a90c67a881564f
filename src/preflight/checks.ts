// The checks `up` runs first and `doctor` prints. Each yields a finding with the numbers and a
// fix; errors stop `up` before anything is created (unless --force).
import { existsSync } from 'node:fs';
import { rm, stat, statfs, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { cacheDir, stateDir } from '../config/paths.js';
import { formatMiB } from '../config/quantity.js';
import { PROVIDERS } from '../config/schema.js';
import type { Resources, Spec } from '../config/spec.js';
import { MeshupError, PreflightError, ToolMissingError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { installHint, type ToolName } from '../exec/tools.js';
import { releaseCacheDir } from '../istio/acquire.js';
import { providerFor } from '../providers/index.js';
import { checkKwokBinDir } from '../providers/kwok.js';
import type { Provider } from '../providers/types.js';
import { type DockerInfo, dockerInfo } from '../tools/docker.js';
import { toolVersion } from '../tools/version.js';
import { sleep } from '../util/time.js';
import { which } from '../util/which.js';
import type { HostFacts } from './host.js';
import { ProbeCache } from './probe-cache.js';

type FindingStatus = 'ok' | 'warn' | 'error';

export interface Finding {
  check: string;
  status: FindingStatus;
  message: string;
  fix?: string;
}

const KIND_MIN_INOTIFY = { maxUserWatches: 524288, maxUserInstances: 512 };

async function probeTool(runner: Runner, tool: ToolName, cache?: ProbeCache): Promise<Finding> {
  const cached = runner.dryRun ? undefined : cache?.get(tool, runner.binaryFor(tool));
  if (cached !== undefined) return { check: tool, status: 'ok', message: cached ? `version ${cached}` : 'found' };
  try {
    const v = await toolVersion(runner, tool);
    cache?.set(tool, v, runner.binaryFor(tool));
    return { check: tool, status: 'ok', message: v ? `version ${v}` : 'found' };
  } catch (e) {
    if (e instanceof ToolMissingError) return { check: tool, status: 'error', message: 'not found on PATH', fix: e.fix[0] };
    if (e instanceof MeshupError) return { check: tool, status: 'warn', message: `found, but its version could not be read: ${e.message}` };
    throw e;
  }
}

/** Whether a port can be listened on. A port found taken is tried again a moment later: another
 * program's check like this one (a second meshup, say) holds it for a moment only, while what
 * really listens there is still there. */
export async function portFree(port: number, host = '127.0.0.1', retryMs = 100): Promise<boolean> {
  if (await canListen(port, host)) return true;
  await sleep(retryMs);
  return canListen(port, host);
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export interface PreflightInput {
  runner: Runner;
  options: Spec;
  provider: Provider;
  need: Resources;
  host: HostFacts;
  /** The cluster exists already: sizes and ports were settled when it was made. A promise lets
   * the probes below run while the provider is still being asked. */
  clusterExists: boolean | Promise<boolean>;
  needHostPorts?: number[];
  /** Bundled profiles that ask for less than the chosen one, smallest last. */
  smallerProfiles?: readonly string[];
}

export interface PreflightResult {
  findings: Finding[];
  docker?: DockerInfo;
}

export async function runPreflight(input: PreflightInput): Promise<PreflightResult> {
  const { runner, provider, need, host, options } = input;
  const findings: Finding[] = [];
  const tools: ToolName[] = ['kubectl', ...provider.tools.filter((t) => t !== 'docker')];
  const cache = await ProbeCache.open(runner.env);
  const [toolFindings, dockerResult, clusterExists] = await Promise.all([
    Promise.all(tools.map((t) => probeTool(runner, t, cache))),
    provider.usesDocker
      ? dockerInfo(runner).then(
          (d) => ({ d }),
          (e: unknown) => ({ e }),
        )
      : Promise.resolve(undefined),
    input.clusterExists,
  ]);
  findings.push(...toolFindings);
  const binDir = kwokBinDirWrong(runner, provider);
  if (binDir) findings.push({ check: 'MESHUP_KWOK_BIN_DIR', status: 'error', message: binDir.message, fix: binDir.fix.join('; ') });
  findings.push(...(await storageFindings(runner.env, options, clusterExists)));
  // A dry run writes no file, not even this cache (it does not read it either).
  if (!runner.dryRun) await cache.save();

  if (host.arch !== 'x64' && host.arch !== 'arm64') {
    findings.push({
      check: 'cpu architecture',
      status: 'error',
      message: `${host.arch}: Istio ships only amd64 and arm64 builds`,
      fix: 'Use an amd64 or arm64 machine',
    });
  } else {
    findings.push({ check: 'cpu architecture', status: 'ok', message: host.arch === 'x64' ? 'amd64' : 'arm64' });
  }

  const sizing = provider.usesDocker && !clusterExists;
  if (sizing) {
    findings.push(
      host.cpus >= need.cpus
        ? { check: 'host cpus', status: 'ok', message: `${host.cpus} (need ${need.cpus})` }
        : // CPUs can be overcommitted; Docker's own count (below) is the hard limit.
          {
            check: 'host cpus',
            status: 'warn',
            message: `${host.cpus}, but the cluster asks for ${need.cpus}: expect it to be slow`,
            fix: 'Use --profile minimal or demo, or fewer addons',
          },
    );
    findings.push(
      host.memoryMiB >= need.memoryMiB
        ? { check: 'host memory', status: 'ok', message: `${formatMiB(host.memoryMiB)} (need ${formatMiB(need.memoryMiB)})` }
        : {
            check: 'host memory',
            status: 'error',
            message: `${formatMiB(host.memoryMiB)}, but the cluster needs ${formatMiB(need.memoryMiB)}`,
            fix: 'Ask for less memory (--memory), a smaller profile, or fewer addons',
          },
    );
    if (host.freeDiskMiB !== undefined) {
      findings.push(
        host.freeDiskMiB >= need.diskMiB
          ? { check: 'free disk', status: 'ok', message: `${formatMiB(host.freeDiskMiB)} (need ${formatMiB(need.diskMiB)})` }
          : {
              check: 'free disk',
              status: 'error',
              message: `${formatMiB(host.freeDiskMiB)} free, but the cluster needs ${formatMiB(need.diskMiB)}`,
              fix: 'Free some disk (docker system prune removes unused images)',
            },
      );
    }
  }

  let docker: DockerInfo | undefined;
  if (dockerResult) {
    if ('d' in dockerResult) {
      docker = dockerResult.d;
      findings.push({ check: 'docker', status: 'ok', message: `daemon ${docker.serverVersion || 'running'} (${docker.operatingSystem || 'unknown OS'})` });
      if (sizing) findings.push(...dockerFindings(docker, need, options, provider, input.smallerProfiles ?? []));
    } else {
      const e = dockerResult.e;
      if (!(e instanceof MeshupError)) throw e;
      findings.push({ check: 'docker', status: 'error', message: e instanceof ToolMissingError ? 'not found on PATH' : e.message, fix: e.fix[0] });
    }
  }

  if (provider.needsInotify && host.inotify) {
    const { maxUserWatches: w, maxUserInstances: i } = host.inotify;
    const low = w < KIND_MIN_INOTIFY.maxUserWatches || i < KIND_MIN_INOTIFY.maxUserInstances;
    findings.push(
      low
        ? {
            check: 'inotify limits',
            status: 'warn',
            message: `max_user_watches ${w}, max_user_instances ${i}: kind pods may fail with "too many open files"`,
            fix: `sudo sysctl fs.inotify.max_user_watches=${KIND_MIN_INOTIFY.maxUserWatches} fs.inotify.max_user_instances=${KIND_MIN_INOTIFY.maxUserInstances}`,
          }
        : { check: 'inotify limits', status: 'ok', message: `max_user_watches ${w}, max_user_instances ${i}` },
    );
  }

  for (const port of clusterExists ? [] : (input.needHostPorts ?? [])) {
    const free = await portFree(port);
    findings.push(
      free
        ? { check: `host port ${port}`, status: 'ok', message: 'free' }
        : {
            check: `host port ${port}`,
            status: 'error',
            message: 'in use: kind maps the ingress gateway to it',
            fix: `Stop what listens on ${port}, or set other ports in meshup.yaml (gateway.hostHttpPort / hostHttpsPort)`,
          },
    );
  }
  return { findings, docker };
}

function dockerFindings(d: DockerInfo, need: Resources, o: Spec, provider: Provider, smallerProfiles: readonly string[]): Finding[] {
  const out: Finding[] = [];
  const where = d.desktop ? "Docker Desktop's VM" : 'Docker';
  const dockerMiB = Math.floor(d.memoryBytes / 1024 / 1024);
  const raise = (what: string) => (d.desktop ? "Raise Docker Desktop's limits (Settings > Resources)" : `Give Docker more ${what}`);
  // Suggest what would really be smaller: a profile that asks for less, unless the size was set
  // by hand (then: ask for less), and fewer addons only when there are some.
  const smaller = (key: 'cpus' | 'memory') => {
    const byHand = o.sources[key] !== 'profile';
    const ways = [
      byHand
        ? `ask for less (${key === 'cpus' ? '--cpus' : '--memory'})`
        : smallerProfiles.length
          ? `use ${smallerProfiles.map((p) => `--profile ${p}`).join(' or ')}`
          : '',
      o.addons.length ? 'choose fewer addons' : '',
    ].filter(Boolean);
    return ways.length ? `, or ${ways.join(', or ')}` : '';
  };
  out.push(
    d.cpus >= need.cpus
      ? { check: 'docker cpus', status: 'ok', message: `${where} has ${d.cpus} (need ${need.cpus})` }
      : {
          check: 'docker cpus',
          status: 'error',
          message: `${where} has ${d.cpus} CPUs, but profile ${o.profile.name} with ${o.addons.length ? o.addons.join(',') : 'no addons'} needs ${need.cpus}`,
          fix: `${raise('CPUs')} to at least ${need.cpus} CPUs${smaller('cpus')}`,
        },
  );
  out.push(
    dockerMiB >= need.memoryMiB
      ? { check: 'docker memory', status: 'ok', message: `${where} has ${formatMiB(dockerMiB)} (need ${formatMiB(need.memoryMiB)})` }
      : {
          check: 'docker memory',
          status: 'error',
          message: `${where} has ${formatMiB(dockerMiB)}, but profile ${o.profile.name} with ${o.addons.length ? o.addons.join(',') : 'no addons'} needs ${formatMiB(need.memoryMiB)}`,
          fix: `${raise('memory')} to at least ${formatMiB(need.memoryMiB)}${smaller('memory')}`,
        },
  );
  if (provider.minMemoryMiB && need.memoryMiB < provider.minMemoryMiB) {
    out.push({
      check: `${provider.name} memory`,
      status: 'error',
      message: `${formatMiB(need.memoryMiB)} is below ${provider.name}'s floor of ${provider.minMemoryMiB} MiB`,
      fix: `Use --memory ${Math.ceil(provider.minMemoryMiB / 1024)}g or more`,
    });
  }
  return out;
}

export function errorsOf(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.status === 'error');
}

/** MESHUP_KWOK_BIN_DIR, for the provider that runs kwokctl, when it names no directory of the
 * binaries (providers/kwok.ts checkKwokBinDir): a usage error, before kwokctl is looked for. */
function kwokBinDirWrong(runner: Runner, provider: Provider): MeshupError | undefined {
  if (!provider.tools.includes('kwokctl')) return undefined;
  try {
    checkKwokBinDir(runner.env);
    return undefined;
  } catch (e) {
    if (e instanceof MeshupError) return e;
    throw e;
  }
}

/** The way to a cluster without Docker, offered wherever Docker or a cluster tool is missing. */
export const KWOK_FIX = 'or, without Docker: meshup up --provider kwok (needs kwokctl; see docs/kwok.md)';

/** Whether a tool can be started, without starting it. */
function onPath(runner: Runner, tool: ToolName): boolean {
  const bin = runner.binaryFor(tool);
  return bin.includes('/') ? existsSync(bin) : which(bin, runner.env) !== undefined;
}

type DockerState = { state: 'running'; info: DockerInfo } | { state: 'down' | 'missing'; error: MeshupError };

/** Whether Docker answers: running, not running (the daemon), or not installed (the CLI). */
export async function dockerState(runner: Runner): Promise<DockerState> {
  try {
    return { state: 'running', info: await dockerInfo(runner) };
  } catch (e) {
    if (!(e instanceof MeshupError)) throw e;
    return { state: e instanceof ToolMissingError ? 'missing' : 'down', error: e };
  }
}

/** Docker does not answer, for a provider that runs in it: found before any question is asked. */
export function dockerUnavailable(provider: Provider, docker: Exclude<DockerState, { state: 'running' }>): PreflightError {
  return new PreflightError(`${provider.name} runs in Docker: ${docker.state === 'missing' ? 'docker is not on PATH' : docker.error.message}`, {
    details: docker.error.details,
    fix: [...docker.error.fix, KWOK_FIX, 'or pass --force to try anyway'],
  });
}

/**
 * The program a provider drives, when it is not on PATH: found before anything is asked or run.
 * With no tool for a Docker cluster at all (a newcomer's machine) both causes are named, the
 * missing tools and whether Docker answers, with the way that needs neither (kwok); with another
 * one installed, that one is offered. Undefined when the tool is there.
 */
export async function clusterToolMissing(runner: Runner, provider: Provider): Promise<MeshupError | undefined> {
  const wrong = kwokBinDirWrong(runner, provider);
  if (wrong) return wrong;
  const tool = provider.tools[0];
  if (!tool || onPath(runner, tool)) return undefined;
  if (!provider.usesDocker) return new ToolMissingError(tool, installHint(tool));
  const dockerClusters = PROVIDERS.map(providerFor).filter((p) => p.creates && p.usesDocker && p.tools[0]);
  const other = dockerClusters.find((p) => p !== provider && onPath(runner, p.tools[0]!));
  if (other) {
    return new PreflightError(`${tool} was not found on PATH`, {
      fix: [installHint(tool), `or use ${other.name}, which is installed: --provider ${other.name}`],
    });
  }
  const tools = dockerClusters.map((p) => p.tools[0]!);
  const docker = await dockerState(runner);
  const kubectl = onPath(runner, 'kubectl');
  const neither = tools.length === 2 ? `neither ${tools[0]} nor ${tools[1]} is` : `none of ${tools.join(', ')} is`;
  const why = { running: ' (Docker is running)', down: ', and Docker is not running', missing: ', and Docker is not installed either' }[docker.state];
  return new PreflightError(`No cluster tool is installed: ${neither} on PATH${why}`, {
    details: [
      ...tools.map((t) => `${t}: not found on PATH`),
      docker.state === 'running'
        ? `docker: running${docker.info.serverVersion ? ` (${docker.info.serverVersion})` : ''}`
        : `docker: ${docker.state === 'missing' ? 'not found on PATH' : `not running (${docker.error.details.find((l) => /daemon/i.test(l))?.trim() ?? docker.error.message})`}`,
      ...(kubectl ? [] : ['kubectl: not found on PATH']),
    ],
    fix: [...tools.map((t) => installHint(t)), ...(docker.state === 'running' ? [] : docker.error.fix), ...(kubectl ? [] : [installHint('kubectl')]), KWOK_FIX],
  });
}

const upFlags = (spec: Spec, provider: Provider) =>
  [spec.sources.provider === 'flag' ? ` --provider ${provider.name}` : '', spec.sources.clusterName === 'flag' ? ` --name ${spec.clusterName}` : ''].join('');

/** When a provider's cluster is not there: how to make it (`meshup up` with the flags that chose
 * this cluster), after starting Docker when Docker does not answer (until then `up` could only
 * fail), with the way that needs no Docker. */
export async function noClusterHelp(runner: Runner, spec: Spec, provider: Provider, docker?: DockerState): Promise<{ problem?: string; fix: string[] }> {
  const create = `create it with: meshup up${upFlags(spec, provider)}`;
  docker ??= provider.usesDocker ? await dockerState(runner) : undefined;
  if (!docker || docker.state === 'running') return { fix: [`C${create.slice(1)}`] };
  return {
    problem: docker.state === 'missing' ? 'docker is not on PATH' : docker.error.message,
    fix: [`${docker.error.fix[0]?.replace(/ and run the command again$/, '') ?? installHint('docker')}, then ${create}`, KWOK_FIX],
  };
}

/** A provider's cluster that is not there or does not run, for a command that only uses it
 * (ingress, dashboard): the cause (no cluster, Docker down, stopped) and its fix; undefined when
 * it runs. `consequence` ends the message: "so there is no gateway to reach". */
export async function clusterNotRunning(runner: Runner, spec: Spec, provider: Provider, consequence: string): Promise<MeshupError | undefined> {
  const st = await provider.status(runner, spec);
  if (st.state === 'running') return undefined;
  const what = `${provider.name} cluster "${spec.clusterName}"`;
  const docker = provider.usesDocker ? await dockerState(runner) : undefined;
  if (st.state === 'absent') {
    const help = await noClusterHelp(runner, spec, provider, docker);
    return new MeshupError(`No ${what} exists${help.problem ? ` and ${help.problem}` : ''}, ${consequence}`, { fix: help.fix });
  }
  if (docker && docker.state !== 'running') {
    return new MeshupError(`The ${what} cannot run: ${docker.state === 'missing' ? 'docker is not on PATH' : docker.error.message}`, {
      fix: `${docker.error.fix[0]?.replace(/ and run the command again$/, '') ?? installHint('docker')}, then: meshup up${upFlags(spec, provider)}`,
    });
  }
  return new MeshupError(`The ${what} is ${st.state}${st.detail ? ` (${st.detail})` : ''}, ${consequence}`, {
    fix: provider.startRepairs.includes(st.state) ? `Start it with: meshup up${upFlags(spec, provider)}` : provider.brokenFix(spec),
  });
}

// ---- where meshup writes: its state and cache directories, and room for a download ----

/** What downloading an Istio release takes on disk at once: the archive (about 30 MiB) and its
 * extracted copy beside it (over 100 MiB, istioctl most of it), with room to spare. */
const RELEASE_DOWNLOAD_MIB = 200;

/** The nearest directory of `dir` that exists (meshup makes the rest), or why there is none. */
async function nearestDir(dir: string): Promise<{ dir: string } | { code: string }> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      return (await stat(d)).isDirectory() ? { dir: d } : { code: 'ENOTDIR' };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      if (code !== 'ENOENT' || dirname(d) === d) return { code };
    }
  }
}

/** Why meshup cannot write in `dir` (an error code), or undefined when it can. Tried, not asked
 * (a read-only mount or a root-owned directory answer access() wrongly for root), and nothing
 * is left behind. */
async function cannotWrite(dir: string): Promise<string | undefined> {
  const near = await nearestDir(dir);
  if ('code' in near) return near.code;
  const probe = join(near.dir, `.meshup-write-test-${process.pid}-${Date.now()}`);
  try {
    await writeFile(probe, '');
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'EIO';
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

async function freeMiB(dir: string): Promise<number | undefined> {
  const near = await nearestDir(dir);
  if ('code' in near) return undefined;
  try {
    const s = await statfs(near.dir);
    return Math.floor((s.bavail * s.bsize) / 1024 / 1024);
  } catch {
    return undefined;
  }
}

/**
 * Whether meshup can keep what it must between runs (the state dir: the target, the clusters it
 * made, its locks and overlays) and download what it needs (the cache dir, when the Istio release
 * is not at hand). Checked before the first change: after it, a failure would leave a cluster
 * made and a mesh half installed. A download on a cluster that exists may not be needed at all
 * (the plan decides): there it is a warning.
 */
async function storageFindings(env: NodeJS.ProcessEnv, spec: Pick<Spec, 'istioVersion' | 'istioDir'>, clusterExists: boolean): Promise<Finding[]> {
  const state = stateDir(env);
  const cache = cacheDir(env);
  const release = releaseCacheDir(env, spec.istioVersion);
  const atHand = !!spec.istioDir || (existsSync(join(release, '.complete')) && existsSync(join(release, 'bin', 'istioctl')));
  const [stateCode, cacheCode, free] = await Promise.all([cannotWrite(state), cannotWrite(cache), atHand ? undefined : freeMiB(cache)]);
  const findings: Finding[] = [
    stateCode
      ? {
          check: 'state directory',
          status: 'error',
          message: `${state} cannot be written (${stateCode}): meshup keeps the clusters it made, its locks and the Istio overlay there`,
          fix: `Make ${state} writable, or point XDG_STATE_HOME at a directory you can write`,
        }
      : { check: 'state directory', status: 'ok', message: `${state} is writable` },
  ];
  const download = atHand ? '' : `: the Istio ${spec.istioVersion} release is downloaded there`;
  const severity: FindingStatus = atHand || clusterExists ? 'warn' : 'error';
  findings.push(
    cacheCode
      ? {
          check: 'cache directory',
          status: severity,
          message: `${cache} cannot be written (${cacheCode})${download || ': downloads and listings cannot be kept'}`,
          fix: `Make ${cache} writable, or point XDG_CACHE_HOME at a directory you can write${atHand ? '' : ' (or pass --istio-dir with an extracted release)'}`,
        }
      : { check: 'cache directory', status: 'ok', message: `${cache} is writable` },
  );
  if (free !== undefined && !cacheCode) {
    findings.push(
      free >= RELEASE_DOWNLOAD_MIB
        ? { check: 'cache disk', status: 'ok', message: `${formatMiB(free)} free (a download needs about ${formatMiB(RELEASE_DOWNLOAD_MIB)})` }
        : {
            check: 'cache disk',
            status: severity,
            message: `${formatMiB(free)} free in ${cache}, but downloading Istio ${spec.istioVersion} takes about ${formatMiB(RELEASE_DOWNLOAD_MIB)}`,
            fix: `Free some disk there, or point XDG_CACHE_HOME at a disk with room (or pass --istio-dir with an extracted release)`,
          },
    );
  }
  return findings;
}
