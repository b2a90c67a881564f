import { describe, expect, it } from 'vitest';
import { diagnosePods } from '../../src/istio/diagnose.js';
import { archiveName, releaseUrl } from '../../src/istio/download.js';
import { GATEWAYS_OPERATOR, istioOverlays, overlayFiles, overlayHash } from '../../src/istio/overlay.js';
import { parseRemoved } from '../../src/tools/istioctl.js';

const istioOverlay = (...a: Parameters<typeof istioOverlays>) => istioOverlays(...a).controlPlane;

import { parseIstioVersion } from '../../src/config/versions.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { specFor } from '../helpers/spec.js';

const pod = (name: string, status: unknown): KubeObject => ({ metadata: { name, namespace: 'istio-system' }, status });

describe('readiness diagnosis', () => {
  it('names scheduling, image, crash and proxy problems with a fix', () => {
    const why = diagnosePods([
      pod('istiod-1', { conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available: 1 Insufficient memory.' }] }),
      pod('gw-1', {
        containerStatuses: [{ name: 'istio-proxy', ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
      }),
      pod('kiali-1', {
        containerStatuses: [{ name: 'kiali', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 2 } } }],
      }),
      pod('app-1', { containerStatuses: [{ name: 'istio-proxy', ready: false, state: {} }] }),
      pod('ok-1', { containerStatuses: [{ name: 'x', ready: true, state: {} }] }),
    ]);
    expect(why).toHaveLength(4);
    expect(why[0]).toMatch(/istiod-1 is Pending: .*Insufficient memory.*--profile demo/);
    expect(why[1]).toMatch(/cannot pull its image .* architecture/);
    expect(why[2]).toMatch(/keeps crashing \(last exit 2\).*kubectl logs -n istio-system kiali-1 -c kiali --previous/);
    expect(why[3]).toMatch(/istio-proxy is not ready/);
  });
});

describe('overlay', () => {
  type Gateways = {
    metadata: { name: string };
    spec: {
      profile: string;
      meshConfig: { accessLogFile?: string };
      components: {
        base?: { enabled: boolean };
        pilot?: { enabled: boolean };
        cni?: { enabled: boolean };
        ztunnel?: { enabled: boolean };
        ingressGateways: { enabled: boolean; k8s: { service: { ports: { name: string; nodePort?: number }[] } } }[];
        egressGateways: { enabled: boolean }[];
      };
    };
  };
  it('pins the gateway nodePorts and follows the profile', async () => {
    const o = await specFor({ profile: 'demo' });
    const { controlPlane, gateways, anyGateway } = istioOverlays(o, {}) as unknown as { controlPlane: Gateways; gateways: Gateways; anyGateway: boolean };
    expect(controlPlane.spec.profile).toBe('demo');
    expect(controlPlane.spec.meshConfig.accessLogFile).toBe('/dev/stdout');
    // The gateways are an IstioOperator of their own: off in the control plane's, alone in theirs,
    // with the same profile and mesh settings.
    expect(controlPlane.spec.components.ingressGateways[0]!.enabled).toBe(false);
    expect(controlPlane.spec.components.egressGateways[0]!.enabled).toBe(false);
    expect(gateways.metadata.name).toBe(GATEWAYS_OPERATOR);
    expect(gateways.spec.profile).toBe('demo');
    expect(gateways.spec.meshConfig).toEqual(controlPlane.spec.meshConfig);
    for (const c of ['base', 'pilot', 'cni', 'ztunnel'] as const) expect(gateways.spec.components[c]).toEqual({ enabled: false });
    expect(gateways.spec.components.ingressGateways[0]!.enabled).toBe(true);
    expect(gateways.spec.components.ingressGateways[0]!.k8s.service.ports.map((p) => [p.name, p.nodePort])).toEqual([
      ['status-port', undefined],
      ['http2', 30080],
      ['https', 30043],
    ]);
    expect(gateways.spec.components.egressGateways[0]!.enabled).toBe(true);
    expect(anyGateway).toBe(true);
    const minimal = await specFor({ profile: 'minimal' });
    expect(overlayHash(overlayFiles(minimal, {}))).not.toBe(overlayHash(overlayFiles(o, {})));
    expect(overlayHash(overlayFiles(o, {}))).toBe(overlayHash(overlayFiles(o, {})));
    // A gateway setting alone changes the hash, though the control plane's overlay is the same.
    const noEgress = { ...o, gateway: { ...o.gateway, egress: false } };
    expect(overlayFiles(noEgress, {}).controlPlane).toBe(overlayFiles(o, {}).controlPlane);
    expect(overlayHash(overlayFiles(noEgress, {}))).not.toBe(overlayHash(overlayFiles(o, {})));
    const ambient = await specFor({ profile: 'ambient' });
    expect(istioOverlays(ambient, {}).anyGateway).toBe(false);
  });
});

describe('release names', () => {
  it('maps OS and CPU to the published archive names', () => {
    expect(archiveName('1.31.1', 'linux', 'x64')).toBe('istio-1.31.1-linux-amd64.tar.gz');
    expect(archiveName('1.31.1', 'darwin', 'arm64')).toBe('istio-1.31.1-osx-arm64.tar.gz');
    let err: unknown;
    try {
      archiveName('1.31.1', 'win32', 'x64');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe('meshup cannot download Istio for win32/x64');
    expect((err as { fix: string[] }).fix[0]).toMatch(/--istio-dir DIR/);
    expect(releaseUrl('https://m.example/istio/', '1.31.1', 'f.tgz')).toBe('https://m.example/istio/1.31.1/f.tgz');
  });
  it('parses versions', () => {
    expect(parseIstioVersion('1.31.1')).toEqual({ major: 1, minor: 31, patch: 1, pre: undefined });
    expect(parseIstioVersion('1.31')).toBeUndefined();
  });
});

describe('ambient overlay', () => {
  it('adds the node agents and the ambient values; platform from the provider, none for kind', async () => {
    const { providerFor } = await import('../../src/providers/index.js');
    const mk = await specFor({ provider: 'minikube', profile: 'ambient' });
    const ov = istioOverlay(mk, providerFor('minikube')) as { spec: { profile: string; components: Record<string, unknown>; values: Record<string, unknown> } };
    expect(ov.spec.profile).toBe('ambient');
    expect(ov.spec.components.cni).toEqual({ enabled: true });
    expect(ov.spec.components.ztunnel).toEqual({ enabled: true });
    expect(ov.spec.values).toEqual({ profile: 'ambient', global: { platform: 'minikube' } });
    const kind = await specFor({ provider: 'kind', profile: 'ambient' });
    expect((istioOverlay(kind, providerFor('kind')) as { spec: { values: unknown } }).spec.values).toEqual({ profile: 'ambient' });
    // A sidecar mesh installs no istio-cni, so it gets no platform either.
    const side = await specFor({ provider: 'minikube', profile: 'demo' });
    const sv = istioOverlay(side, providerFor('minikube')) as { spec: { components: Record<string, unknown>; values?: unknown } };
    expect(sv.spec.components.ztunnel).toBeUndefined();
    expect(sv.spec.values).toBeUndefined();
  });
});

describe('what an install pruned', () => {
  it("reads istioctl's log of each deleted object: group, kind, name and namespace", () => {
    // As Istio 1.31 logs them (operator/pkg/uninstall DeleteResource), after "Pruning removed resources".
    expect(parseRemoved('Removed apps/v1, Kind=Deployment/istio-ingressgateway.istio-system.')).toEqual({
      group: 'apps',
      kind: 'Deployment',
      name: 'istio-ingressgateway',
      namespace: 'istio-system',
    });
    expect(parseRemoved('Removed /v1, Kind=Service/istio-egressgateway.istio-system.')).toEqual({
      group: '',
      kind: 'Service',
      name: 'istio-egressgateway',
      namespace: 'istio-system',
    });
    expect(parseRemoved('Removed rbac.authorization.k8s.io/v1, Kind=ClusterRole/istio-reader-clusterrole-istio-system..')).toEqual({
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'istio-reader-clusterrole-istio-system',
      namespace: '',
    });
    expect(parseRemoved('Pruning removed resources')).toBeUndefined();
  });
});
