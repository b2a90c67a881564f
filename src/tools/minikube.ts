// minikube: one profile is one cluster; the context is named after the profile.
import type { Runner } from '../exec/runner.js';

export const minikubeContext = (profile: string) => profile;

export type MinikubeState = 'absent' | 'running' | 'stopped' | 'paused' | 'broken';

interface MinikubeNodeStatus {
  Name: string;
  Host: string;
  Kubelet: string;
  APIServer: string;
  Kubeconfig: string;
  Worker?: boolean;
}

/**
 * Exit 85 means no such profile; other exits are a bitmask of what is down, so read stdout.
 * minikube v1.36.0 prints `null` and exits 0 when the profile exists but its node container is
 * gone or Docker is down: that is broken (`minikube start -p NAME` repairs it), never running.
 * Output without any status object proves nothing either, so it counts as broken too.
 */
export function parseMinikubeStatus(stdout: string, exitCode: number): MinikubeState {
  if (exitCode === 85) return 'absent';
  const line = stdout.split('\n').find((l) => l.trim().startsWith('{') || l.trim().startsWith('['));
  if (!line) return 'broken';
  let parsed: MinikubeNodeStatus | MinikubeNodeStatus[];
  try {
    parsed = JSON.parse(line) as MinikubeNodeStatus | MinikubeNodeStatus[];
  } catch {
    return 'broken';
  }
  const nodes = (Array.isArray(parsed) ? parsed : [parsed]).filter((n): n is MinikubeNodeStatus => !!n && typeof n === 'object');
  if (!nodes.length) return 'broken';
  if (nodes.some((n) => n.Host === 'Nonexistent')) return 'absent';
  if (nodes.some((n) => n.APIServer === 'Paused')) return 'paused';
  if (nodes.every((n) => n.Host === 'Running' && n.APIServer === 'Running' && n.Kubelet === 'Running')) return 'running';
  if (nodes.every((n) => n.Host === 'Stopped')) return 'stopped';
  return 'broken';
}

export async function minikubeStatus(runner: Runner, profile: string): Promise<MinikubeState> {
  const r = await runner.run({
    readOnly: true,
    tool: 'minikube',
    args: ['status', '-p', profile, '-o', 'json'],
    okExitCodes: [1, 2, 3, 4, 5, 6, 7, 85],
    step: `Asking minikube about profile ${profile}`,
    timeoutMs: 60_000,
  });
  return parseMinikubeStatus(r.stdout, r.exitCode);
}

export interface MinikubeProfile {
  name: string;
  status: string;
  cpus: number;
  memoryMiB: number;
  driver: string;
  kubernetesVersion: string;
}

export function parseProfileList(stdout: string): MinikubeProfile[] {
  const doc = JSON.parse(stdout || '{}') as { valid?: Record<string, unknown>[] };
  return (doc.valid ?? []).map((p) => {
    const cfg = (p.Config ?? {}) as Record<string, unknown>;
    const k = (cfg.KubernetesConfig ?? {}) as Record<string, unknown>;
    return {
      name: String(p.Name),
      status: String(p.Status ?? ''),
      cpus: Number(cfg.CPUs ?? 0),
      memoryMiB: Number(cfg.Memory ?? 0),
      driver: String(cfg.Driver ?? ''),
      kubernetesVersion: String(k.KubernetesVersion ?? ''),
    };
  });
}

export async function minikubeProfiles(runner: Runner): Promise<MinikubeProfile[]> {
  // Exits non-zero when there are no profiles at all, still printing the JSON.
  const r = await runner.run({ readOnly: true, tool: 'minikube', args: ['profile', 'list', '-o', 'json', '-l'], okExitCodes: [1, 85], timeoutMs: 60_000 });
  try {
    return parseProfileList(r.stdout);
  } catch {
    return [];
  }
}

export interface MinikubeStartSpec {
  profile: string;
  cpus: number;
  memoryMiB: number;
  diskMiB?: number;
  driver?: string;
  kubernetesVersion?: string;
  /** Docker Hub's mirror for the node's dockerd (a pull-through cache). */
  registryMirror?: string;
  /** Pod and Service ranges of its own (one of several clusters of a mesh). */
  subnets?: { pods: string; services: string };
}

export function minikubeStartArgs(s: MinikubeStartSpec): string[] {
  const args = ['start', '-p', s.profile, '--cpus', String(s.cpus), '--memory', `${s.memoryMiB}mb`];
  if (s.diskMiB) args.push('--disk-size', `${s.diskMiB}mb`);
  if (s.driver) args.push('--driver', s.driver);
  if (s.kubernetesVersion) args.push('--kubernetes-version', s.kubernetesVersion);
  if (s.registryMirror) args.push(`--registry-mirror=${s.registryMirror}`);
  if (s.subnets) args.push(`--service-cluster-ip-range=${s.subnets.services}`, `--extra-config=kubeadm.pod-network-cidr=${s.subnets.pods}`);
  args.push('--wait', 'apiserver,system_pods,default_sa');
  return args;
}

export async function minikubeStart(runner: Runner, s: MinikubeStartSpec): Promise<void> {
  await runner.run({ tool: 'minikube', args: minikubeStartArgs(s), step: `Starting minikube profile ${s.profile}`, timeoutMs: 15 * 60_000 });
}

/** Starts a stopped profile as it was: sizes of an existing profile cannot change anyway. */
export const minikubeResumeArgs = (profile: string) => ['start', '-p', profile];

export async function minikubeResume(runner: Runner, profile: string): Promise<void> {
  await runner.run({ tool: 'minikube', args: minikubeResumeArgs(profile), step: `Starting stopped minikube profile ${profile}`, timeoutMs: 15 * 60_000 });
}

/** `minikube service --url`: with the docker driver on macOS and Windows it stays running and
 * serves each port of the Service on 127.0.0.1, printing one URL a line (elsewhere it prints the
 * node's URLs and exits). */
export const minikubeServiceUrlArgs = (profile: string, namespace: string, service: string) => ['service', '-p', profile, '-n', namespace, service, '--url'];

export async function minikubeDelete(runner: Runner, profile: string): Promise<void> {
  await runner.run({ tool: 'minikube', args: ['delete', '-p', profile], step: `Deleting minikube profile ${profile}`, timeoutMs: 5 * 60_000 });
}

export async function minikubeIp(runner: Runner, profile: string): Promise<string> {
  const r = await runner.run({ readOnly: true, tool: 'minikube', args: ['ip', '-p', profile], timeoutMs: 30_000 });
  return r.stdout.trim();
}
