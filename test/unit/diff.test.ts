// Field-level differences between an object as it is and as meshup's apply would make it, and
// who changed each field, from the object's managedFields.
import { describe, expect, it } from 'vitest';
import { describeChange, diffObjects } from '../../src/kube/diff.js';
import type { KubeObject } from '../../src/kube/objects.js';

const deployment = (replicas: number, image: string, managedFields: unknown[] = []): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'grafana', namespace: 'istio-system', resourceVersion: String(replicas), labels: { app: 'grafana' }, ...{ managedFields } },
  spec: { replicas, template: { spec: { containers: [{ name: 'grafana', image, ports: [{ containerPort: 3000 }] }] } } },
  status: { readyReplicas: replicas },
});

describe('diffObjects', () => {
  it('finds nothing when only the server’s bookkeeping and the status differ', () => {
    const a = deployment(1, 'grafana:11');
    const b = { ...deployment(1, 'grafana:11'), status: { readyReplicas: 0 } };
    b.metadata.resourceVersion = '99';
    expect(diffObjects(a, b)).toEqual([]);
  });

  it('names each changed field by a readable path, with the manager that owns it now', () => {
    const live = deployment(0, 'evil:1', [
      { manager: 'meshup', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } } },
      { manager: 'kubectl', operation: 'Update', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      {
        manager: 'kubectl-set',
        operation: 'Update',
        fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"grafana"}': { 'f:image': {} } } } } } },
      },
    ]);
    const changes = diffObjects(live, deployment(1, 'grafana:11'));
    expect(changes).toEqual([
      { path: 'spec.replicas', have: 0, want: 1, by: 'kubectl (scale)' },
      { path: 'spec.template.spec.containers[name=grafana].image', have: 'evil:1', want: 'grafana:11', by: 'kubectl-set' },
    ]);
    expect(changes.map(describeChange)).toEqual([
      'spec.replicas 0 → 1 (changed by kubectl (scale))',
      'spec.template.spec.containers[name=grafana].image "evil:1" → "grafana:11" (changed by kubectl-set)',
    ]);
  });

  it('a removed label or a list of another length is one change; ignored paths are left out', () => {
    const live = deployment(1, 'grafana:11');
    live.metadata.labels = {};
    const want = deployment(1, 'grafana:11');
    (want.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers.push({ name: 'sidecar', image: 's:1' });
    expect(diffObjects(live, want).map((c) => c.path)).toEqual(['metadata.labels.app', 'spec.template.spec.containers']);
    expect(diffObjects(live, want, (p) => p.startsWith('metadata.')).map((c) => c.path)).toEqual(['spec.template.spec.containers']);
  });

  it('a field that is gone is laid to whoever rewrote its parent, never to the applier around it', () => {
    const webhook = (selector: Record<string, unknown>, managedFields: unknown[] = []): KubeObject => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'istio-sidecar-injector', ...{ managedFields } },
      webhooks: [{ name: 'rev.namespace.sidecar-injector.istio.io', namespaceSelector: selector }],
    });
    const wanted = webhook({ matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['default'] }] });
    const byIstioctl = webhook({ matchLabels: { 'istio.io/deactivated': 'never-match' } }, [
      {
        manager: 'istio-operator',
        operation: 'Apply',
        time: '2026-12-07T10:00:00Z',
        fieldsV1: { 'f:webhooks': { 'k:{"name":"rev.namespace.sidecar-injector.istio.io"}': { 'f:name': {} } } },
      },
      {
        manager: 'istioctl',
        operation: 'Update',
        time: '2026-12-07T10:00:05Z',
        fieldsV1: {
          'f:webhooks': {
            'k:{"name":"rev.namespace.sidecar-injector.istio.io"}': { 'f:namespaceSelector': { 'f:matchLabels': { 'f:istio.io/deactivated': {} } } },
          },
        },
      },
    ]);
    expect(diffObjects(byIstioctl, wanted).map((c) => [c.path, c.by])).toEqual([
      ['webhooks[name=rev.namespace.sidecar-injector.istio.io].namespaceSelector.matchExpressions', 'istioctl'],
      ['webhooks[name=rev.namespace.sidecar-injector.istio.io].namespaceSelector.matchLabels', 'istioctl'],
    ]);
    // The same gap left by a label removal, with only the applier's fields around it: no one to name.
    const emptied = webhook({ matchLabels: { team: 'a' } }, [
      {
        manager: 'istio-operator',
        operation: 'Apply',
        fieldsV1: {
          'f:webhooks': { 'k:{"name":"rev.namespace.sidecar-injector.istio.io"}': { 'f:namespaceSelector': { 'f:matchLabels': { 'f:team': {} } } } },
        },
      },
    ]);
    expect(diffObjects(emptied, wanted).find((c) => c.path.endsWith('matchExpressions'))?.by).toBeUndefined();
    // A label selector is atomic: istioctl's managedFields name the selector, not its insides.
    const atomic = webhook({ matchLabels: { 'istio.io/deactivated': 'never-match' } }, [
      {
        manager: 'istioctl',
        operation: 'Update',
        fieldsV1: { 'f:webhooks': { 'k:{"name":"rev.namespace.sidecar-injector.istio.io"}': { 'f:namespaceSelector': {} } } },
      },
    ]);
    expect(diffObjects(atomic, wanted).map((c) => c.by)).toEqual(['istioctl', 'istioctl']);
  });
});
