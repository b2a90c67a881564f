// End to end with Istio's real release content: a release assembled at run time from the pinned
// Istio module (its samples/addons, the test istioctl built from it), downloaded by meshup from a
// 127.0.0.1 mirror paced to 20 MB/s. Checks that up installs the four real addons and that the
// objects the drift tests and the benchmark delete exist on a converged cluster.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type GatewayApiMirror, serveRealGatewayApi } from '../helpers/gateway-api.mjs';
import { DRIFT_OBJECTS, driftRef, REAL_ADDONS, realReleaseServerFor } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-real-');
const name = `real${process.pid}`;
const context = `kwok-${name}`;
const served = realReleaseServerFor('1.31.1', { istioctl: join(bin, 'istioctl'), rateBytesPerSec: 20e6 });

const meshup = (args: string[]) =>
  execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', name], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[]) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false })).stdout;

let gatewayApi: GatewayApiMirror | undefined;
beforeAll(async () => {
  gatewayApi = (await serveRealGatewayApi()).mirror;
  env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
});

afterAll(async () => {
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  await gatewayApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("meshup with Istio's real release content", () => {
  it('up downloads the release from the mirror and installs the four real addons, Ready', async () => {
    const { server } = served();
    env.MESHUP_ISTIO_MIRROR = server.url;
    const r = await meshup(['up', '--profile', 'demo', '--addons', REAL_ADDONS.join(','), '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(server.requests.filter((u) => u.endsWith('.tar.gz'))).toHaveLength(1);
    const deps = JSON.parse(await kubectl(['get', 'deployments', '-n', 'istio-system', '-l', 'meshup.dev/addon', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { readyReplicas?: number } }[];
    };
    expect(Object.fromEntries(deps.items.map((d) => [d.metadata.name, d.status.readyReplicas ?? 0]))).toEqual({
      prometheus: 1,
      grafana: 1,
      kiali: 1,
      jaeger: 1,
    });
    // The real addons hold no CRD (the tests' small manifests do).
    expect(await kubectl(['get', 'crds', '-l', 'meshup.dev/addon', '-o', 'name'])).toBe('');
    // With jaeger enabled, the real Kiali sample (tracing off as shipped) reads traces from Jaeger's
    // gRPC query port, which the real tracing Service has.
    const kiali = JSON.parse(await kubectl(['get', 'configmap', 'kiali', '-n', 'istio-system', '-o', 'json'])) as { data: Record<string, string> };
    expect(parse(kiali.data['config.yaml']!).external_services.tracing).toEqual({
      enabled: true,
      provider: 'jaeger',
      use_grpc: true,
      internal_url: 'http://tracing.istio-system:16685/jaeger',
    });
    const tracing = JSON.parse(await kubectl(['get', 'service', 'tracing', '-n', 'istio-system', '-o', 'json'])) as { spec: { ports: { port: number }[] } };
    expect(tracing.spec.ports.map((p) => p.port)).toContain(16685);
  });

  it('a converged cluster holds each object the drift scenario deletes', async () => {
    for (const o of DRIFT_OBJECTS) expect(await kubectl(['get', ...driftRef(o), '-o', 'name', '--ignore-not-found']), o.what).not.toBe('');
  });

  it('reads the cluster straight from the API server (TLS, client certificates), and sees what kubectl sees', async () => {
    const verbose = await meshup(['status', '--json', '--verbose']);
    expect(verbose.exitCode, verbose.stderr).toBe(0);
    const echoed = verbose.stderr.split('\n').filter((l) => l.startsWith('$ '));
    expect(echoed).toContainEqual(expect.stringMatching(/^\$ GET https:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/istio-system\/deployments$/));
    expect(echoed.filter((l) => /kubectl .* get /.test(l))).toEqual([]);
    const viaKubectl = await execa(process.execPath, [MESHUP, 'status', '--json', '--verbose', '--provider', 'kwok', '--name', name], {
      env: { ...env, MESHUP_DIRECT_API: '0' },
      extendEnv: false,
      reject: false,
      cwd: dir,
    });
    expect(viaKubectl.stderr).not.toContain('$ GET ');
    expect(JSON.parse(verbose.stdout)).toEqual(JSON.parse(viaKubectl.stdout));
  });

  it('the five deletions are named by status and plan, and a re-run of up restores them all', async () => {
    expect((await meshup(['plan'])).exitCode).toBe(0);
    for (const o of DRIFT_OBJECTS) await kubectl(['delete', ...driftRef(o), '--wait=true']);
    const status = await meshup(['status']);
    // No ingress gateway is a mesh nothing reaches from outside: a problem, so status exits 1.
    expect(status.exitCode, status.stderr).toBe(1);
    expect(status.stdout).toContain('! istio-ingressgateway has no ready pod');
    // The same findings when every read goes through kubectl.
    const viaKubectl = await execa(process.execPath, [MESHUP, 'status', '--provider', 'kwok', '--name', name], {
      env: { ...env, MESHUP_DIRECT_API: '0' },
      extendEnv: false,
      reject: false,
      cwd: dir,
    });
    expect(viaKubectl.stdout).toBe(status.stdout);
    expect(viaKubectl.exitCode).toBe(status.exitCode);
    for (const line of [
      'deployment istio-system/istio-ingressgateway is missing',
      'mutatingwebhookconfiguration istio-sidecar-injector is missing',
      'customresourcedefinition virtualservices.networking.istio.io is missing',
      'configmap istio-system/istio-grafana-dashboards is missing',
      '+ apply the tracing Telemetry',
    ]) {
      expect(status.stdout, line).toContain(line);
    }
    const plan = await meshup(['plan', '--json']);
    expect(plan.exitCode).toBe(10);
    const doc = JSON.parse(plan.stdout) as { actions: { id: string; symbol: string; changes: boolean }[] };
    expect(doc.actions.filter((a) => a.changes).map((a) => `${a.symbol} ${a.id}`)).toEqual(['~ istio', '~ addon:grafana', '+ telemetry']);
    const up = await meshup(['up', '--yes', '--verbose']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    for (const o of DRIFT_OBJECTS) expect(await kubectl(['get', ...driftRef(o), '-o', 'name', '--ignore-not-found']), o.what).not.toBe('');
    expect((await meshup(['plan'])).exitCode).toBe(0);
    // Every object went back as a PATCH to the API server (TLS, client certificates); no kubectl apply ran.
    const echoed = up.stderr.split('\n').filter((l) => l.startsWith('$ '));
    for (const path of [
      '/apis/apps/v1/namespaces/istio-system/deployments/istio-ingressgateway?fieldManager=istio-operator&',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/virtualservices.networking.istio.io?fieldManager=istio-operator&',
      '/api/v1/namespaces/istio-system/configmaps/istio-grafana-dashboards?fieldManager=meshup&',
      '/apis/telemetry.istio.io/v1/namespaces/istio-system/telemetries/mesh-default?fieldManager=meshup&',
    ]) {
      expect(echoed, path).toContainEqual(expect.stringMatching(new RegExp(`^\\$ PATCH https://127\\.0\\.0\\.1:\\d+${path.replace(/[.?]/g, '\\$&')}`)));
    }
    expect(echoed.filter((l) => / apply /.test(l))).toEqual([]);
  });

  it('the same repair with every call through kubectl (MESHUP_DIRECT_API=0) leaves the same cluster', async () => {
    for (const o of DRIFT_OBJECTS) await kubectl(['delete', ...driftRef(o), '--wait=true']);
    const up = await execa(process.execPath, [MESHUP, 'up', '--yes', '--verbose', '--provider', 'kwok', '--name', name], {
      env: { ...env, MESHUP_DIRECT_API: '0' },
      extendEnv: false,
      reject: false,
      cwd: dir,
    });
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    const echoed = up.stderr.split('\n').filter((l) => l.startsWith('$ '));
    expect(echoed.filter((l) => /^\$ (GET|PATCH) /.test(l))).toEqual([]);
    expect(echoed.filter((l) => / apply --server-side /.test(l)).length).toBeGreaterThan(0);
    for (const o of DRIFT_OBJECTS) expect(await kubectl(['get', ...driftRef(o), '-o', 'name', '--ignore-not-found']), o.what).not.toBe('');
    // Converged by either road: the direct reads find nothing to do.
    expect((await meshup(['plan'])).exitCode).toBe(0);
  });
});
