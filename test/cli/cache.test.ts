// The caches and the local registry through meshup's commands, against the fake docker and kind:
// what up runs and writes into the nodes, that a second up changes nothing, that what drifted is
// put back, that down leaves them and `cache prune` removes them. No registry answers here, so the
// prefetch says it could not fill them (test/e2e/image-cache.test.ts fills real ones). The fake
// istioctl renders no images, so once the release has been rendered no cache is wanted: the
// first up, which has not rendered it yet, runs those of the registries Istio's images come from.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseServerFor } from '../helpers/release.js';
import { mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
const server = releaseServerFor({ '1.31.1': {} });
beforeEach(() => {
  w = sealed({ tools: ['docker', 'kind', 'kubectl'] });
  w.env.MESHUP_ISTIO_MIRROR = server().url;
  w.env.MESHUP_CACHE = '1';
});
afterEach(() => w.cleanup());

const up = (extra: string[] = []) => w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--addons', '', '--yes', ...extra]);
const containers = () => (w.readState().docker?.containers ?? {}) as Record<string, { state: string; networks: string[]; args: string[] }>;
const nodeFiles = () => (w.readState().kind?.clusters?.meshup?.files ?? {}) as Record<string, string>;
const dockerRuns = () => w.calls().filter((c) => c.tool === 'docker' && c.args[0] === 'run');

describe('the caches and the local registry', () => {
  it('up runs them once, on kind’s network, and points the node’s containerd at them; a second up changes nothing', async () => {
    const r = await up(['--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(Object.keys(containers()).sort()).toEqual(['meshup-cache-docker.io', 'meshup-cache-ghcr.io', 'meshup-cache-quay.io', 'meshup-registry']);
    for (const c of Object.values(containers())) {
      expect(c.state).toBe('running');
      expect(c.networks).toContain('kind');
      expect(c.args).toContain('registry:2');
    }
    expect(containers()['meshup-cache-quay.io']!.args).toContain('REGISTRY_PROXY_REMOTEURL=https://quay.io');
    expect(Object.keys(nodeFiles()).sort()).toEqual([
      '/etc/containerd/certs.d/docker.io/hosts.toml',
      '/etc/containerd/certs.d/ghcr.io/hosts.toml',
      '/etc/containerd/certs.d/localhost:5001/hosts.toml',
      '/etc/containerd/certs.d/quay.io/hosts.toml',
    ]);
    expect(nodeFiles()['/etc/containerd/certs.d/docker.io/hosts.toml']).toContain('[host."http://meshup-cache-docker.io:5000"]');
    // kind was told to read them (containerd's config_path).
    const create = w.calls().find((c) => c.tool === 'kind' && c.args[0] === 'create')!;
    expect(create.stdin).toContain('config_path = "/etc/containerd/certs.d"');
    // The local registry is announced as KEP-1755 says.
    const announce = w.calls().find((c) => c.tool === 'kubectl' && (c.stdin ?? '').includes('local-registry-hosting'));
    expect(announce?.stdin).toContain('host: \\"localhost:5001\\"');
    // Nothing answers at the caches here: the prefetch says so, and up still succeeds.
    const steps = (JSON.parse(r.stdout) as { steps: { title: string; status: string; note?: string }[] }).steps;
    const prefetch = steps.find((s) => s.title.startsWith('Prefetch'));
    expect(prefetch?.note).toMatch(/^not filled \(.*did not answer within 5s\): the nodes pull through the caches as they go$/);

    const before = w.calls().length;
    const again = await up();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });

  it('a deleted hosts.toml and a stopped registry are named by plan and put back by up', async () => {
    expect((await up()).exitCode).toBe(0);
    const s = w.readState();
    delete s.kind.clusters.meshup.files['/etc/containerd/certs.d/localhost:5001/hosts.toml'];
    s.docker.containers['meshup-registry'].state = 'exited';
    w.state(s);
    const p = await w.run(['plan']);
    expect(p.exitCode, p.stderr).toBe(10);
    expect(p.stdout).toContain('  ~ start the local registry localhost:5001 (shared by every cluster, kept by down)');
    expect(p.stdout).toContain('      node meshup-control-plane: /etc/containerd/certs.d/localhost:5001/hosts.toml is missing');
    expect((await up()).exitCode).toBe(0);
    expect(containers()['meshup-registry']!.state).toBe('running');
    expect(nodeFiles()['/etc/containerd/certs.d/localhost:5001/hosts.toml']).toContain('meshup-registry:5000');
    expect((await w.run(['plan'])).exitCode).toBe(0);
  });

  it('down leaves them for the next cluster, which reuses them; cache prune removes the caches, --all the local registry too', async () => {
    const first = await up();
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain('  registry   localhost:5001   (docker push localhost:5001/app, then --image localhost:5001/app)');
    const down = await w.run(['down', '--yes']);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toContain(
      'Kept for the next cluster: meshup-cache-docker.io, meshup-cache-ghcr.io, meshup-cache-quay.io, meshup-registry (meshup cache prune removes the caches; --all the local registry too).',
    );
    expect(Object.keys(containers())).toHaveLength(4);
    const runs = dockerRuns().length;
    expect((await up(['--name', 'second'])).exitCode).toBe(0);
    expect(dockerRuns()).toHaveLength(runs);

    const status = await w.run(['cache', 'status', '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    const doc = JSON.parse(status.stdout) as { registries: { name: string; serves: string; running: boolean; bytes?: number }[] };
    expect(doc.registries.map((r) => [r.name, r.serves, r.running])).toEqual([
      ['meshup-cache-docker.io', 'docker.io', true],
      ['meshup-cache-ghcr.io', 'ghcr.io', true],
      ['meshup-cache-quay.io', 'quay.io', true],
      ['meshup-registry', 'local', true],
    ]);
    expect(doc.registries[0]!.bytes).toBe(1234 * 1024);

    // Without a terminal and without --yes: refused, nothing removed.
    const refused = await w.run(['cache', 'prune']);
    expect(refused.exitCode).toBe(2);
    expect(Object.keys(containers())).toHaveLength(4);
    const dry = await w.run(['cache', 'prune', '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('Dry run: would remove meshup-cache-docker.io, meshup-cache-ghcr.io, meshup-cache-quay.io and their volumes.');
    expect(Object.keys(containers())).toHaveLength(4);
    expect((await w.run(['cache', 'prune', '--yes'])).exitCode).toBe(0);
    expect(Object.keys(containers())).toEqual(['meshup-registry']);
    expect(w.readState().docker.volumes).toEqual(['meshup-registry']);
    expect((await w.run(['cache', 'prune', '--all', '--yes'])).exitCode).toBe(0);
    expect(containers()).toEqual({});
    expect(w.readState().docker.volumes).toEqual([]);
  });

  it('a container of meshup’s name that is not meshup’s stops up before any change (exit 4)', async () => {
    w.state({ docker: { containers: { 'meshup-registry': { state: 'running', labels: {}, networks: ['bridge'], args: [] } } } });
    const r = await up();
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain("Docker container meshup-registry exists and is not meshup's");
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('doctor says what the caches store and the Docker Hub quota left, asked of the registry the caches pull from', async () => {
    const { createServer } = await import('node:http');
    const hub = createServer((req, res) => {
      if (req.url === '/v2/') res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="hub"` }).end();
      else if (req.url?.startsWith('/token')) res.writeHead(200).end('{"token":"t"}');
      else res.writeHead(200, { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '7;w=21600' }).end();
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', () => r()));
    try {
      const { writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      writeFileSync(join(w.dir, 'work', 'meshup.yaml'), `cache:\n  upstreams:\n    docker.io: http://127.0.0.1:${(hub.address() as { port: number }).port}\n`);
      expect((await up()).exitCode).toBe(0);
      const r = await w.run(['doctor', '--provider', 'kind', '--json']);
      const findings = (JSON.parse(r.stdout) as { findings: { check: string; status: string; message: string; fix?: string }[] }).findings;
      expect(findings.find((f) => f.check === 'image cache')).toMatchObject({
        status: 'ok',
        message: '3 caches (docker.io, ghcr.io, quay.io), 3.6 MiB stored',
      });
      // Few pulls left: a warning, with what to do.
      expect(findings.find((f) => f.check === 'Docker Hub quota')).toMatchObject({
        status: 'warn',
        message: '7 of 100 pulls left per 6 h for this address (no Docker Hub login)',
      });
      // The cache pulls from where the config says.
      expect(containers()['meshup-cache-docker.io']!.args).toContain(`REGISTRY_PROXY_REMOTEURL=http://127.0.0.1:${(hub.address() as { port: number }).port}`);
    } finally {
      await new Promise<void>((r) => hub.close(() => r()));
    }
  });

  it('a host port a registry would publish on that is taken stops up before any change, with the ways out (exit 3)', async () => {
    const { createServer } = await import('node:net');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    // A port of the test's own (the other tests' worlds use 5001 meanwhile), named in meshup.yaml.
    const blocker = createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    writeFileSync(join(w.dir, 'work', 'meshup.yaml'), `localRegistry: { port: ${port} }\n`);
    try {
      const r = await up(['--no-cache']);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain(`Host port ${port} is in use, where meshup-registry would publish`);
      expect(r.stderr).toContain('localRegistry: { port: 5002 } in meshup.yaml (or --no-local-registry)');
      expect(mutatingCalls(w.calls())).toEqual([]);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('--no-cache and --no-local-registry run nothing of the kind', async () => {
    expect((await up(['--no-cache', '--no-local-registry'])).exitCode).toBe(0);
    expect(containers()).toEqual({});
    expect(nodeFiles()).toEqual({});
  });
});
