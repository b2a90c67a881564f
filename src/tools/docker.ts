// docker: what the VM that minikube and kind run in really has, and the registry containers
// meshup runs beside its clusters (images/registries.ts says what they are).

import { CommandFailedError, MeshupError, PreflightError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import {
  REGISTRY_LABEL,
  REGISTRY_PORT_LABEL,
  REGISTRY_REMOTE_LABEL,
  type RegistryContainer,
  type RegistryObserved,
  registryRunArgs,
} from '../images/registries.js';
import { excerpt } from '../util/text.js';

export interface DockerInfo {
  cpus: number;
  memoryBytes: number;
  operatingSystem: string;
  serverVersion: string;
  architecture: string;
  /** Docker Desktop runs a VM with its own, smaller limits than the host. */
  desktop: boolean;
}

export function parseDockerInfo(stdout: string): DockerInfo {
  // With a stopped daemon, older clients still print a JSON object whose ServerErrors says why.
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(stdout.trim().split('\n').pop() || '{}') as Record<string, unknown>;
  } catch {
    // Not Docker as meshup knows it (another CLI named docker, or a wrapper printing text).
    throw new PreflightError('`docker system info --format {{json .}}` did not answer with JSON', {
      details: [`it printed: ${excerpt(stdout.trim().split('\n')[0] ?? '')}`],
      fix: 'Check that the docker on PATH is the Docker CLI (docker --version), and that the daemon runs',
    });
  }
  if (typeof info !== 'object' || info === null) info = {};
  const errors = info.ServerErrors as string[] | undefined;
  if (errors?.length || typeof info.NCPU !== 'number') {
    throw new PreflightError('Docker is not running', {
      details: errors ?? [],
      fix: 'Start Docker (Docker Desktop, or: sudo systemctl start docker) and run the command again',
    });
  }
  const os = String(info.OperatingSystem ?? '');
  return {
    cpus: info.NCPU,
    memoryBytes: Number(info.MemTotal ?? 0),
    operatingSystem: os,
    serverVersion: String(info.ServerVersion ?? ''),
    architecture: String(info.Architecture ?? ''),
    desktop: /Docker Desktop/i.test(os),
  };
}

export async function dockerInfo(runner: Runner): Promise<DockerInfo> {
  try {
    const r = await runner.run({
      readOnly: true,
      tool: 'docker',
      args: ['system', 'info', '--format', '{{json .}}'],
      step: 'Asking Docker for its resources',
      timeoutMs: 20_000,
    });
    return parseDockerInfo(r.stdout);
  } catch (e) {
    if (e instanceof CommandFailedError) {
      throw new PreflightError('Docker is not running', { details: e.details, fix: e.fix });
    }
    throw e;
  }
}

/** `docker ps --format {{json .}}` rows: Names, State, Networks (comma-separated), Labels (k=v,...). */
export function parseRegistryRows(stdout: string): RegistryObserved[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => {
      const row = JSON.parse(l) as { Names?: string; State?: string; Networks?: string; Labels?: string };
      const labels = new Map(
        (row.Labels ?? '')
          .split(',')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=') < 0 ? kv.length : kv.indexOf('=')), kv.includes('=') ? kv.slice(kv.indexOf('=') + 1) : ''] as const),
      );
      const port = Number(labels.get(REGISTRY_PORT_LABEL));
      return {
        name: String(row.Names ?? '').split(',')[0]!,
        running: row.State === 'running',
        ours: labels.get('app.kubernetes.io/managed-by') === 'meshup' && labels.has(REGISTRY_LABEL),
        networks: (row.Networks ?? '').split(',').filter(Boolean),
        serves: labels.get(REGISTRY_LABEL),
        hostPort: Number.isInteger(port) && port > 0 ? port : undefined,
        remote: labels.get(REGISTRY_REMOTE_LABEL),
      };
    });
}

