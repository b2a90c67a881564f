// The tool descriptors: which argument shapes change things (what --dry-run prints instead of
// running, and what the tests' oracle counts), the version probes, and the runner's refusal of a
// call declared read-only that changes things.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../src/exec/runner.js';
import { installHint, matchKnownError, type ToolName, toolDescriptor } from '../../src/exec/tools.js';

const changes = (tool: ToolName, line: string) => toolDescriptor(tool).changes(line.split(' '));

describe('tool descriptors', () => {
  it.each([
    ['kubectl', 'apply --server-side --field-manager=meshup --force-conflicts -f -', true],
    ['kubectl', 'delete namespace/istio-system --ignore-not-found', true],
    ['kubectl', 'label namespace shop --overwrite istio-injection-', true],
    ['kubectl', 'rollout restart deployment/web -n shop', true],
    ['kubectl', 'rollout status deployment/istiod -n istio-system --timeout=60s', false],
    ['kubectl', 'get namespaces -o name', false],
    ['kubectl', 'config view -o json', false],
    ['kubectl', 'wait --for=delete pod/istiod-1 -n istio-system --timeout=120s', false],
    ['kubectl', 'port-forward -n istio-system svc/kiali 20001:20001 --address 127.0.0.1', false],
    ['istioctl', 'install -f /o.yaml -y --readiness-timeout 600s', true],
    ['istioctl', 'uninstall --purge -y', true],
    ['istioctl', 'manifest generate -f /o.yaml', false],
    ['istioctl', 'kube-inject -f - --revision default', false],
    ['istioctl', 'version --remote=false -o json', false],
    // The shapes the name-based oracle this replaced let through as harmless:
    ['kind', 'export kubeconfig --name meshup', true],
    ['docker', 'start meshup-control-plane', true],
    ['kind', 'create cluster --name meshup --config - --wait 180s', true],
    ['kind', 'get clusters', false],
    ['docker', 'inspect --format {{.State.Status}} meshup-control-plane', false],
    ['docker', 'system info --format {{json .}}', false],
    ['minikube', 'start -p meshup --cpus 4', true],
    ['minikube', 'status -p meshup -o json', false],
    ['kwokctl', 'create cluster --name meshup --config /c.yaml', true],
    ['kwokctl', 'get clusters', false],
  ] as const)('%s %s: changes %s', (tool, line, want) => {
    expect(changes(tool, line)).toBe(want);
  });

  it('does not know a shape meshup never makes: the oracle then fails closed', () => {
    expect(changes('kubectl', 'drain node-1')).toBeUndefined();
    expect(changes('kind', 'build node-image')).toBeUndefined();
  });

  it('reads versions as each tool prints them', () => {
    expect(toolDescriptor('kind').version.parse('kind v0.33.0 go1.26.8 linux/amd64')).toBe('0.33.0');
    expect(toolDescriptor('docker').version.parse('Docker version 28.2.2, build e6534b4')).toBe('28.2.2');
    expect(toolDescriptor('kubectl').version.parse('{"clientVersion":{"gitVersion":"v1.33.1-dispatcher"}}')).toBe('1.33.1');
    expect(toolDescriptor('kwokctl').version.parse('kwokctl version v0.7.0 go1.26')).toBe('v0.7.0');
  });

  it('keeps install hints and known errors per tool', () => {
    expect(installHint('kind', 'darwin')).toBe('Install kind: brew install kind');
    expect(installHint('minikube', 'linux')).toContain('minikube.sigs.k8s.io');
    expect(matchKnownError('kind', 'ERROR: node(s) already exist for a cluster with the name "meshup"')?.message).toBe(
      'A kind cluster with that name already exists',
    );
    expect(matchKnownError('kubectl', 'node(s) already exist for a cluster with the name "x"')).toBeUndefined();
    expect(matchKnownError('kwokctl', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock')?.message).toBe('Docker is not running');
  });

  it('a call declared read-only that changes things is refused before it starts', async () => {
    const r = new Runner({ env: { PATH: '/nonexistent' }, log: () => {} }).forContext('kind-meshup');
    await expect(r.run({ tool: 'kubectl', readOnly: true, args: ['delete', 'ns', 'shop'] })).rejects.toThrow(/declared read-only, but kubectl changes things/);
    expect(r.history).toEqual([]);
  });
});

describe('calls that rewrite the kubeconfig', () => {
  it('are known per tool', () => {
    const writes = (tool: ToolName, line: string) => toolDescriptor(tool).writesKubeconfig?.(line.split(' ')) ?? false;
    expect(writes('kind', 'create cluster --name a --config -')).toBe(true);
    expect(writes('kind', 'export kubeconfig --name a')).toBe(true);
    expect(writes('kind', 'get clusters')).toBe(false);
    expect(writes('kwokctl', 'create cluster --name a --config /c.yaml')).toBe(true);
    expect(writes('minikube', 'start -p a')).toBe(true);
    expect(writes('kubectl', 'apply -f -')).toBe(false);
  });

  it('take turns per kubeconfig, in this process; others run side by side', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshup-kcfg-'));
    try {
      // A kwokctl that notes when it starts and ends, taking a moment in between.
      writeFileSync(join(dir, 'kwokctl'), `#!/bin/sh\necho "start $4" >> '${dir}/log'\nsleep 0.3\necho "end $4" >> '${dir}/log'\n`);
      chmodSync(join(dir, 'kwokctl'), 0o755);
      const runner = (kubeconfig: string) => new Runner({ env: { PATH: `${dir}:/usr/bin:/bin`, KUBECONFIG: join(dir, kubeconfig) }, log: () => {} });
      const create = (r: Runner, name: string) => r.run({ tool: 'kwokctl', args: ['create', 'cluster', '--name', name] });
      // Two runners, as two commands in one process would have, on one kubeconfig.
      await Promise.all([create(runner('config'), 'a'), create(runner('config'), 'b')]);
      const log = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
      expect([log.slice(0, 2), log.slice(2)].map((l) => l.map((x) => x.split(' ')[0]))).toEqual([
        ['start', 'end'],
        ['start', 'end'],
      ]);
      // Another kubeconfig: no turns to take.
      rmSync(join(dir, 'log'));
      await Promise.all([create(runner('one'), 'c'), create(runner('two'), 'd')]);
      expect(
        readFileSync(join(dir, 'log'), 'utf8')
          .trim()
          .split('\n')
          .slice(0, 2)
          .map((x) => x.split(' ')[0]),
      ).toEqual(['start', 'start']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
