// meshup with the real kind v0.33.0 against the Docker stand-in: what kind does with the config
// and ports meshup gives it, seen as the docker calls kind makes. No API server answers at the
// published 6443 port here, so `up` stops at the node wait; every test bounds it with --timeout.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/config/spec.js';
import { Runner } from '../../src/exec/runner.js';
import { providerFor } from '../../src/providers/index.js';
import { kindConfigYaml, kindPortMappingProblems } from '../../src/tools/kind.js';
import { VERSIONS } from '../helpers/versions.js';
import { publishFlags, type World, world } from './standin.js';

let w: World;
beforeEach(() => {
  w = world();
});
afterEach(() => w.cleanup());

// --timeout bounds kind's create too: long enough for it, short for the node wait that follows.
// The registry containers are off but where a test is about them: these count kind's own calls.
const up = (extra: string[] = []) =>
  w.meshup(['up', '--provider', 'kind', '--name', 'rt', '--addons', '', '--yes', '--timeout', '15s', '--no-cache', '--no-local-registry', ...extra]);

describe('meshup up with the real kind', () => {
  it("the API server address another cluster reaches is the node's on kind's network, not the kubeconfig's 127.0.0.1 (for a mesh of two)", async () => {
    for (const name of ['east', 'west']) {
      const r = await w.tool('kind', ['create', 'cluster', '--name', name, '--config', '-'], { input: kindConfigYaml({ name, portMappings: [] }) });
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const runner = new Runner({ env: w.env, log: () => {} });
    const spec = (name: string) => ({ clusterName: name }) as Spec;
    const addresses = await Promise.all(['east', 'west'].map((n) => providerFor('kind').peerApiServer!(runner, spec(n))));
    for (const [i, name] of ['east', 'west'].entries()) {
      const ip = (
        await w.tool('docker', ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', `${name}-control-plane`])
      ).stdout.trim();
      expect(addresses[i]).toBe(`https://${ip}:6443`);
      const kubeconfig = (await w.tool('kubectl', ['config', 'view', '-o', `jsonpath={.clusters[?(@.name=="kind-${name}")].cluster.server}`])).stdout;
      expect(kubeconfig).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(addresses[0]).not.toBe(addresses[1]);
  });

  it('the caches and the local registry start once and are reused by a second cluster; down leaves them, cache prune removes them', async () => {
    const first = await w.meshup(['up', '--provider', 'kind', '--name', 'rt', '--addons', '', '--yes', '--timeout', '15s']);
    const names = () =>
      w
        .calls()
        .filter((c) => c.args[0] === 'run')
        .map((c) => c.args[c.args.indexOf('--name') + 1] ?? c.args.find((a) => a.startsWith('--name='))?.slice(7));
    expect(names().sort(), `${first.stdout}\n${first.stderr}`).toEqual([
      'meshup-cache-docker.io',
      'meshup-cache-ghcr.io',
      'meshup-cache-quay.io',
      'meshup-registry',
      'rt-control-plane',
    ]);
    // kind's config asks containerd to read hosts.toml, so mirrors are set without a restart.
    const kindConfig = w.calls().find((c) => c.args[0] === 'exec' && c.args.includes('cp') && (c.stdin ?? '').includes('config_path'));
    expect(kindConfig?.stdin ?? '').toContain('config_path = "/etc/containerd/certs.d"');
    const regs = Object.values(w.containers())
      .filter((c) => c.labels['dev.meshup.registry'])
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(regs.map((c) => [c.name, c.state, c.publish.map((p) => `${p.hostIp}:${p.hostPort}`)])).toEqual([
      ['meshup-cache-docker.io', 'running', ['127.0.0.1:5050']],
      ['meshup-cache-ghcr.io', 'running', ['127.0.0.1:5052']],
      ['meshup-cache-quay.io', 'running', ['127.0.0.1:5051']],
      ['meshup-registry', 'running', ['127.0.0.1:5001']],
    ]);
    await w.meshup(['up', '--provider', 'kind', '--name', 'rt2', '--addons', '', '--yes', '--timeout', '15s']);
    expect(names().filter((n) => n?.startsWith('meshup-'))).toHaveLength(4);
    expect(names()).toContain('rt2-control-plane');
    for (const name of ['rt', 'rt2']) expect((await w.meshup(['down', '--provider', 'kind', '--name', name, '--yes'])).exitCode).toBe(0);
    expect(Object.keys(w.containers()).sort()).toEqual(['meshup-cache-docker.io', 'meshup-cache-ghcr.io', 'meshup-cache-quay.io', 'meshup-registry']);
    const prune = await w.meshup(['cache', 'prune', '--all', '--yes']);
    expect(prune.exitCode, prune.stderr).toBe(0);
    expect(w.containers()).toEqual({});
    const volumes = await w.tool('docker', ['volume', 'ls', '--format', '{{.Name}}']);
    expect(volumes.stdout.split('\n').filter((v) => v.startsWith('meshup-'))).toEqual([]);
    expect(w.calls().filter((c) => c.unexpected)).toEqual([]);
  });

  it('kind accepts the generated config and publishes the gateway nodePorts on loopback', async () => {
    const r = await up();
    const create = w.calls().filter((c) => c.args[0] === 'run');
    expect(create, `${r.stdout}\n${r.stderr}`).toHaveLength(1);
    expect(publishFlags(w.calls())).toEqual([
      '--publish=127.0.0.1:8080:30080/TCP',
      '--publish=127.0.0.1:8443:30043/TCP',
      expect.stringMatching(/^--publish=127\.0\.0\.1:\d+:6443\/TCP$/),
    ]);
    // kind ran its whole create (kubeadm, CNI, storage, kubeconfig) and wrote the context.
    expect(w.calls().some((c) => c.args.includes('kubeadm'))).toBe(true);
    const ctx = await w.tool('kubectl', ['config', 'get-contexts', '-o', 'name']);
    expect(ctx.stdout.split('\n')).toContain('kind-rt');
    expect(w.calls().filter((c) => c.unexpected)).toEqual([]);
    expect(Object.values(w.containers()).map((c) => [c.name, c.state, c.labels['io.x-k8s.kind.cluster']])).toEqual([['rt-control-plane', 'running', 'rt']]);
  });

  it("the node container runs the catalog's pinned image in Istio 1.31's range, not kind's default 1.37", async () => {
    await up();
    const pinned = VERSIONS.kind.find((k) => k.version === 'v0.33.0')!.images.find((i) => i.startsWith('kindest/node:v1.36.'))!;
    expect(pinned).toMatch(/@sha256:[0-9a-f]{64}$/);
    const run = w.calls().find((c) => c.args[0] === 'run')!;
    // kind hands docker the image exactly as given: tag and digest.
    expect(run.args).toContain(pinned);
    expect(run.args.some((a) => a.startsWith('kindest/node:v1.37'))).toBe(false);
  });

  it('host ports from meshup.yaml flow through to docker', async () => {
    writeFileSync(join(w.dir, 'work', 'meshup.yaml'), 'gateway: { hostHttpPort: 9080, hostHttpsPort: 9443 }\n');
    await up();
    expect(publishFlags(w.calls()).slice(0, 2)).toEqual(['--publish=127.0.0.1:9080:30080/TCP', '--publish=127.0.0.1:9443:30043/TCP']);
  });

  it('a profile without the classic ingress gateway still publishes the gateway ports (a Gateway API gateway pins the same nodePorts)', async () => {
    await up(['--profile', 'minimal']);
    expect(publishFlags(w.calls())).toEqual([
      '--publish=127.0.0.1:8080:30080/TCP',
      '--publish=127.0.0.1:8443:30043/TCP',
      expect.stringMatching(/^--publish=127\.0\.0\.1:\d+:6443\/TCP$/),
    ]);
  });

  it('down deletes the cluster meshup created: container, context and all', async () => {
    await up();
    expect(Object.keys(w.containers())).toEqual(['rt-control-plane']);
    const r = await w.meshup(['down', '--provider', 'kind', '--name', 'rt', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('Deleted kind cluster "rt"');
    expect(w.containers()).toEqual({});
    expect(w.calls().some((c) => c.args[0] === 'rm' && c.args.includes('rt-control-plane'))).toBe(true);
    const ctx = await w.tool('kubectl', ['config', 'get-contexts', '-o', 'name']);
    expect(ctx.stdout).not.toContain('kind-rt');
    expect((await w.tool('kind', ['get', 'clusters'])).stderr).toContain('No kind clusters found.');
  });
});

describe('the real kind on its own', () => {
  it('meshup refuses equal host ports itself (exit 2) before kind or docker is asked anything', async () => {
    writeFileSync(join(w.dir, 'work', 'meshup.yaml'), 'gateway: { hostHttpPort: 8080, hostHttpsPort: 8080 }\n');
    const r = await up();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('gateway.hostHttpPort and gateway.hostHttpsPort are both 8080');
    expect(w.calls()).toEqual([]);
  });

  it('rejects equal host ports before any container exists, naming the clash kindPortMappingProblems finds', async () => {
    const mappings = [
      { containerPort: 30080, hostPort: 8080 },
      { containerPort: 30443, hostPort: 8080 },
    ];
    const r = await w.tool('kind', ['create', 'cluster', '--name', 'rt', '--config', '-'], { input: kindConfigYaml({ name: 'rt', portMappings: mappings }) });
    expect(r.exitCode).toBe(1);
    const problems = kindPortMappingProblems(mappings);
    expect(problems).toHaveLength(1);
    expect(r.stderr).toContain(problems[0]);
    expect(w.calls().filter((c) => c.args[0] === 'run')).toEqual([]);
    expect(w.containers()).toEqual({});
  });

  it('a create that fails on its own removes its node container', async () => {
    w.faults({ kubeadmFails: 'timed out waiting for the condition' });
    const r = await w.tool('kind', ['create', 'cluster', '--name', 'rt', '--config', '-'], { input: kindConfigYaml({ name: 'rt', portMappings: [] }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('failed to init node with kubeadm');
    expect(w.calls().filter((c) => c.args[0] === 'run')).toHaveLength(1);
    expect(w.containers()).toEqual({});
  });
});
