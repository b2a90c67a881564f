// The planner's input as the in-process tests give it: the bundled addon catalog, a kind context
// named after the cluster, and fixed overlay and bundle paths; `more` sets the rest (only, force…).
import { loadAddonCatalog } from '../../src/config/catalog.js';
import type { Spec } from '../../src/config/spec.js';
import type { Observed } from '../../src/observe/evaluate.js';
import type { PlanInput } from '../../src/plan/types.js';
import { providerFor } from '../../src/providers/index.js';

export const addonCatalog = await loadAddonCatalog();

export function planInput(spec: Spec, observed: Observed, more: Partial<PlanInput> = {}): PlanInput {
  return {
    spec,
    observed,
    provider: providerFor(spec.provider),
    catalog: addonCatalog,
    context: `kind-${spec.clusterName}`,
    overlayPath: '/state/istio-overlay.yaml',
    gatewayApiBundle: '/cache/gateway-api/standard-install.yaml',
    ...more,
  };
}
