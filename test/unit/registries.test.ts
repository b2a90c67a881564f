// The registry containers as data and as a plan: the caches and the local registry a spec wants,
// their docker run, the nodes' hosts.toml and the KEP-1755 ConfigMap; planned against what Docker
// and the nodes hold, in-process.
import { describe, expect, it } from 'vitest';
import type { Spec } from '../../src/config/spec.js';
import { parseRateLimit } from '../../src/images/quota.js';
import { cacheContainer, hostsToml, localRegistry, localRegistryHosting, registryRunArgs, wantedRegistries } from '../../src/images/registries.js';
import { emptyObserved, type Observed } from '../../src/observe/evaluate.js';
import { plan } from '../../src/plan/plan.js';
import { blockerText, symbolOf } from '../../src/plan/types.js';
import { providerFor } from '../../src/providers/index.js';
import { parseRegistryRows } from '../../src/tools/docker.js';
import { planInput } from '../helpers/plan-input.js';
import { specFor } from '../helpers/spec.js';

const withCache = (flags: Parameters<typeof specFor>[0] = {}) =>
  specFor({ provider: 'kind', profile: 'minimal', addons: '', cache: true, localRegistry: true, ...flags });
const ids = (p: ReturnType<typeof plan>) =>
  p.actions.filter((a) => ['registries', 'registry-wiring', 'prefetch'].includes(a.op.type)).map((a) => `${symbolOf(a)} ${a.id}`);
const images = [
  { image: 'docker.io/istio/pilot:1.31.1', registry: 'docker.io', usedBy: [], perNode: false },
  { image: 'quay.io/kiali/kiali:v2.20', registry: 'quay.io', usedBy: [], perNode: false },
];

/** What observe reads of a running cluster whose registry containers and nodes are as meshup leaves them. */
function wired(spec: Spec, over: Partial<Observed> = {}): Observed {
  const wanted = wantedRegistries(spec, images);
  const o = emptyObserved({ state: 'running' });
  return {
    ...o,
    reachable: true,
    images,
    istio: { ...o.istio, present: true },
    registries: {
      containers: wanted.map((c) => ({
        name: c.name,
        running: true,
        ours: true,
        networks: ['bridge', 'kind'],
        serves: c.role === 'local' ? 'local' : c.registry,
        hostPort: c.hostPort,
      })),
      nodes: { 'meshup-control-plane': Object.fromEntries(wanted.map((c) => [c.registry, `${hostsToml(c).trimEnd()}`])) },
      hosting: { kind: 'ConfigMap', ...(localRegistryHosting(wanted.find((c) => c.role === 'local')!) as { metadata: { name: string } }) },
    },
    ...over,
  };
}

describe('the registry containers as data', () => {
  it('a cache runs the registry in proxy mode on a fixed loopback port, its storage in a named volume, marked as meshup’s', () => {
    const c = cacheContainer('docker.io')!;
    expect(registryRunArgs(c)).toEqual([
      'run',
      '--detach',
      '--restart=always',
      '--name',
      'meshup-cache-docker.io',
      '--label',
      'app.kubernetes.io/managed-by=meshup',
      '--label',
      'dev.meshup.registry=docker.io',
      '--label',
      'dev.meshup.port=5050',
      '--label',
      'dev.meshup.remote=https://registry-1.docker.io',
      '--publish',
      '127.0.0.1:5050:5000',
      '--volume',
      'meshup-cache-docker.io:/var/lib/registry',
      '--env',
      'REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io',
      'registry:2',
    ]);
    // A registry meshup does not front is left to the nodes.
    expect(cacheContainer('example.com')).toBeUndefined();
    // The local registry proxies nothing.
    expect(registryRunArgs(localRegistry(5001)).some((a) => a.startsWith('REGISTRY_PROXY'))).toBe(false);
  });

  it('hosts.toml sends pulls to the container by name and keeps the upstream as the fallback', () => {
    expect(hostsToml(cacheContainer('quay.io')!)).toBe(
      'server = "https://quay.io"\n\n[host."http://meshup-cache-quay.io:5000"]\n  capabilities = ["pull", "resolve"]\n',
    );
    expect(hostsToml(localRegistry(5001))).toContain('server = "http://meshup-registry:5000"');
    const cm = localRegistryHosting(localRegistry(5002)) as { metadata: { namespace: string }; data: Record<string, string> };
    expect(cm.metadata.namespace).toBe('kube-public');
    expect(cm.data['localRegistryHosting.v1']).toContain('host: "localhost:5002"');
  });

  it('the caches wanted follow the plan’s images, or the registries Istio and its addons use when those are not known yet', () => {
    const spec = { imageCache: { upstreams: { 'docker.io': 'http://127.0.0.1:9999' } }, localRegistryPort: 5001 };
    expect(wantedRegistries(spec, images).map((c) => [c.name, c.remote])).toEqual([
      ['meshup-cache-docker.io', 'http://127.0.0.1:9999'],
      ['meshup-cache-quay.io', 'https://quay.io'],
      ['meshup-registry', undefined],
    ]);
    expect(wantedRegistries({ imageCache: { upstreams: {} } }, undefined).map((c) => c.registry)).toEqual(['docker.io', 'ghcr.io', 'quay.io']);
    // Caches of the user's own: meshup runs none.
    expect(wantedRegistries({ imageCache: { upstreams: {}, external: { 'docker.io': 'http://10.0.0.5:5000' } } }, images)).toEqual([]);
  });

  it('reads docker ps rows: only containers carrying meshup’s label are its own', () => {
    const rows = [
      JSON.stringify({
        Names: 'meshup-cache-docker.io',
        State: 'exited',
        Networks: 'bridge,kind',
        Labels: 'app.kubernetes.io/managed-by=meshup,dev.meshup.registry=docker.io,dev.meshup.port=5050',
      }),
      JSON.stringify({ Names: 'meshup-registry', State: 'running', Networks: 'bridge', Labels: 'maintainer=someone' }),
    ].join('\n');
    expect(parseRegistryRows(rows)).toEqual([
      { name: 'meshup-cache-docker.io', running: false, ours: true, networks: ['bridge', 'kind'], serves: 'docker.io', hostPort: 5050 },
      { name: 'meshup-registry', running: true, ours: false, networks: ['bridge'], serves: undefined, hostPort: undefined },
    ]);
  });

  it('reads Docker Hub’s rate-limit headers', () => {
    expect(parseRateLimit('100;w=21600')).toEqual({ n: 100, window: 21600 });
    expect(parseRateLimit('76')).toEqual({ n: 76, window: undefined });
    expect(parseRateLimit(null)).toBeUndefined();
  });
});