/** The containers under the names given, running or not, whoever made them. */
export async function registryContainers(runner: Runner, names: readonly string[]): Promise<RegistryObserved[]> {
  if (!names.length) return [];
  const r = await runner.run({
    readOnly: true,
    tool: 'docker',
    // Filters by name match substrings: the exact names are kept below.
    args: ['ps', '--all', '--no-trunc', ...names.flatMap((n) => ['--filter', `name=${n}`]), '--format', '{{json .}}'],
    step: 'Asking Docker for the registry containers',
    timeoutMs: 20_000,
  });
  return parseRegistryRows(r.stdout).filter((c) => names.includes(c.name));
}

/** Every registry container meshup made, whatever it serves. */
export async function meshupRegistries(runner: Runner): Promise<RegistryObserved[]> {
  const r = await runner.run({
    readOnly: true,
    tool: 'docker',
    args: ['ps', '--all', '--no-trunc', '--filter', `label=${REGISTRY_LABEL}`, '--format', '{{json .}}'],
    step: "Asking Docker for meshup's registry containers",
    timeoutMs: 20_000,
  });
  return parseRegistryRows(r.stdout).filter((c) => c.ours);
}

export async function runRegistry(runner: Runner, c: RegistryContainer): Promise<void> {
  await runner.run({ tool: 'docker', args: registryRunArgs(c), step: `Starting registry container ${c.name}`, timeoutMs: 300_000 });
}

export async function startContainer(runner: Runner, name: string): Promise<void> {
  await runner.run({ tool: 'docker', args: ['start', name], step: `Starting container ${name}`, timeoutMs: 60_000 });
}

/** Joins a container to a network; already joined is fine. */
export async function connectNetwork(runner: Runner, network: string, container: string): Promise<void> {
  const r = await runner.run({
    tool: 'docker',
    args: ['network', 'connect', network, container],
    okExitCodes: [1],
    step: `Connecting ${container} to Docker network ${network}`,
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0 && !/already exists in network|is already connected/i.test(r.stderr)) {
    throw new MeshupError(`Could not connect ${container} to Docker network ${network}`, {
      details: [excerpt(r.stderr.trim())],
      fix: `Check the network with: docker network inspect ${network}`,
    });
  }
}

export async function removeContainers(runner: Runner, names: readonly string[]): Promise<void> {
  if (!names.length) return;
  await runner.run({ tool: 'docker', args: ['rm', '--force', ...names], step: `Removing ${names.join(', ')}`, timeoutMs: 60_000 });
}

export async function removeVolumes(runner: Runner, names: readonly string[]): Promise<void> {
  if (!names.length) return;
  await runner.run({ tool: 'docker', args: ['volume', 'rm', '--force', ...names], step: `Removing volumes ${names.join(', ')}`, timeoutMs: 60_000 });
}

/** A file inside a container, or undefined when it is not there. */
export async function readContainerFile(runner: Runner, container: string, path: string): Promise<string | undefined> {
  const r = await runner.run({
    readOnly: true,
    tool: 'docker',
    args: ['exec', container, 'cat', path],
    okExitCodes: [1],
    step: `Reading ${path} in ${container}`,
    timeoutMs: 20_000,
  });
  return r.exitCode === 0 ? r.stdout : undefined;
}

/** Writes a file inside a container (its directory made first), as kind's own docs do for hosts.toml. */
export async function writeContainerFile(runner: Runner, container: string, path: string, content: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  await runner.run({ tool: 'docker', args: ['exec', container, 'mkdir', '-p', dir], step: `Making ${dir} in ${container}`, timeoutMs: 20_000 });
  await runner.run({
    tool: 'docker',
    args: ['exec', '--interactive', container, 'cp', '/dev/stdin', path],
    input: content,
    step: `Writing ${path} in ${container}`,
    timeoutMs: 20_000,
  });
}

/** The bytes a registry container keeps (its storage), read inside it; undefined when it does not run. */
export async function registrySize(runner: Runner, container: string): Promise<number | undefined> {
  const r = await runner.run({
    readOnly: true,
    tool: 'docker',
    args: ['exec', container, 'du', '-sk', '/var/lib/registry'],
    okExitCodes: [1],
    step: `Measuring the storage of ${container}`,
    timeoutMs: 30_000,
  });
  const kib = Number(/^(\d+)/.exec(r.stdout.trim())?.[1]);
  return r.exitCode === 0 && Number.isFinite(kib) ? kib * 1024 : undefined;
}
