// The checks `up` runs first and `doctor` prints. Each yields a finding with the numbers and a
// fix; errors stop `up` before anything is created (unless --force).
import { createServer } from 'node:net';
import { formatMiB } from '../config/quantity.js';
import type { Resources, Spec } from '../config/spec.js';
import { MeshupError, ToolMissingError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import type { ToolName } from '../exec/tools.js';
import type { Provider } from '../providers/types.js';
import { type DockerInfo, dockerInfo } from '../tools/docker.js';
import { toolVersion } from '../tools/version.js';
import { sleep } from '../util/time.js';
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
