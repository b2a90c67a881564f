import { describe, expect, it } from 'vitest';
import { diagnosePods } from '../../src/istio/diagnose.js';
import { archiveName, releaseUrl } from '../../src/istio/download.js';
import { istioOverlay, overlayHash, overlayYaml } from '../../src/istio/overlay.js';
import { parseIstioVersion } from '../../src/istio/version.js';
import type { KubeObject } from '../../src/tools/kubectl.js';
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
  it('pins the gateway nodePorts and follows the profile', async () => {
    const o = await specFor({ profile: 'demo' });
    const ov = istioOverlay(o, {}) as {
      spec: {
        profile: string;
        meshConfig: { accessLogFile?: string };
        components: {
          ingressGateways: { enabled: boolean; k8s: { service: { ports: { name: string; nodePort?: number }[] } } }[];
          egressGateways: { enabled: boolean }[];
        };
      };
    };
    expect(ov.spec.profile).toBe('demo');
    expect(ov.spec.meshConfig.accessLogFile).toBe('/dev/stdout');
    expect(ov.spec.components.ingressGateways[0]!.k8s.service.ports.map((p) => [p.name, p.nodePort])).toEqual([
      ['status-port', undefined],
      ['http2', 30080],
      ['https', 30043],
    ]);
    expect(ov.spec.components.egressGateways[0]!.enabled).toBe(true);
    const minimal = await specFor({ profile: 'minimal' });
    expect(overlayHash(overlayYaml(minimal, {}))).not.toBe(overlayHash(overlayYaml(o, {})));
    expect(overlayHash(overlayYaml(o, {}))).toBe(overlayHash(overlayYaml(o, {})));
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
