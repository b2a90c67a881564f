import { describe, expect, it } from 'vitest';
import { asIstioctlInstalls } from '../../src/istio/ownership.js';

// The labels istioctl 1.31's install gives what it applies (operator/pkg/install getOwnerLabels),
// which its pruning later selects by.
describe('asIstioctlInstalls', () => {
  it("gives a gateway's object the gateways' IstioOperator and keeps the chart's labels", () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'istio-ingressgateway',
        namespace: 'istio-system',
        labels: { app: 'istio-ingressgateway', 'install.operator.istio.io/owning-resource': 'unknown', 'operator.istio.io/component': 'IngressGateways' },
      },
      spec: { type: 'LoadBalancer' },
    };
    const out = asIstioctlInstalls(svc, '1.31.1');
    expect(out.metadata).toEqual({
      name: 'istio-ingressgateway',
      namespace: 'istio-system',
      labels: {
        app: 'istio-ingressgateway',
        'operator.istio.io/component': 'IngressGateways',
        'operator.istio.io/managed': 'Reconcile',
        'operator.istio.io/version': '1.31.1',
        'install.operator.istio.io/owning-resource': 'meshup-gateways',
        'install.operator.istio.io/owning-resource-namespace': 'istio-system',
        'istio.io/rev': 'default',
      },
    });
    expect(out.spec).toBe(svc.spec);
    // The input is left as it was.
    expect(svc.metadata.labels['install.operator.istio.io/owning-resource']).toBe('unknown');
  });

  it("gives the control plane's objects the control plane's IstioOperator, with no component where the chart sets none", () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'virtualservices.networking.istio.io' } };
    const labels = (asIstioctlInstalls(crd, '1.31.1').metadata as { labels: Record<string, string> }).labels;
    expect(labels['install.operator.istio.io/owning-resource']).toBe('meshup');
    expect(labels).not.toHaveProperty('operator.istio.io/component');
    const istiod = { kind: 'Deployment', metadata: { name: 'istiod', labels: { 'operator.istio.io/component': 'Pilot' } } };
    expect((asIstioctlInstalls(istiod, '1.31.1').metadata as { labels: Record<string, string> }).labels['install.operator.istio.io/owning-resource']).toBe(
      'meshup',
    );
  });
});
