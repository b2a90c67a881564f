// A mesh of several clusters, in-process: each member's spec (names, ports, ranges, Istio's
// multi-primary values), its trust step, the remote secrets across the members, and the machine's
// shared work planned once. Every observed state is built here as the reads build it.
import { describe, expect, it } from 'vitest';
import { type ClusterSet, memberNames, networkOf, subnetsOf } from '../../src/config/cluster-set.js';
import type { Spec } from '../../src/config/spec.js';
import { istioOverlays } from '../../src/istio/overlay.js';
import { emptyObserved, type Observed } from '../../src/observe/evaluate.js';
import { kubeconfigServer, remoteSecretsOf } from '../../src/observe/remote-secrets.js';
import { shareMachineWork } from '../../src/plan/cluster-set.js';
import { planEastWest } from '../../src/plan/east-west.js';
import { planKiali } from '../../src/plan/kiali.js';
import { plan } from '../../src/plan/plan.js';
import { planRemoteSecrets } from '../../src/plan/remote-secrets.js';
import { blockerText, symbolOf } from '../../src/plan/types.js';
import { providerFor } from '../../src/providers/index.js';
import { kindConfigYaml } from '../../src/tools/kind.js';
import { minikubeStartArgs } from '../../src/tools/minikube.js';
import { planInput } from '../helpers/plan-input.js';
import { specFor } from '../helpers/spec.js';

const pair = (provider: 'kind' | 'kwok' | 'minikube', multiNetwork = false): ClusterSet => ({
  meshId: 'meshup',
  multiNetwork,
  members: memberNames('meshup', 2).map((name, index) => ({ name, index, network: networkOf(index, multiNetwork), provider })),
});
const members = (set: ClusterSet, flags = {}) => Promise.all(set.members.map((member) => specFor({ profile: 'demo', ...flags }, { member: { set, member } })));
const lines = (p: { actions?: { change: string; title: string; id: string }[] }) => (p.actions ?? []).map((a) => `${symbolOf(a as never)} ${a.title}`);

describe("a member's spec", () => {
  it('takes its name from the set, a host port of its own, and the mesh values Istio needs', async () => {
    const [one, two] = await members(pair('kind'));
    expect([one!.clusterName, two!.clusterName]).toEqual(['meshup-1', 'meshup-2']);
    expect(one!.mesh).toEqual({
      meshId: 'meshup',
      clusterId: 'meshup-1',
      network: 'network1',
      multiNetwork: false,
      index: 0,
      clusters: ['meshup-1', 'meshup-2'],
    });
    // The same nodePorts inside each cluster; different host ports on the one machine.
    expect([one!.gateway.httpNodePort, two!.gateway.httpNodePort]).toEqual([30080, 30080]);
    expect([one!.gateway.hostHttpPort, two!.gateway.hostHttpPort]).toEqual([8080, 8081]);
    expect(
      providerFor('kind')
        .portMappings(two!)
        .map((m) => m.hostPort),
    ).toEqual([8081, 8444]);
    const values = (istioOverlays(two!, providerFor('kind')).controlPlane.spec as { values: { global: Record<string, unknown> } }).values.global;
    expect(values).toMatchObject({ meshID: 'meshup', multiCluster: { clusterName: 'meshup-2' }, network: 'network1' });
  });

  it('gets pod and Service ranges no other member has, on kind and on minikube', async () => {
    const [one, two] = await members(pair('kind'));
    expect(subnetsOf(0)).toEqual({ pods: '10.244.0.0/16', services: '10.96.0.0/16' });
    const yaml = (s: Spec) => kindConfigYaml({ name: s.clusterName, portMappings: [], subnets: subnetsOf(s.mesh!.index) });
    expect(yaml(one!)).toContain('networking:\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/16');
    expect(yaml(two!)).toContain('networking:\n  podSubnet: 10.245.0.0/16\n  serviceSubnet: 10.97.0.0/16');
    expect(providerFor('kind').createCommands(two!)[0]).toContain('podSubnet: 10.245.0.0/16');
    expect(minikubeStartArgs({ profile: 'meshup-2', cpus: 2, memoryMiB: 4096, subnets: subnetsOf(1) })).toEqual(
      expect.arrayContaining(['--service-cluster-ip-range=10.97.0.0/16', '--extra-config=kubeadm.pod-network-cidr=10.245.0.0/16']),
    );
  });

  it('a lone cluster keeps its defaults: no mesh values, no ranges', async () => {
    const spec = await specFor({ profile: 'demo' });
    expect(spec.mesh).toBeUndefined();
    expect(providerFor('kind').createCommands(spec)[0]).not.toContain('networking:');
    expect(
      (istioOverlays(spec, providerFor('kind')).controlPlane.spec as { values?: { global?: Record<string, unknown> } }).values?.global?.meshID,
    ).toBeUndefined();
  });

  it('an existing cluster in a set needs its context', async () => {
    const set: ClusterSet = { meshId: 'm', multiNetwork: false, members: [{ name: 'a', index: 0, network: 'network1', provider: 'existing' }] };
    await expect(specFor({}, { member: { set, member: set.members[0]! } })).rejects.toThrow(/context/);
  });
});

