// Reading images out of objects: every pod template kind, init containers, Istio's `auto`, what
// every node pulls, and the registry of a reference as a container runtime reads it.
import { describe, expect, it } from 'vitest';
import { imagesOf, registryOf } from '../../src/kube/images.js';

const pod = (...images: string[]) => ({ containers: images.map((image, i) => ({ name: `c${i}`, image })) });

describe('images of objects', () => {
  it('walks every kind of pod template, init containers first, once per image', () => {
    const list = imagesOf(
      [
        {
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'shop' },
          spec: { template: { spec: { ...pod('nginx:1.29'), initContainers: [{ name: 'i', image: 'busybox:1.37' }] } } },
        },
        { kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop' }, spec: { template: { spec: pod('nginx:1.29') } } },
        { kind: 'CronJob', metadata: { name: 'tick', namespace: 'shop' }, spec: { jobTemplate: { spec: { template: { spec: pod('quay.io/x/tick:1') } } } } },
        { kind: 'Pod', metadata: { name: 'p' }, spec: pod('localhost:5001/app') },
        { kind: 'Service', metadata: { name: 'web' }, spec: { ports: [] } },
        { kind: 'ConfigMap', metadata: { name: 'c' }, data: { image: 'not-an-image' } },
      ],
      undefined,
    );
    expect(list.map((i) => [i.image, i.registry, i.usedBy])).toEqual([
      ['busybox:1.37', 'docker.io', ['shop/deployment/web']],
      ['localhost:5001/app', 'localhost:5001', ['pod/p']],
      ['nginx:1.29', 'docker.io', ['shop/deployment/web', 'shop/statefulset/db']],
      ['quay.io/x/tick:1', 'quay.io', ['shop/cronjob/tick']],
    ]);
  });

  it("Istio's gateways (image: auto) run the proxy; a DaemonSet's image is pulled by every node", () => {
    const list = imagesOf(
      [
        { kind: 'Deployment', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' }, spec: { template: { spec: pod('auto') } } },
        { kind: 'DaemonSet', metadata: { name: 'ztunnel', namespace: 'istio-system' }, spec: { template: { spec: pod('docker.io/istio/ztunnel:1.31.1') } } },
      ],
      'docker.io/istio/proxyv2:1.31.1',
    );
    expect(list.map((i) => [i.image, i.perNode])).toEqual([
      ['docker.io/istio/proxyv2:1.31.1', false],
      ['docker.io/istio/ztunnel:1.31.1', true],
    ]);
    // Without a proxy image, `auto` names nothing to pull.
    expect(imagesOf([{ kind: 'Deployment', metadata: { name: 'g' }, spec: { template: { spec: pod('auto') } } }])).toEqual([]);
  });

  it.each([
    ['nginx', 'docker.io'],
    ['library/nginx:1.29', 'docker.io'],
    ['istio/pilot:1.31.1', 'docker.io'],
    ['index.docker.io/istio/pilot:1.31.1', 'docker.io'],
    ['quay.io/kiali/kiali:v2.27', 'quay.io'],
    ['ghcr.io/prometheus-operator/prometheus-config-reloader:v0.89.0', 'ghcr.io'],
    ['localhost/app', 'localhost'],
    ['registry.local:5000/team/app@sha256:abc', 'registry.local:5000'],
  ])('%s comes from %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });
});
