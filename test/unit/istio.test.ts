import { describe, expect, it } from 'vitest';
import { diagnosePods } from '../../src/istio/diagnose.js';
import { planInjection } from '../../src/istio/injection.js';
import { istioOverlay, overlayHash, overlayYaml } from '../../src/istio/overlay.js';
import { archiveName, releaseUrl } from '../../src/istio/download.js';
import { parseIstioVersion } from '../../src/istio/version.js';
import { resolveOptions } from '../../src/config/resolve.js';
import type { KubeObject } from '../../src/tools/kubectl.js';

const pod = (name: string, status: unknown): KubeObject => ({ metadata: { name, namespace: 'istio-system' }, status });

describe('readiness diagnosis', () => {
  it('names scheduling, image, crash and proxy problems with a fix', () => {
    const why = diagnosePods([
      pod('istiod-1', { conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available: 1 Insufficient memory.' }] }),
      pod('gw-1', { containerStatuses: [{ name: 'istio-proxy', ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] }),
      pod('kiali-1', { containerStatuses: [{ name: 'kiali', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 2 } } }] }),
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

describe('injection plan', () => {
  const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, labels } });
  it('enables what is missing and removes only labels meshup marked', () => {
    const plan = planInjection(
      [ns('default', { 'istio-injection': 'enabled' }), ns('old', { 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' }), ns('byhand', { 'istio-injection': 'enabled' })],
      ['default', 'shop'],
    );
    expect(plan).toEqual({ enable: ['shop'], disable: ['old'], unchanged: ['default'] });
  });
  it('uses the revision label for a revisioned install', () => {
    expect(planInjection([ns('a', { 'istio-injection': 'enabled' })], ['a'], 'canary').enable).toEqual(['a']);
  });
});

describe('overlay', () => {
  it('pins the gateway nodePorts and follows the profile', async () => {
    const o = await resolveOptions({ flags: { profile: 'demo' }, env: {}, cwd: '/' });
    const ov = istioOverlay(o) as { spec: { profile: string; meshConfig: { accessLogFile?: string }; components: { ingressGateways: { enabled: boolean; k8s: { service: { ports: { name: string; nodePort?: number }[] } } }[]; egressGateways: { enabled: boolean }[] } } };
    expect(ov.spec.profile).toBe('demo');
    expect(ov.spec.meshConfig.accessLogFile).toBe('/dev/stdout');
    expect(ov.spec.components.ingressGateways[0]!.k8s.service.ports.map((p) => [p.name, p.nodePort])).toEqual([['status-port', undefined], ['http2', 30080], ['https', 30443]]);
    expect(ov.spec.components.egressGateways[0]!.enabled).toBe(true);
    const minimal = await resolveOptions({ flags: { profile: 'minimal' }, env: {}, cwd: '/' });
    expect(overlayHash(overlayYaml(minimal))).not.toBe(overlayHash(overlayYaml(o)));
    expect(overlayHash(overlayYaml(o))).toBe(overlayHash(overlayYaml(o)));
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

describe('option order', () => {
  it('takes defaults < profile < config < env < flags', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'meshup-resolve-'));
    writeFileSync(join(dir, 'meshup.yaml'), 'profile: demo\naddons: [kiali]\nclusterName: fromconfig\nresources: { cpus: 6 }\n');
    const o = await resolveOptions({ flags: { name: 'fromflag' }, env: { MESHUP_ADDONS: 'grafana', MESHUP_CLUSTER_NAME: 'fromenv' }, cwd: dir });
    expect(o.profile.name).toBe('demo');
    expect(o.sources.profile).toBe('config');
    expect(o.addons).toEqual(['grafana']);
    expect(o.sources.addons).toBe('env');
    expect(o.clusterName).toBe('fromflag');
    expect(o.resources.cpus).toBe(6);
    expect(o.resources.memoryMiB).toBe(4096);
    expect(o.sources.memory).toBe('profile');
    expect(o.istioVersion).toMatch(/^1\.\d+\.\d+$/);
    expect(o.sources.istioVersion).toBe('default');
  });
});