describe('trust: the mesh CA in cacerts before istiod', () => {
  const pem = (s: string) => `-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----\n`;
  const onDisk = { rootCert: pem('root'), caCert: pem('one') };
  const running = (over: Partial<Observed> = {}): Observed => ({ ...emptyObserved({ state: 'running' }), reachable: true, ...over });
  const trustOf = (p: ReturnType<typeof plan>) => p.actions.filter((a) => a.op.type === 'trust');

  it('a new member: certificates made, cacerts put in, before the control plane is installed', async () => {
    const [one] = await members(pair('kind'));
    const p = plan(planInput(one!, emptyObserved({ state: 'absent' })));
    const ids = p.actions.map((a) => a.id);
    expect(ids.indexOf('trust')).toBeLessThan(ids.indexOf('istio'));
    expect(lines({ actions: trustOf(p) })).toEqual(["+ put meshup-1's intermediate CA, signed by the mesh's root, in istio-system/cacerts"]);
    expect(trustOf(p)[0]!.op).toEqual({ type: 'trust', generate: true, restartIstiod: false });
    expect(trustOf(p)[0]!.commands[0]).toMatch(/^openssl/);
  });

  it('the same CA in the cluster as on disk: verified, nothing to do', async () => {
    const [one] = await members(pair('kind'));
    const p = plan(planInput(one!, running({ trust: { onDisk, secret: { ...onDisk, ours: true } } })));
    expect(trustOf(p).map((a) => a.change)).toEqual(['none']);
  });

  it('a deleted cacerts on a running mesh is put back and istiod restarted to read it', async () => {
    const [one] = await members(pair('kind'));
    const observed = running({ trust: { onDisk } });
    observed.istio = { ...observed.istio, present: true };
    const [a] = trustOf(plan(planInput(one!, observed)));
    expect(a!.change).toBe('create');
    expect(a!.reasons).toEqual(['istio-system/cacerts is missing', 'istiod reads it only when it starts: it is restarted']);
    expect(a!.commands.at(-1)).toBe('kubectl --context kind-meshup-1 rollout restart deployment/istiod -n istio-system');
  });

  it('another CA in cacerts that meshup did not put there is a conflict; with --adopt it is replaced', async () => {
    const [one] = await members(pair('kind'));
    const observed = running({ trust: { onDisk, secret: { rootCert: pem('other'), caCert: pem('other'), ours: false } } });
    const refused = plan(planInput(one!, observed));
    expect(refused.blockers.map(blockerText)[0]).toMatch(/^secret istio-system\/cacerts exists and is not meshup's/);
    expect(refused.blockers[0]!.kind).toBe('conflict');
    const adopted = plan(planInput(one!, observed, { adopt: true }));
    expect(trustOf(adopted).map((a) => `${a.change}: ${a.reasons[0]}`)).toEqual(["update: istio-system/cacerts holds another CA than the mesh's"]);
  });

  it('--rotate-ca makes the root and intermediate again and, on a running mesh, needs a yes', async () => {
    const [one] = await members(pair('kind'));
    const observed = running({ trust: { onDisk, secret: { ...onDisk, ours: true } } });
    observed.istio = { ...observed.istio, present: true };
    const [a] = trustOf(plan(planInput(one!, observed, { rotateCa: true })));
    expect(a).toMatchObject({ change: 'update', needsYes: true, op: { type: 'trust', generate: true, restartIstiod: true, rotate: true } });
    expect(a!.reasons[0]).toMatch(/^a new root and intermediates were asked for \(--rotate-ca\)/);
  });

  it('certificates on disk that do not chain are made again', async () => {
    const [one] = await members(pair('kind'));
    const p = plan(
      planInput(
        one!,
        running({ trust: { onDisk: { ...onDisk, problem: 'the intermediate was not signed by this root' }, secret: { ...onDisk, ours: true } } }),
      ),
    );
    expect(trustOf(p)[0]!.op).toMatchObject({ generate: true });
    expect(trustOf(p)[0]!.reasons[0]).toBe('the certificates meshup keeps for meshup-1 are unusable: the intermediate was not signed by this root');
  });
});

describe('remote secrets across the clusters', () => {
  const secret = (cluster: string, server: string, ours = true) => ({ secret: `istio-remote-secret-${cluster}`, cluster, server, ours });
  const kind = (name: string, address?: string, secrets?: (ReturnType<typeof secret> & { ca?: string })[]) => ({
    name,
    context: `kind-${name}`,
    address,
    secrets,
  });

  it('two new kind clusters: a secret each way, with the address known once the other runs', () => {
    const p = planRemoteSecrets([kind('meshup-1'), kind('meshup-2')]);
    expect(lines(p)).toEqual([
      "+ let meshup-1's istiod discover meshup-2 (secret istio-remote-secret-meshup-2 in meshup-1, server <the address of meshup-2, read once it runs>)",
      "+ let meshup-2's istiod discover meshup-1 (secret istio-remote-secret-meshup-1 in meshup-2, server <the address of meshup-1, read once it runs>)",
    ]);
  });

  it("the container addresses on kind's network, never the kubeconfig's 127.0.0.1, and the exact commands", () => {
    const p = planRemoteSecrets([kind('meshup-1', 'https://172.18.0.2:6443', []), kind('meshup-2', 'https://172.18.0.3:6443', [])]);
    expect(p.actions![0]!.commands).toEqual([
      'istioctl --context kind-meshup-2 create-remote-secret --name meshup-2 --server https://172.18.0.3:6443',
      "kubectl --context kind-meshup-1 apply --server-side --field-manager=meshup --force-conflicts -f - <<'MESHUP_EOF'\n<the remote secret of meshup-2>\nMESHUP_EOF",
    ]);
    expect(p.actions![0]!.reasons).toEqual(['meshup-1 holds no remote secret for meshup-2']);
  });

  it('an existing pair with the right addresses: nothing to change', () => {
    const p = planRemoteSecrets([
      kind('meshup-1', 'https://172.18.0.2:6443', [secret('meshup-2', 'https://172.18.0.3:6443')]),
      kind('meshup-2', 'https://172.18.0.3:6443', [secret('meshup-1', 'https://172.18.0.2:6443')]),
    ]);
    expect(p.actions!.map((a) => a.change)).toEqual(['none', 'none']);
    expect(p.blockers).toEqual([]);
  });

  it('a secret naming the wrong address is drift, repaired; one meshup did not make is refused unless --adopt', () => {
    const seen = [
      kind('meshup-1', 'https://172.18.0.2:6443', [secret('meshup-2', 'https://127.0.0.1:41234')]),
      kind('meshup-2', 'https://172.18.0.3:6443', [secret('meshup-1', 'https://172.18.0.2:6443')]),
    ];
    expect(lines(planRemoteSecrets(seen))[0]).toBe("~ point meshup-1's remote secret for meshup-2 at https://172.18.0.3:6443");
    expect(planRemoteSecrets(seen).actions![0]!.reasons).toEqual(["it names https://127.0.0.1:41234, where meshup-1 does not reach meshup-2's API server"]);
    seen[0]!.secrets = [secret('meshup-2', 'https://127.0.0.1:41234', false)];
    const refused = planRemoteSecrets(seen);
    expect(refused.blockers!.map(blockerText)[0]).toMatch(/^secret istio-system\/istio-remote-secret-meshup-2 in meshup-1 exists and is not meshup's/);
    expect(planRemoteSecrets(seen, { adopt: true }).actions![0]!.change).toBe('update');
  });

  it('a secret with the right address but another CA was made for an earlier cluster of that name: made again', () => {
    const p = planRemoteSecrets([
      { ...kind('meshup-1', 'https://172.18.0.2:6443', [{ ...secret('meshup-2', 'https://172.18.0.3:6443'), ca: 'OLD' }]), ca: 'CA1' },
      { ...kind('meshup-2', 'https://172.18.0.3:6443', [{ ...secret('meshup-1', 'https://172.18.0.2:6443'), ca: 'CA1' }]), ca: 'NEW' },
    ]);
    expect(lines(p)).toEqual([
      "~ make meshup-1's remote secret for meshup-2 again",
      "= keep meshup-2's remote secret for meshup-1 (server https://172.18.0.2:6443)",
    ]);
    expect(p.actions![0]!.reasons).toEqual(["it holds the credentials of an earlier cluster named meshup-2 (another CA than its API server's now)"]);
  });

  it("a cluster that left the set: meshup's secret for it goes, another's stays", () => {
    const p = planRemoteSecrets([
      kind('meshup-1', 'https://172.18.0.2:6443', [
        secret('meshup-2', 'https://172.18.0.3:6443'),
        secret('meshup-3', 'https://172.18.0.4:6443'),
        secret('theirs', 'https://10.0.0.1:6443', false),
      ]),
      kind('meshup-2', 'https://172.18.0.3:6443', [secret('meshup-1', 'https://172.18.0.2:6443')]),
    ]);
    expect(lines(p).filter((l) => !l.startsWith('='))).toEqual(["- remove meshup-1's remote secret for meshup-3, no longer in the mesh"]);
  });

  it('an address that cannot be read stops the plan, saying which', () => {
    const p = planRemoteSecrets([
      { ...kind('meshup-1', 'https://172.18.0.2:6443', []) },
      { name: 'meshup-2', context: 'kind-meshup-2', addressError: 'no node on network kind' },
    ]);
    expect(p.blockers!.map(blockerText)).toEqual([
      'The API server address of meshup-2, as meshup-1 would reach it, could not be read: no node on network kind. Fix: Check that meshup-2 runs (meshup status), then run meshup again',
    ]);
  });

  it('reads the server of each remote secret as istioctl writes it', () => {
    const kubeconfig =
      'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: AAAA\n    server: https://172.18.0.3:6443\n  name: meshup-2\nkind: Config\n';
    const seen = remoteSecretsOf([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'istio-remote-secret-meshup-2', labels: { 'istio/multiCluster': 'true' } },
        data: { 'meshup-2': Buffer.from(kubeconfig).toString('base64') },
      },
    ]);
    expect(seen).toEqual([{ secret: 'istio-remote-secret-meshup-2', cluster: 'meshup-2', server: 'https://172.18.0.3:6443', ca: 'AAAA', ours: false }]);
    expect(kubeconfigServer('not: [yaml')).toEqual({});
  });
});

