// Ambient mode end to end on a simulated cluster with the real istioctl: a sidecar mesh switched to
// ambient (the plan names the mode switch first), Istio's real ambient components (istio-cni and
// ztunnel DaemonSets) Ready on the simulated node, enrolment labels, the real Gateway API CRDs from
// a 127.0.0.1 mirror, a waypoint, a re-run with no changing call, and down --keep-cluster leaving
// nothing but CRDs. Every address contacted is 127.0.0.1; the cluster is always deleted.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayApiMirror, serveRealGatewayApi } from '../helpers/gateway-api.mjs';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-ambient-');
const name = `amb${process.pid}`;
const context = `kwok-${name}`;

const meshup = (args: string[]) =>
  execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', name], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[]) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false })).stdout;
const getJson = async <T>(args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
type Labelled = { metadata: { name: string; labels?: Record<string, string> } };
const labelsOf = async (ns: string) => (await getJson<Labelled>(['get', 'namespace', ns])).metadata.labels ?? {};

let server: ReleaseServer;
let gatewayApi: GatewayApiMirror | undefined;

beforeAll(async () => {
  const release = await buildRelease(join(dir, 'releases'), '1.31.1', { istioctl: join(bin, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  env.MESHUP_ISTIO_MIRROR = server.url;
  gatewayApi = (await serveRealGatewayApi()).mirror;
  env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
});

afterAll(async () => {
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  await server?.close();
  await gatewayApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ambient mode on a simulated cluster', () => {
  it('a sidecar mesh first: plan --profile ambient names the mode switch of each namespace and changes nothing', async () => {
    const up = await meshup(['up', '--profile', 'minimal', '--addons', '', '--namespaces', 'default,shop', '--yes']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(await labelsOf('shop')).toMatchObject({ 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' });
    const plan = await meshup(['plan', '--profile', 'ambient', '--addons', '', '--namespaces', 'default,shop']);
    expect(plan.exitCode, `${plan.stdout}\n${plan.stderr}`).toBe(10);
    expect(plan.stdout).toContain('~ switch shop from sidecar injection to ambient mode');
    expect(plan.stdout).toContain('~ switch default from sidecar injection to ambient mode');
    expect(plan.stdout).toContain('~ reconfigure Istio 1.31.1');
    expect(await labelsOf('shop')).toMatchObject({ 'istio-injection': 'enabled' });
  });

  it('up --profile ambient converges: istio-cni and ztunnel Ready on the simulated node, namespaces enrolled, Gateway API CRDs installed', async () => {
    const r = await meshup(['up', '--profile', 'ambient', '--addons', '', '--namespaces', 'default,shop', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const ds = await getJson<{ items: { metadata: { name: string }; status: { numberReady?: number; desiredNumberScheduled?: number } }[] }>([
      'get',
      'daemonsets',
      '-n',
      'istio-system',
    ]);
    const ready = Object.fromEntries(ds.items.map((d) => [d.metadata.name, `${d.status.numberReady ?? 0}/${d.status.desiredNumberScheduled ?? 0}`]));
    expect(ready).toEqual({ 'istio-cni-node': '1/1', ztunnel: '1/1' });
    // Istio's ambient profile has no classic ingress gateway.
    expect(await kubectl(['get', 'deployment', 'istio-ingressgateway', '-n', 'istio-system', '--ignore-not-found', '-o', 'name'])).toBe('');
    for (const ns of ['default', 'shop'])
      expect(await labelsOf(ns)).toEqual({ 'istio.io/dataplane-mode': 'ambient', 'meshup.dev/injection': 'true', 'kubernetes.io/metadata.name': ns });
    const crds = await getJson<{ items: Labelled[] }>(['get', 'crds', '-l', 'meshup.dev/gateway-api']);
    expect(crds.items.map((c) => c.metadata.name)).toContain('gateways.gateway.networking.k8s.io');
    expect(new Set(crds.items.map((c) => c.metadata.labels?.['meshup.dev/gateway-api']))).toEqual(new Set(['v1.6.0']));
  });

  it('a re-run makes no changing call, and plan has nothing to do', async () => {
    const r = await meshup(['up', '--yes', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { commands: unknown[] }).commands).toEqual([]);
    expect((await meshup(['plan'])).exitCode).toBe(0);
  });

  it('a waypoint for shop: applied as a Gateway of class istio-waypoint, the namespace routed through it, listed', async () => {
    const r = await meshup(['waypoint', 'apply', '-n', 'shop']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const gw = await getJson<Labelled & { spec: { gatewayClassName: string } }>(['get', 'gateways.gateway.networking.k8s.io', 'waypoint', '-n', 'shop']);
    expect(gw.spec.gatewayClassName).toBe('istio-waypoint');
    expect(await labelsOf('shop')).toMatchObject({ 'istio.io/use-waypoint': 'waypoint' });
    const list = JSON.parse((await meshup(['waypoint', 'list', '--json'])).stdout) as { namespace: string; name: string; usedBy: string[] }[];
    expect(list).toEqual([expect.objectContaining({ namespace: 'shop', name: 'waypoint', usedBy: ['shop'] })]);
  });

  it('down --keep-cluster removes the waypoint and the labels before the control plane, leaving only CRDs', async () => {
    const r = await meshup(['down', '--keep-cluster', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await kubectl(['get', 'gateways.gateway.networking.k8s.io', '-A', '-o', 'name'])).toBe('');
    for (const ns of ['default', 'shop']) expect(await labelsOf(ns)).toEqual({ 'kubernetes.io/metadata.name': ns });
    const istio = await getJson<{ items: { metadata: { name: string }; status?: { phase?: string } }[] }>(['get', 'namespaces']);
    const system = istio.items.find((n) => n.metadata.name === 'istio-system');
    expect(system === undefined || system.status?.phase === 'Terminating').toBe(true);
    const hooks = await getJson<{ items: { metadata: { name: string } }[] }>(['get', 'mutatingwebhookconfigurations']);
    expect(hooks.items.filter((h) => /istio/.test(h.metadata.name))).toEqual([]);
  });
});
