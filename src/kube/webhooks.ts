// A webhook someone pointed at a URL (istiod run outside the cluster, as in Istio's own remote
// istiod setups, or this project's real-istiod tests) keeps its URL through meshup's apply. The
// chart names the Service, and the API server refuses a webhook that names both: applied as
// rendered, the repair would fail, and undo a deliberate choice if it did not. Pure.
import type { KubeObject } from './objects.js';

const WEBHOOK_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

interface Webhook {
  name?: string;
  clientConfig?: { url?: string; service?: unknown; caBundle?: string };
}

/** The object as meshup applies it, with the URL of each webhook the live object points at one. */
export function keepingWebhookUrls(wanted: Record<string, unknown>, live: KubeObject | undefined): Record<string, unknown> {
  if (!live || !WEBHOOK_KINDS.has(String(wanted.kind)) || !Array.isArray(wanted.webhooks)) return wanted;
  const liveHooks = ((live as { webhooks?: Webhook[] }).webhooks ?? []).filter((h) => h.clientConfig?.url && !h.clientConfig.service);
  if (!liveHooks.length) return wanted;
  const webhooks = (wanted.webhooks as Webhook[]).map((w) => {
    const url = liveHooks.find((h) => h.name === w.name)?.clientConfig?.url;
    if (!url) return w;
    const { service: _service, ...rest } = w.clientConfig ?? {};
    return { ...w, clientConfig: { ...rest, url } };
  });
  return { ...wanted, webhooks };
}