describe('planning the registry containers', () => {
  it('a new kind cluster: the caches and the local registry run, the new nodes are pointed at them, the caches are filled meanwhile', async () => {
    const spec = await withCache();
    const p = plan(planInput(spec, { ...emptyObserved({ state: 'absent' }), images }));
    expect(ids(p)).toEqual(['+ registries', '+ registry-wiring', '~ prefetch']);
    const [run, wire, prefetch] = p.actions.filter((a) => ['registries', 'registry-wiring', 'prefetch'].includes(a.id));
    expect(run!.commands.map((c) => c.split(' --name ')[1]?.split(' ')[0])).toEqual(['meshup-cache-docker.io', 'meshup-cache-quay.io', 'meshup-registry']);
    expect(wire!.op).toMatchObject({ network: 'kind', connect: ['meshup-cache-docker.io', 'meshup-cache-quay.io', 'meshup-registry'] });
    expect(wire!.op.type === 'registry-wiring' && wire!.op.files.map((f) => `${f.node} ${f.path}`)).toEqual([
      '* /etc/containerd/certs.d/docker.io/hosts.toml',
      '* /etc/containerd/certs.d/quay.io/hosts.toml',
      '* /etc/containerd/certs.d/localhost:5001/hosts.toml',
    ]);
    expect(prefetch!.title).toBe('prefetch 2 images into the caches while the cluster is made');
    expect(prefetch!.op).toEqual({ type: 'prefetch', caches: { 'docker.io': 'http://127.0.0.1:5050', 'quay.io': 'http://127.0.0.1:5051' } });
    // kind's config sets containerd's config_path, so hosts.toml is read without a restart.
    expect(p.actions.find((a) => a.id === 'cluster')!.commands[0]).toContain('config_path = "/etc/containerd/certs.d"');
  });

  it('a cluster as meshup left it: nothing to run, connect or write', async () => {
    const spec = await withCache();
    const p = plan(planInput(spec, wired(spec), { only: new Set(['registries']) }));
    expect(ids(p)).toEqual(['= registries', '= registry-wiring']);
  });

  it('a stopped cache is started; a changed hosts.toml and a deleted ConfigMap are put back, each named', async () => {
    const spec = await withCache();
    const o = wired(spec);
    o.registries!.containers[0]!.running = false;
    o.registries!.nodes!['meshup-control-plane']!['quay.io'] = 'server = "https://quay.io"\n';
    o.registries!.hosting = null;
    const p = plan(planInput(spec, o, { only: new Set(['registries']) }));
    expect(ids(p)).toEqual(['~ registries', '~ registry-wiring']);
    const wire = p.actions.find((a) => a.id === 'registry-wiring')!;
    expect(wire.reasons).toEqual([
      'node meshup-control-plane: /etc/containerd/certs.d/quay.io/hosts.toml was changed',
      'configmap kube-public/local-registry-hosting is missing',
    ]);
    expect(wire.commands.join('\n')).toContain('docker exec --interactive meshup-control-plane cp /dev/stdin /etc/containerd/certs.d/quay.io/hosts.toml');
    expect(p.actions.find((a) => a.id === 'registries')!.commands).toEqual(['docker start meshup-cache-docker.io']);
  });

  it('a container of meshup’s made for other settings (another port, another upstream) is not reused as if it fitted', async () => {
    const spec = await withCache();
    const o = wired(spec);
    o.registries!.containers[2]!.hostPort = 5002;
    o.registries!.containers[0]!.remote = 'https://mirror.example';
    const p = plan(planInput(spec, o, { only: new Set(['registries']) }));
    expect(p.blockers.map(blockerText)).toEqual([
      "meshup's container meshup-cache-docker.io fetches from https://mirror.example, not https://registry-1.docker.io as asked. Fix: remove it to have it made again (meshup cache prune), or put the setting back",
      "meshup's container meshup-registry publishes on 5002, not 5001 as asked. Fix: remove it to have it made again (meshup cache prune --all, which also drops the images pushed to it), or put the setting back",
    ]);
  });

  it('the local registry may not take a cache’s port', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const cwd = mkdtempSync(join(tmpdir(), 'meshup-reg-'));
    try {
      writeFileSync(join(cwd, 'meshup.yaml'), 'localRegistry: { port: 5050 }\n');
      await expect(specFor({ provider: 'kind', localRegistry: undefined }, { cwd })).rejects.toThrow(/5050 is the port of meshup's docker\.io cache/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('a container under meshup’s name that meshup did not make is refused, never taken over', async () => {
    const spec = await withCache();
    const o = wired(spec);
    o.registries!.containers[2]!.ours = false;
    const p = plan(planInput(spec, o));
    expect(p.blockers.map(blockerText)).toEqual([
      "Docker container meshup-registry exists and is not meshup's: meshup would run its local registry under that name. Fix: remove or rename yours (docker rm -f meshup-registry), or turn it off (--no-local-registry)",
    ]);
    expect(p.blockers[0]!.kind).toBe('conflict');
  });

  it('--no-cache keeps the local registry; --no-local-registry keeps the caches', async () => {
    const noCache = plan(planInput(await withCache({ cache: false }), { ...emptyObserved({ state: 'absent' }), images }));
    expect(noCache.actions.find((a) => a.id === 'registries')!.title).toBe('run the local registry localhost:5001 (shared by every cluster, kept by down)');
    expect(ids(noCache)).toEqual(['+ registries', '+ registry-wiring']);
    const noLocal = plan(planInput(await withCache({ localRegistry: false }), { ...emptyObserved({ state: 'absent' }), images }));
    expect(noLocal.actions.find((a) => a.id === 'registries')!.title).toBe('run image caches for docker.io, quay.io (shared by every cluster, kept by down)');
  });

  it('minikube: Docker Hub’s mirror is set when the profile is made, and it gets no local registry', async () => {
    const spec = await specFor({ provider: 'minikube', profile: 'minimal', addons: '', cache: true });
    expect(spec.localRegistryPort).toBeUndefined();
    expect(providerFor('minikube').createCommands(spec)[0]).toContain('--registry-mirror=http://meshup-cache-docker.io:5000');
    const p = plan(planInput(spec, { ...emptyObserved({ state: 'absent' }), images }, { context: 'meshup' }));
    // Its nodes read a mirror for Docker Hub only: no cache for quay.io is run.
    expect(p.actions.find((a) => a.id === 'registry-wiring')!.title).toBe(
      "connect image caches for docker.io to Docker network meshup (the node's Docker Hub mirror is set when it is made)",
    );
    expect(p.actions.find((a) => a.id === 'prefetch')!.op).toEqual({ type: 'prefetch', caches: { 'docker.io': 'http://127.0.0.1:5050' } });
    await expect(specFor({ provider: 'minikube', profile: 'minimal', localRegistry: true })).rejects.toThrow(/cannot be pointed at one/);
    // Another driver: no mirror, and the plan says why.
    const vm = await specFor({ provider: 'minikube', profile: 'minimal', addons: '', cache: true, driver: 'kvm2' });
    expect(providerFor('minikube').createCommands(vm)[0]).not.toContain('--registry-mirror');
    expect(plan(planInput(vm, { ...emptyObserved({ state: 'absent' }), images })).notes).toContain(
      "no image cache: minikube's nodes with this driver cannot be pointed at one",
    );
  });

  it('caches of the user’s own: meshup runs and wires none, and prefetches through them', async () => {
    const spec = await specFor({ provider: 'kwok', profile: 'minimal', addons: '' });
    const own = { ...spec, imageCache: { upstreams: {}, external: { 'docker.io': 'http://127.0.0.1:6000' } } } as Spec;
    const p = plan(planInput(own, { ...emptyObserved({ state: 'absent' }), images }));
    expect(ids(p)).toEqual(['~ prefetch']);
    expect(p.actions.find((a) => a.id === 'prefetch')!.op).toEqual({ type: 'prefetch', caches: { 'docker.io': 'http://127.0.0.1:6000' } });
    expect(p.notes).toContain('your caches front docker.io: meshup prefetches through them and points no node at them');
  });
});
