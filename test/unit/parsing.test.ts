import { describe, expect, it } from 'vitest';
import { withDependencies } from '../../src/config/catalog.js';
import { formatMiB, parseKubeMemoryMiB, parseMiB } from '../../src/config/quantity.js';
import type { Addon } from '../../src/config/schema.js';
import { isLocalContext, looksLocal } from '../../src/context/safety.js';
import { PreflightError } from '../../src/errors.js';
import { formatCommand, quoteArg } from '../../src/exec/quote.js';
import { computeNeed } from '../../src/preflight/need.js';
import { parseDockerInfo } from '../../src/tools/docker.js';
import { kindConfigYaml, parseKindClusters } from '../../src/tools/kind.js';
import { parseKubeconfigView } from '../../src/tools/kubectl.js';
import { minikubeStartArgs, parseMinikubeStatus, parseProfileList } from '../../src/tools/minikube.js';
import { closest } from '../../src/util/suggest.js';

describe('quoting', () => {
  it('quotes only what a shell would split or expand', () => {
    expect(quoteArg('--name')).toBe('--name');
    expect(quoteArg('a b')).toBe("'a b'");
    expect(quoteArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteArg('')).toBe("''");
    expect(formatCommand('kubectl', ['apply', '-f', '-'], 'x: 1')).toBe("kubectl apply -f - <<'MESHUP_EOF'\nx: 1\nMESHUP_EOF");
  });
});

describe('suggestions', () => {
  it('finds near names and ignores far ones', () => {
    expect(closest('kaili', ['kiali', 'grafana'])).toBe('kiali');
    expect(closest('prom', ['prometheus', 'grafana'])).toBe('prometheus');
    expect(closest('zzzzzz', ['kiali', 'grafana'])).toBeUndefined();
  });
});

describe('sizes', () => {
  it('reads user sizes in MiB', () => {
    expect(parseMiB('8g')).toBe(8192);
    expect(parseMiB('8Gi')).toBe(8192);
    expect(parseMiB('512m')).toBe(512);
    expect(parseMiB(4096)).toBe(4096);
    expect(parseMiB('lots')).toBeUndefined();
    expect(formatMiB(5120)).toBe('5 GiB');
    expect(formatMiB(5248)).toBe('5.1 GiB');
  });
  it('reads Kubernetes quantities', () => {
    expect(parseKubeMemoryMiB('16318848Ki')).toBe(15936);
    expect(parseKubeMemoryMiB('1Ti')).toBe(1024 * 1024);
  });
});

describe('minikube output', () => {
  it('reads status JSON and its exit-code bitmask', () => {
    expect(parseMinikubeStatus('🤷  Profile "x" not found.', 85)).toBe('absent');
    expect(parseMinikubeStatus('{"Name":"m","Host":"Running","Kubelet":"Running","APIServer":"Running","Kubeconfig":"Configured"}', 0)).toBe('running');
    expect(parseMinikubeStatus('{"Name":"m","Host":"Stopped","Kubelet":"Stopped","APIServer":"Stopped","Kubeconfig":"Stopped"}', 7)).toBe('stopped');
    expect(
      parseMinikubeStatus(
        'E1 stray log line\n[{"Name":"m","Host":"Running","Kubelet":"Running","APIServer":"Running"},{"Name":"m2","Host":"Running","Kubelet":"Stopped","APIServer":"Irrelevant"}]',
        2,
      ),
    ).toBe('broken');
    expect(parseMinikubeStatus('{"Name":"m","Host":"Running","Kubelet":"Running","APIServer":"Paused"}', 2)).toBe('paused');
  });
  it('reads profile list', () => {
    const p = parseProfileList(
      '{"invalid":[],"valid":[{"Name":"meshup","Status":"Running","Config":{"CPUs":4,"Memory":8192,"Driver":"docker","KubernetesConfig":{"KubernetesVersion":"v1.33.1"}}}]}',
    );
    expect(p).toEqual([{ name: 'meshup', status: 'Running', cpus: 4, memoryMiB: 8192, driver: 'docker', kubernetesVersion: 'v1.33.1' }]);
  });
  it('builds start arguments', () => {
    expect(minikubeStartArgs({ profile: 'p', cpus: 4, memoryMiB: 8192, driver: 'docker', kubernetesVersion: 'v1.33.1' })).toEqual([
      'start',
      '-p',
      'p',
      '--cpus',
      '4',
      '--memory',
      '8192mb',
      '--driver',
      'docker',
      '--kubernetes-version',
      'v1.33.1',
      '--wait',
      'apiserver,system_pods,default_sa',
    ]);
  });
});

