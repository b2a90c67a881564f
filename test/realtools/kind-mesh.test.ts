// Two clusters the real kind v0.33.0 created, planned as one mesh: the address meshup puts in
// each remote secret is the other node's address on kind's network (what the other cluster's
// istiod can dial), read from Docker, never the 127.0.0.1 port the kubeconfig publishes. Both
// nodes' API ports are forwarded by the Docker stand-in to one real API server (test/realtools/api.ts),
// so the clusters answer and the plan is made from what they hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subnetsOf } from '../../src/config/cluster-set.js';
import { kindConfigYaml } from '../../src/tools/kind.js';
import { type Api, apiBehindNode } from './api.js';
import { type World, world } from './standin.js';

let w: World;
let api: Api;

beforeAll(async () => {
  w = world();
  api = await apiBehindNode(w, 'mesh');
  for (const [index, name] of ['meshup-1', 'meshup-2'].entries()) {
    const r = await w.tool('kind', ['create', 'cluster', '--name', name, '--config', '-'], {
      input: kindConfigYaml({ name, portMappings: [], subnets: subnetsOf(index) }),
    });
    if (r.exitCode !== 0) throw new Error(r.stderr);
  }
}, 240_000);

afterAll(async () => {
  await api?.stop();
  w?.cleanup();
});

describe('a mesh of two kind clusters', () => {
  it("each remote secret is planned with the other node's address on kind's network", async () => {
    const r = await w.meshup(['plan', '--provider', 'kind', '--clusters', '2', '--addons', '', '--no-cache', '--no-local-registry']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(10);
    const ip = async (name: string) =>
      (await w.tool('docker', ['inspect', '--format', '{{(index .NetworkSettings.Networks "kind").IPAddress}}', `${name}-control-plane`])).stdout.trim();
    const [one, two] = [await ip('meshup-1'), await ip('meshup-2')];
    expect(one).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(one).not.toBe(two);
    expect(r.stdout).toContain(`$ istioctl --context kind-meshup-2 create-remote-secret --name meshup-2 --server https://${two}:6443`);
    expect(r.stdout).toContain(`$ istioctl --context kind-meshup-1 create-remote-secret --name meshup-1 --server https://${one}:6443`);
    expect(r.stdout).not.toMatch(/create-remote-secret .*--server https:\/\/127\./);
    // The kubeconfig itself names the published loopback port, which the other cluster cannot reach.
    const kubeconfig = (await w.tool('kubectl', ['config', 'view', '-o', 'jsonpath={.clusters[?(@.name=="kind-meshup-2")].cluster.server}'])).stdout;
    expect(kubeconfig).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // Each cluster is planned apart, reused as it is, with the mesh's CA step.
    expect(r.stdout).toContain('Plan for kind cluster "meshup-2" (context kind-meshup-2):');
    expect(r.stdout).toContain("+ put meshup-2's intermediate CA, signed by the mesh's root, in istio-system/cacerts");
  });
});
