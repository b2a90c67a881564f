// The whole of `meshup up` on a cluster the real kind v0.33.0 created: the Docker stand-in
// forwards the node's published API port to a real API server (a kwok cluster on 127.0.0.1,
// test/realtools/api.ts), kind exports the kubeconfig that reaches it, and the real istioctl
// installs Istio from a release served on 127.0.0.1.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKindPortBindings } from '../../src/tools/kind.js';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { simBinDir } from '../helpers/sim-env.mjs';
import { type Api, apiBehindNode } from './api.js';
import { publishFlags, type World, world } from './standin.js';

let w: World;
let api: Api;
let server: ReleaseServer;

beforeAll(async () => {
  w = world();
  api = await apiBehindNode(w, 'rt');
  const release = await buildRelease(join(w.dir, 'releases'), '1.31.1', { istioctl: join(simBinDir(), 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  w.env.MESHUP_ISTIO_MIRROR = server.url;
}, 240_000);

afterAll(async () => {
  await server?.close();
  await api?.stop();
  w?.cleanup();
});

describe('meshup up on a cluster the real kind created', () => {
  it('completes: kind creates the node, meshup reads it through the kubeconfig kind wrote, istioctl installs', async () => {
    const r = await w.meshup(['up', '--provider', 'kind', '--name', 'rt', '--profile', 'demo', '--addons', '', '--yes', '--timeout', '3m']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toContain('Create kind cluster rt');
    expect(r.stdout).toContain('Mesh ready on kind cluster "rt" (context kind-rt)');
    // The URL meshup prints is what the node container really publishes.
    expect(r.stdout).toMatch(/gateway {4}http:\/\/127\.0\.0\.1:8080/);
    const bindings = await w.tool('docker', ['inspect', '--format', '{{json .HostConfig.PortBindings}}', 'rt-control-plane']);
    expect(parseKindPortBindings(bindings.stdout)).toEqual([
      { containerPort: 30080, hostPort: 8080, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30043, hostPort: 8443, listenAddress: '127.0.0.1', protocol: 'TCP' },
    ]);
    // kind's own publishing (its --publish=... form); the registry containers publish theirs apart.
    expect(publishFlags(w.calls()).filter((f) => f.startsWith('--publish='))).toHaveLength(3);
    const nodes = await w.tool('kubectl', ['--context', 'kind-rt', 'get', 'nodes', '-o', 'name']);
    expect(nodes.stdout).toBe('node/rt-control-plane');
    const svc = await w.tool('kubectl', [
      '--context',
      'kind-rt',
      'get',
      'service',
      'istio-ingressgateway',
      '-n',
      'istio-system',
      '-o',
      'jsonpath={.spec.ports[?(@.name=="http2")].nodePort}',
    ]);
    expect(svc.stdout).toBe('30080');
  });

  it("the node's containerd reads the caches and the local registry, which run on kind's network, and the registry is announced", async () => {
    const node = w.containers()['rt-control-plane'] as unknown as { files: Record<string, string> };
    // The release was not rendered here before: the caches are those of the registries Istio's
    // images and its addons come from.
    expect(
      Object.keys(node.files)
        .filter((f) => f.startsWith('/etc/containerd/certs.d/'))
        .sort(),
    ).toEqual([
      '/etc/containerd/certs.d/docker.io/hosts.toml',
      '/etc/containerd/certs.d/ghcr.io/hosts.toml',
      '/etc/containerd/certs.d/localhost:5001/hosts.toml',
      '/etc/containerd/certs.d/quay.io/hosts.toml',
    ]);
    expect(node.files['/etc/containerd/certs.d/docker.io/hosts.toml']).toContain('[host."http://meshup-cache-docker.io:5000"]');
    // kind wrote the config_path meshup asked for into containerd's config.
    expect(node.files['/etc/containerd/config.toml']).toContain('config_path = "/etc/containerd/certs.d"');
    const inspect = await w.tool('docker', ['network', 'inspect', 'kind', '--format', '{{range .Containers}}{{.Name}} {{end}}']);
    expect(inspect.stdout.trim().split(' ').sort()).toEqual(expect.arrayContaining(['meshup-cache-docker.io', 'meshup-registry', 'rt-control-plane']));
    const hosting = await w.tool('kubectl', [
      '--context',
      'kind-rt',
      'get',
      'configmap',
      'local-registry-hosting',
      '-n',
      'kube-public',
      '-o',
      'jsonpath={.data.localRegistryHosting\\.v1}',
    ]);
    expect(hosting.stdout).toContain('host: "localhost:5001"');
  });

  it('a second up reuses the cluster and changes nothing', async () => {
    const r = await w.meshup(['up', '--provider', 'kind', '--name', 'rt', '--profile', 'demo', '--addons', '', '--yes', '--timeout', '3m', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; commands: unknown[] };
    expect(doc.ok).toBe(true);
    expect(doc.commands).toEqual([]);
    // The node, and the registry containers of the first up: none run again.
    expect(
      w
        .calls()
        .filter((c) => c.args[0] === 'run' && !c.args.includes('--rm'))
        .map((c) => c.args[c.args.indexOf('--name') + 1] ?? c.args.find((a) => a.startsWith('--name='))?.slice(7))
        .sort(),
    ).toEqual(['meshup-cache-docker.io', 'meshup-cache-ghcr.io', 'meshup-cache-quay.io', 'meshup-registry', 'rt-control-plane']);
  });

  it('a deleted kube context is written back by up (kind export kubeconfig), and the mesh is verified', async () => {
    await w.tool('kubectl', ['config', 'delete-context', 'kind-rt']);
    const plan = await w.meshup(['plan', '--provider', 'kind', '--name', 'rt']);
    expect(plan.stdout).toContain('~ restore the kube context kind-rt of kind cluster rt');
    expect(plan.stdout).toContain('$ kind export kubeconfig --name rt');
    const r = await w.meshup(['up', '--provider', 'kind', '--name', 'rt', '--yes', '--timeout', '1m']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('The kube context of kind cluster rt is missing; restoring it');
    expect((await w.tool('kubectl', ['config', 'get-contexts', '-o', 'name'])).stdout.split('\n')).toContain('kind-rt');
    expect((await w.meshup(['plan', '--provider', 'kind', '--name', 'rt'])).exitCode).toBe(0);
  });

  it('the gateway URL is what the node publishes, and the plan says host ports cannot change on this cluster', async () => {
    const { writeFileSync, rmSync } = await import('node:fs');
    const cfg = join(w.dir, 'work', 'meshup.yaml');
    writeFileSync(cfg, 'gateway: { hostHttpPort: 9080, hostHttpsPort: 9443 }\n');
    try {
      const plan = await w.meshup(['plan', '--provider', 'kind', '--name', 'rt']);
      expect(plan.stdout).toContain('the kind cluster maps host ports 8080→30080, 8443→30043, not 9080→30080, 9443→30043 as asked');
      const ing = await w.meshup(['ingress', '--provider', 'kind', '--name', 'rt']);
      expect(ing.exitCode, ing.stderr).toBe(0);
      expect(ing.stdout).toContain('http://127.0.0.1:8080');
    } finally {
      rmSync(cfg, { force: true });
    }
  });

  it('down deletes the cluster it created', async () => {
    const r = await w.meshup(['down', '--provider', 'kind', '--name', 'rt', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    // The registry containers stay for the next cluster.
    expect(Object.keys(w.containers()).sort()).toEqual(['meshup-cache-docker.io', 'meshup-cache-ghcr.io', 'meshup-cache-quay.io', 'meshup-registry']);
    expect((await w.tool('kubectl', ['config', 'get-contexts', '-o', 'name'])).stdout).not.toContain('kind-rt');
  });
});
