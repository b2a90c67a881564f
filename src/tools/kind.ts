// kind: clusters as Docker containers. Context names are "kind-<name>".
import type { Runner } from '../exec/runner.js';

export const kindContext = (name: string) => `kind-${name}`;

/** `kind get clusters` prints one name a line; none is "No kind clusters found." on stderr. */
export function parseKindClusters(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^No kind clusters found/i.test(l));
}

export async function kindClusters(runner: Runner): Promise<string[]> {
  const r = await runner.run({ readOnly: true, tool: 'kind', args: ['get', 'clusters'], step: 'Listing kind clusters', timeoutMs: 30_000 });
  return parseKindClusters(r.stdout);
}

export interface KindClusterConfig {
  name: string;
  nodeImage?: string;
  portMappings: { containerPort: number; hostPort: number }[];
}

/** The cluster config kind reads from stdin. Port mappings must exist at creation (kind#2720). */
export function kindConfigYaml(c: KindClusterConfig): string {
  const lines = [
    'kind: Cluster',
    'apiVersion: kind.x-k8s.io/v1alpha4',
    `name: ${c.name}`,
    'nodes:',
    '  - role: control-plane',
  ];
  if (c.nodeImage) lines.push(`    image: ${c.nodeImage}`);
  if (c.portMappings.length) {
    lines.push('    extraPortMappings:');
    for (const m of c.portMappings) {
      lines.push(`      - containerPort: ${m.containerPort}`, `        hostPort: ${m.hostPort}`, '        listenAddress: 127.0.0.1', '        protocol: TCP');
    }
  }
  return `${lines.join('\n')}\n`;
}

export function kindCreateArgs(c: KindClusterConfig, waitSeconds = 180): string[] {
  const args = ['create', 'cluster', '--name', c.name, '--config', '-', '--wait', `${waitSeconds}s`];
  if (c.nodeImage) args.push('--image', c.nodeImage);
  return args;
}

export async function kindCreate(runner: Runner, c: KindClusterConfig, waitSeconds = 180): Promise<void> {
  await runner.run({ tool: 'kind', args: kindCreateArgs(c, waitSeconds), input: kindConfigYaml(c), step: `Creating kind cluster ${c.name}`, timeoutMs: (waitSeconds + 300) * 1000 });
}

export async function kindDelete(runner: Runner, name: string): Promise<void> {
  await runner.run({ tool: 'kind', args: ['delete', 'cluster', '--name', name], step: `Deleting kind cluster ${name}`, timeoutMs: 180_000 });
}

/** "kind v0.29.0 go1.24.2 linux/amd64" → "0.29.0" */
export async function kindVersion(runner: Runner): Promise<string> {
  const r = await runner.run({ readOnly: true, tool: 'kind', args: ['version'], timeoutMs: 10_000 });
  return /v(\d+\.\d+\.\d+\S*)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
}