describe("the machine's shared work", () => {
  it('registry containers run, networks joined and caches filled once, however many clusters', async () => {
    const set = pair('kind');
    const specs = await Promise.all(set.members.map((member) => specFor({ profile: 'demo', cache: true, localRegistry: true }, { member: { set, member } })));
    const plans = specs.map((s) => plan(planInput(s, emptyObserved({ state: 'absent' }))));
    expect(plans.map((p) => p.actions.filter((a) => a.op.type === 'registries').length)).toEqual([1, 1]);
    const shared = shareMachineWork(plans);
    expect(shared.map((p) => p.actions.filter((a) => a.op.type === 'registries').length)).toEqual([1, 0]);
    expect(shared.map((p) => p.actions.filter((a) => a.op.type === 'prefetch').length)).toEqual([
      plans[0]!.actions.some((a) => a.op.type === 'prefetch') ? 1 : 0,
      0,
    ]);
    const connects = shared.map((p) => p.actions.flatMap((a) => (a.op.type === 'registry-wiring' ? a.op.connect : [])));
    expect(connects[0]!.length).toBeGreaterThan(0);
    expect(connects[1]).toEqual([]);
    // Each cluster's own nodes are still pointed at them.
    expect(shared[1]!.actions.some((a) => a.op.type === 'registry-wiring')).toBe(true);
  });
});