describe('kind', () => {
  it('reads cluster lists, including the none message', () => {
    expect(parseKindClusters('No kind clusters found.')).toEqual([]);
    expect(parseKindClusters('a\nmeshup\n')).toEqual(['a', 'meshup']);
  });
  it('writes port mappings into the cluster config', () => {
    const y = kindConfigYaml({ name: 'm', portMappings: [{ containerPort: 30080, hostPort: 8080 }] });
    expect(y).toContain('extraPortMappings:\n      - containerPort: 30080\n        hostPort: 8080\n        listenAddress: 127.0.0.1');
  });
});

describe('docker info', () => {
  it('reads the VM limits', () => {
    const d = parseDockerInfo('{"NCPU":4,"MemTotal":4294967296,"OperatingSystem":"Docker Desktop","ServerVersion":"28.2.2","Architecture":"aarch64"}');
    expect(d).toMatchObject({ cpus: 4, memoryBytes: 4294967296, desktop: true });
  });
  it('treats server errors as a stopped daemon', () => {
    expect(() => parseDockerInfo('{"ServerErrors":["Cannot connect to the Docker daemon"]}')).toThrow(PreflightError);
  });
});

describe('contexts', () => {
  it('maps kubeconfig contexts to their cluster and server', () => {
    const v = parseKubeconfigView(
      JSON.stringify({
        'current-context': 'kind-a',
        contexts: [{ name: 'kind-a', context: { cluster: 'kind-a' } }],
        clusters: [{ name: 'kind-a', cluster: { server: 'https://127.0.0.1:1' } }],
      }),
    );
    expect(v).toEqual({ current: 'kind-a', contexts: [{ name: 'kind-a', cluster: 'kind-a', server: 'https://127.0.0.1:1' }] });
  });
  it('knows local cluster names', () => {
    for (const n of ['minikube', 'kind-dev', 'docker-desktop', 'k3d-x', 'kwok-meshup', 'rancher-desktop', 'orbstack']) expect(looksLocal(n), n).toBe(true);
    for (const n of ['gke_acme_prod', 'arn:aws:eks:eu-west-1:1:cluster/prod', 'kindly-prod']) expect(looksLocal(n), n).toBe(false);
    expect(isLocalContext({ name: 'dev', cluster: 'kind-dev', server: '' })).toBe(true);
  });
});

describe('addon dependencies and footprint', () => {
  const a = (name: string, dependsOn: string[] = [], cpuMillis = 100, memory = '256m'): Addon => ({
    name,
    description: '',
    manifest: '',
    namespace: 'istio-system',
    workloads: [`deployment/${name}`],
    dependsOn,
    footprint: { cpuMillis, memory },
  });
  const catalog = new Map([a('prometheus'), a('kiali', ['prometheus']), a('grafana', ['prometheus'])].map((x) => [x.name, x]));
  it('puts dependencies first and says which it added', () => {
    expect(withDependencies(['kiali'], catalog)).toEqual({ ordered: ['prometheus', 'kiali'], added: ['prometheus'] });
    expect(withDependencies(['kiali', 'prometheus'], catalog)).toEqual({ ordered: ['prometheus', 'kiali'], added: [] });
  });
  it('adds footprints and rounds CPUs up', () => {
    expect(computeNeed({ cpus: 2, memoryMiB: 4096, diskMiB: 1 }, [...catalog.values()])).toEqual({ cpus: 3, memoryMiB: 4096 + 768, diskMiB: 1 });
  });
});
