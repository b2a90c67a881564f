// docker: only read. meshup asks the daemon what the VM that minikube and kind run in really has.

import { CommandFailedError, PreflightError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
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
