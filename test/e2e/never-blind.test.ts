// Never planning blind, on a simulated cluster with the real release and istioctl: a converged
// ambient mesh (namespaces default and shop, Istio's four real addons) whose kube-apiserver is
// killed is planned as "cannot read", not as an empty cluster, and `up --yes` with no flags starts
// it and leaves the mesh exactly as it was. The record on the cluster is a layer for
// `--provider existing` too, and an empty cache does not hide a deleted Gateway API CRD. All on
// 127.0.0.1; the cluster is always deleted.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayApiMirror, serveRealGatewayApi } from '../helpers/gateway-api.mjs';
import { REAL_ADDONS, realReleaseServerFor } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-blind-');
const name = `blind${process.pid}`;
const context = `kwok-${name}`;
const served = realReleaseServerFor('1.31.1', { istioctl: join(bin, 'istioctl') });

// Bounded below the test's own limit, so a command that hangs fails with what it printed.
const run = (args: string[]) => execa(process.execPath, [MESHUP, ...args], { env, extendEnv: false, reject: false, cwd: dir, timeout: 240_000 });
const meshup = (args: string[]) => run([...args, '--provider', 'kwok', '--name', name]);
const kubectl = async (args: string[]) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false })).stdout;

/** What "the mesh as it was" means here: the record, namespace labels, and what runs in istio-system. */
async function meshState() {
  const record = await kubectl(['get', 'configmap', 'meshup', '-n', 'kube-public', '-o', 'jsonpath={.data.spec}']);
  const labels = await Promise.all(['default', 'shop'].map((ns) => kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.labels}'])));
  const workloads = await kubectl(['get', 'deployments,daemonsets', '-n', 'istio-system', '-o', 'name']);
  return { record, labels, workloads: workloads.split('\n').sort() };
}

let gatewayApi: GatewayApiMirror | undefined;
beforeAll(async () => {
  gatewayApi = (await serveRealGatewayApi()).mirror;
  env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
  env.MESHUP_ISTIO_MIRROR = served().server.url;
});

afterAll(async () => {
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  await gatewayApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('never planning blind', () => {
  let before: Awaited<ReturnType<typeof meshState>>;

  it('a converged ambient mesh with four addons; reached as --provider existing, its record still decides', async () => {
    const up = await meshup(['up', '--profile', 'ambient', '--addons', REAL_ADDONS.join(','), '--namespaces', 'default,shop', '--yes']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    before = await meshState();
    expect(before.workloads).toEqual(expect.arrayContaining(['daemonset.apps/ztunnel', 'daemonset.apps/istio-cni-node', 'deployment.apps/grafana']));
    // No flag but the context: the recorded profile, namespaces and addons are the spec.
    const existing = await run(['plan', '--provider', 'existing', '--context', context]);
    expect(existing.exitCode, `${existing.stdout}\n${existing.stderr}`).toBe(0);
    expect(existing.stdout).not.toMatch(/remove addon|switch .* to|reconfigure Istio/);
  });

  it('its API server killed: plan cannot read it (exit 3, not 10), waypoint list says so, and up --yes brings it back as it was', async () => {
    const pidFile = join(env.KWOK_WORKDIR!, 'clusters', name, 'pids', 'kube-apiserver.pid');
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    // Until the port is closed, a read could still be answered.
    for (let i = 0; i < 50; i++) {
      const r = await execa('kubectl', ['--context', context, 'get', '--raw', '/readyz'], { env, extendEnv: false, reject: false });
      if (r.exitCode !== 0) break;
      await sleep(100);
    }
    const plan = await meshup(['plan']);
    expect(plan.exitCode, `${plan.stdout}\n${plan.stderr}`).toBe(3);
    expect(plan.stderr).toContain('Cannot plan');
    expect(plan.stdout).not.toMatch(/remove addon|install Istio|switch |record the applied spec/);
    const waypoints = await meshup(['waypoint', 'list']);
    expect(waypoints.exitCode, waypoints.stdout).not.toBe(0);
    expect(waypoints.stdout).not.toContain('No waypoint');

    const up = await meshup(['up', '--yes']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(up.stderr).toMatch(/[Rr]epair kwok cluster|[Ss]tart kwok cluster/);
    expect(await meshState()).toEqual(before);
    expect((await meshup(['plan'])).exitCode).toBe(0);
  });

  it('an empty cache does not hide a deleted Gateway API CRD: named, restored, then nothing to do', async () => {
    rmSync(env.XDG_CACHE_HOME!, { recursive: true, force: true });
    await kubectl(['delete', 'crd', 'grpcroutes.gateway.networking.k8s.io']);
    const plan = await meshup(['plan']);
    expect(plan.exitCode, `${plan.stdout}\n${plan.stderr}`).toBe(10);
    expect(plan.stdout).toContain('customresourcedefinition grpcroutes.gateway.networking.k8s.io is missing');
    // The addons are verified too: their objects come from the release, fetched again.
    expect(plan.stderr).toContain('Fetching Istio 1.31.1 to verify');
    expect(plan.stdout).not.toMatch(/not at hand|not cached/);
    const up = await meshup(['up', '--yes']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(await kubectl(['get', 'crd', 'grpcroutes.gateway.networking.k8s.io', '-o', 'name'])).toBe(
      'customresourcedefinition.apiextensions.k8s.io/grpcroutes.gateway.networking.k8s.io',
    );
    expect(await meshState()).toEqual(before);
    const after = await meshup(['plan']);
    expect(after.exitCode, after.stdout).toBe(0);
  });
});
