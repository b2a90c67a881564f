// A webhook pointed at a URL keeps it through meshup's apply; everything else is applied as rendered.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { keepingWebhookUrls } from '../../src/kube/webhooks.js';

const rendered = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: 'istio-validator-istio-system' },
  webhooks: [
    {
      name: 'rev.validation.istio.io',
      clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/validate' } },
      rules: [{ apiGroups: ['networking.istio.io'] }],
    },
    { name: 'other.validation.istio.io', clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/validate' } } },
  ],
};
const live = (clientConfig: Record<string, unknown>): KubeObject =>
  ({ ...rendered, metadata: { name: rendered.metadata.name }, webhooks: [{ name: 'rev.validation.istio.io', clientConfig }] }) as KubeObject;

describe('keepingWebhookUrls', () => {
  it('keeps the URL of a webhook the live object points at one, and only that webhook’s', () => {
    const kept = keepingWebhookUrls(rendered, live({ url: 'https://127.0.0.1:15017/validate', caBundle: 'Y2E=' })) as typeof rendered;
    expect(kept.webhooks[0]).toEqual({
      name: 'rev.validation.istio.io',
      clientConfig: { url: 'https://127.0.0.1:15017/validate' },
      rules: [{ apiGroups: ['networking.istio.io'] }],
    });
    expect(kept.webhooks[1]).toBe(rendered.webhooks[1]);
  });

  it('applies as rendered when the live webhook names its Service, when there is none, or for another kind', () => {
    expect(keepingWebhookUrls(rendered, live({ service: { name: 'istiod', namespace: 'istio-system' } }))).toBe(rendered);
    expect(keepingWebhookUrls(rendered, undefined)).toBe(rendered);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    expect(keepingWebhookUrls(cm, live({ url: 'https://127.0.0.1:1/' }))).toBe(cm);
  });
});
