// kwokctl: a real control plane (etcd, kube-apiserver, controller-manager, scheduler) as local
// processes, with nodes and pods simulated by kwok. Context names are "kwok-<name>".
import type { Runner } from '../exec/runner.js';

export const kwokContext = (name: string) => `kwok-${name}`;

export interface KwokBinaries {
  kubeApiserver?: string;
  kubeControllerManager?: string;
  kubeScheduler?: string;
  kwokController?: string;
  etcd?: string;
}

export interface KwokctlConfigOptions {
  /**
   * Let the API server call admission webhooks, resolving a webhook's Service to its endpoints
   * (--enable-aggregator-routing) instead of dialling its simulated cluster IP. Only for a cluster
   * whose webhooks are served on 127.0.0.1 (the tests' local istiod); off by default.
   */
  webhooks?: boolean;
  /** kwok Stage documents appended to the configuration (kwok then uses these instead of its defaults). */
  stages?: string[];
}

/** The configuration kwokctl reads: binary runtime, loopback only, webhooks never dialled. */
export function kwokctlConfigYaml(bin: KwokBinaries, options: KwokctlConfigOptions = {}): string {
  const opts: [string, string | undefined][] = [
    ['kubeApiserverBinary', bin.kubeApiserver],
    ['kubeControllerManagerBinary', bin.kubeControllerManager],
    ['kubeSchedulerBinary', bin.kubeScheduler],
    ['kwokControllerBinary', bin.kwokController],
    ['etcdBinary', bin.etcd],
  ];
  const admission = options.webhooks
    ? [
        // Webhook calls go to a Service's endpoints, never to its simulated cluster IP.
        '      - key: enable-aggregator-routing',
        "        value: 'true'",
      ]
    : ['      - key: disable-admission-plugins', '        value: MutatingAdmissionWebhook,ValidatingAdmissionWebhook'];
  const config = [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokctlConfiguration',
    'options:',
    '  runtime: binary',
    '  bindAddress: 127.0.0.1',
    // Port-forwards reach only targets these resources name (e.g. a server on 127.0.0.1).
    '  enableCRDs: [PortForward, ClusterPortForward]',
    ...opts.filter(([, v]) => v).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    'componentsPatches:',
    '  - name: kube-apiserver',
    '    extraArgs:',
    // Endpoints and webhook calls would target simulated pod and Service addresses; the API
    // server must never dial those, so it advertises loopback and skips webhook admission
    // (unless options.webhooks: then a Service resolves to its endpoints, see above).
    '      - key: advertise-address',
    '        value: 127.0.0.1',
    '      - key: endpoint-reconciler-type',
    '        value: none',
    ...admission,
    '',
  ].join('\n');
  return [config, ...(options.stages ?? []).map((s) => `${s.trim()}\n`)].join('---\n');
}

export async function kwokClusters(runner: Runner): Promise<string[]> {
  const r = await runner.run({ readOnly: true, tool: 'kwokctl', args: ['get', 'clusters'], step: 'Listing kwok clusters', timeoutMs: 30_000 });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export const kwokCreateArgs = (name: string, configFile: string) => [
  'create',
  'cluster',
  '--name',
  name,
  '--config',
  configFile,
  '--runtime',
  'binary',
  '--wait',
  '2m',
];
export const kwokStartArgs = (name: string) => ['start', 'cluster', '--name', name];

export async function kwokCreate(runner: Runner, name: string, configFile: string, configYaml: string): Promise<void> {
  await runner.run({
    tool: 'kwokctl',
    args: kwokCreateArgs(name, configFile),
    step: `Creating kwok cluster ${name}`,
    timeoutMs: 5 * 60_000,
    // Shown under --dry-run so the plan includes the configuration it would use.
    dryRunStdout: configYaml,
  });
}

export async function kwokStart(runner: Runner, name: string): Promise<void> {
  await runner.run({ tool: 'kwokctl', args: kwokStartArgs(name), step: `Starting kwok cluster ${name}`, timeoutMs: 3 * 60_000 });
}

export async function kwokDelete(runner: Runner, name: string): Promise<void> {
  await runner.run({ tool: 'kwokctl', args: ['delete', 'cluster', '--name', name], step: `Deleting kwok cluster ${name}`, timeoutMs: 3 * 60_000 });
}

/** A fake node kwok keeps Ready. Its only addresses are loopback ones: nothing may dial it. */
export function kwokNodeYaml(name: string, cpus: number, memoryMiB: number): string {
  return `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: ${name}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
status:
  addresses:
    - type: InternalIP
      address: 127.0.0.1
    - type: Hostname
      address: localhost
  allocatable:
    cpu: "${cpus}"
    memory: ${memoryMiB}Mi
    pods: "110"
  capacity:
    cpu: "${cpus}"
    memory: ${memoryMiB}Mi
    pods: "110"
`;
}
