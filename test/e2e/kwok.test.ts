// End to end on a simulated cluster: real etcd, kube-apiserver, controller-manager and scheduler
// (kwokctl's binary runtime, loopback only) and a real istioctl. Binaries come from
// test/cluster/build. Every address contacted is 127.0.0.1; the cluster is always deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESHUP, ROOT } from '../helpers/sealed.js';

const bin = (await execa('bash', [join(ROOT, 'test/cluster/build'), '--print-bin'])).stdout.trim();
const dir = mkdtempSync(join(tmpdir(), 'meshup-e2e-'));
const name = `e2e${process.pid}`;
const context = `kwok-${name}`;
const env: Record<string, string> = {
  PATH: `${bin}:/usr/bin:/bin`,
  HOME: dir,
  KUBECONFIG: join(dir, 'kubeconfig'),
  KWOK_WORKDIR: join(dir, 'kwok'),
  MESHUP_KWOK_BIN_DIR: bin,
  XDG_CACHE_HOME: join(dir, 'cache'),
  XDG_STATE_HOME: join(dir, 'state'),
  CI: 'true',
  NO_COLOR: '1',
};

const meshup = (args: string[]) => execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', name], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[]) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false })).stdout;
const getJson = async <T>(args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;

interface Deployment {
  metadata: { name: string };
  status: { readyReplicas?: number };
}

beforeAll(() => {
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
});

afterAll(async () => {
  // Always remove the cluster, whatever happened above.
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  rmSync(dir, { recursive: true, force: true });
});

describe('meshup on a simulated cluster', () => {
  it('up --profile demo installs Istio with the real istioctl and labels the injection namespaces', async () => {
    const r = await meshup(['up', '--profile', 'demo', '--addons', '', '--namespaces', 'default,shop', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('injection  default, shop');
    const deps = await getJson<{ items: Deployment[] }>(['get', 'deployments', '-n', 'istio-system']);
    const ready = Object.fromEntries(deps.items.map((d) => [d.metadata.name, d.status.readyReplicas ?? 0]));
    expect(ready).toMatchObject({ istiod: 1, 'istio-ingressgateway': 1, 'istio-egressgateway': 1 });
    const svc = await getJson<{ spec: { ports: { name: string; nodePort?: number }[] } }>(['get', 'service', 'istio-ingressgateway', '-n', 'istio-system']);
    expect(svc.spec.ports.find((p) => p.name === 'http2')?.nodePort).toBe(30080);
    const shop = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', 'shop']);
    expect(shop.metadata.labels).toMatchObject({ 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' });
  });

  it('a second up makes no changing call', async () => {
    const r = await meshup(['up', '--profile', 'demo', '--addons', '', '--namespaces', 'default,shop', '--yes', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; commands: unknown[] };
    expect(doc.ok).toBe(true);
    expect(doc.commands).toEqual([]);
  });

  it('removes only the labels it set when a namespace leaves the config', async () => {
    await kubectl(['create', 'namespace', 'mine']);
    await kubectl(['label', 'namespace', 'mine', 'istio-injection=enabled']);
    const r = await meshup(['up', '--profile', 'demo', '--addons', '', '--namespaces', 'default', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const shop = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', 'shop']);
    expect(shop.metadata.labels['istio-injection']).toBeUndefined();
    const mine = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', 'mine']);
    expect(mine.metadata.labels['istio-injection']).toBe('enabled');
  });

  it('down --keep-cluster removes the mesh but keeps CRDs, and a second one is a no-op', async () => {
    const r = await meshup(['down', '--keep-cluster', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const ns = await getJson<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>(['get', 'namespaces']);
    // Namespace deletion finishes asynchronously; it must at least be terminating.
    const istio = ns.items.find((n) => n.metadata.name === 'istio-system') as { status?: { phase?: string } } | undefined;
    expect(istio === undefined || istio.status?.phase === 'Terminating').toBe(true);
    expect(ns.items.find((n) => n.metadata.name === 'default')?.metadata.labels?.['istio-injection']).toBeUndefined();
    const hooks = await getJson<{ items: { metadata: { name: string } }[] }>(['get', 'validatingwebhookconfigurations']);
    expect(hooks.items.filter((h) => /^istio/.test(h.metadata.name))).toEqual([]);
    const crds = await getJson<{ items: { metadata: { name: string } }[] }>(['get', 'crds']);
    expect(crds.items.some((c) => c.metadata.name.endsWith('.istio.io'))).toBe(true);
  });

  it('down deletes the cluster it created', async () => {
    const r = await meshup(['down', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const list = await execa('kwokctl', ['get', 'clusters'], { env, extendEnv: false });
    expect(list.stdout.split('\n')).not.toContain(name);
  });
});