describe('multi-network: east-west gateways', () => {
  const seen = (name: string, eastWest: NonNullable<Parameters<typeof planEastWest>[0][number]['eastWest']>, running = true) => ({
    name,
    context: `kind-${name}`,
    ...(running ? { address: 'https://172.18.0.2:6443', secrets: [] } : {}),
    eastWest,
  });

  it("new clusters: each one's services exposed at its node's address, read once it runs", () => {
    const p = planEastWest([seen('meshup-1', { gateway: 'absent' }, false)]);
    expect(lines(p)).toEqual([
      "+ expose meshup-1's services to the other networks through its east-west gateway at <the node address of meshup-1, read once it runs>",
    ]);
  });

  it("the node address as the gateway Service's external IP, the cross-network Gateway, verified and repaired", () => {
    const right = seen('meshup-1', { gateway: 'ours', gatewayCurrent: true, reachable: '172.18.0.2', externalIPs: ['172.18.0.2'] });
    expect(lines(planEastWest([right]))).toEqual(["= keep meshup-1's services exposed to the other networks at 172.18.0.2"]);
    const drifted = seen('meshup-1', { gateway: 'ours', gatewayCurrent: false, reachable: '172.18.0.2', externalIPs: [] });
    const [a] = planEastWest([drifted]).actions!;
    expect(a).toMatchObject({ change: 'update', op: { type: 'east-west', cluster: 'meshup-1', address: '172.18.0.2' } });
    expect(a!.reasons).toEqual([
      'gateway istio-system/cross-network-gateway was changed',
      'service istio-system/istio-eastwestgateway has external IPs [], not [172.18.0.2]',
    ]);
  });

  it("a Gateway of that name that is not meshup's is refused; a cluster with no node address is said", () => {
    const foreign = planEastWest([seen('meshup-1', { gateway: 'foreign', reachable: '172.18.0.2' })]);
    expect(foreign.blockers!.map(blockerText)[0]).toMatch(/^gateway istio-system\/cross-network-gateway in meshup-1 exists and is not meshup's/);
    const simulated = planEastWest([seen('meshup-1', { gateway: 'absent', why: 'the kwok provider has no node address to give it' })]);
    expect(simulated.notes).toEqual([
      "meshup-1's east-west gateway has no address the other networks reach (the kwok provider has no node address to give it): traffic from them to meshup-1 cannot flow",
    ]);
    expect(lines(simulated)).toEqual(["+ expose meshup-1's services to the other networks through its east-west gateway"]);
  });

  it("the gateways overlay adds the east-west gateway on the cluster's network, only on a multi-network mesh", async () => {
    const [, two] = await members(pair('kind', true));
    const gw = istioOverlays(two!, providerFor('kind')).gateways.spec as {
      components: { ingressGateways: { name: string; enabled: boolean; label?: Record<string, string> }[] };
    };
    const ew = gw.components.ingressGateways.find((g) => g.name === 'istio-eastwestgateway');
    expect(ew).toMatchObject({ enabled: true, label: { 'topology.istio.io/network': 'network2' } });
    const [, single] = await members(pair('kind'));
    const plain = istioOverlays(single!, providerFor('kind')).gateways.spec as { components: { ingressGateways: { name: string }[] } };
    expect(plain.components.ingressGateways.map((g) => g.name)).toEqual(['istio-ingressgateway']);
  });
});

describe('Kiali across the clusters', () => {
  const member = (name: string, address: string, kiali: NonNullable<Parameters<typeof planKiali>[0][number]['kiali']>, ca = `CA-${name}`) => ({
    name,
    context: `kind-${name}`,
    address,
    ca,
    secrets: [],
    kiali,
  });

  it("each cluster's Kiali gets a kubeconfig of every other cluster's own Kiali account, then restarts", () => {
    const p = planKiali([
      member('meshup-1', 'https://172.18.0.2:6443', { secret: 'absent' }),
      member('meshup-2', 'https://172.18.0.3:6443', { secret: 'absent' }),
    ]);
    expect(lines(p)).toEqual([
      "+ let meshup-1's Kiali show meshup-2 (secret istio-system/kiali-multi-cluster-secret), and restart it",
      "+ let meshup-2's Kiali show meshup-1 (secret istio-system/kiali-multi-cluster-secret), and restart it",
    ]);
    expect(p.actions![0]!.commands).toEqual([
      'istioctl --context kind-meshup-2 create-remote-secret --name meshup-2 --server https://172.18.0.3:6443 --service-account kiali --create-service-account=false',
      "kubectl --context kind-meshup-1 apply --server-side --field-manager=meshup --force-conflicts -f - <<'MESHUP_EOF'\n<secret istio-system/kiali-multi-cluster-secret: a kubeconfig for each of meshup-2>\nMESHUP_EOF",
      'kubectl --context kind-meshup-1 rollout restart deployment/kiali -n istio-system',
    ]);
  });

  it('verified when each kubeconfig names the other cluster as it is now; repaired when not', () => {
    const right = { secret: 'ours' as const, clusters: { 'meshup-2': { server: 'https://172.18.0.3:6443', ca: 'CA-meshup-2' } } };
    const other = { secret: 'ours' as const, clusters: { 'meshup-1': { server: 'https://172.18.0.2:6443', ca: 'CA-meshup-1' } } };
    expect(lines(planKiali([member('meshup-1', 'https://172.18.0.2:6443', right), member('meshup-2', 'https://172.18.0.3:6443', other)]))).toEqual([
      "= keep meshup-1's Kiali showing meshup-2",
      "= keep meshup-2's Kiali showing meshup-1",
    ]);
    const stale = { secret: 'ours' as const, clusters: { 'meshup-2': { server: 'https://172.18.0.3:6443', ca: 'OLD' }, 'meshup-9': { server: 'https://x' } } };
    const [a] = planKiali([member('meshup-1', 'https://172.18.0.2:6443', stale), member('meshup-2', 'https://172.18.0.3:6443', other)]).actions!;
    expect(a!.change).toBe('update');
    expect(a!.reasons).toEqual([
      'its kubeconfig for meshup-2 is of an earlier cluster of that name',
      'it holds a kubeconfig for meshup-9, no longer in the mesh',
    ]);
  });

  it('a secret of that name meshup did not make is refused', () => {
    const p = planKiali([
      member('meshup-1', 'https://172.18.0.2:6443', { secret: 'foreign' }),
      member('meshup-2', 'https://172.18.0.3:6443', { secret: 'absent' }),
    ]);
    expect(p.blockers!.map(blockerText)[0]).toMatch(/^secret istio-system\/kiali-multi-cluster-secret in meshup-1 exists and is not meshup's/);
  });
});
