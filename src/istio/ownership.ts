// Objects meshup applies itself from the manifest istioctl rendered (a new mesh's gateways, a
// repair's missing objects) go in as `istioctl install` puts them in: server-side applied under
// its field manager, with its owner labels (Istio 1.31 operator/pkg/install: serverSideApply and
// getOwnerLabels). A later install of the same IstioOperator then finds them as its own: it
// updates them without conflicts, and its pruning (which selects by exactly these labels) removes
// them once they are no longer wanted.
import { controlPlaneOperator, GATEWAYS_OPERATOR } from './overlay.js';

export const ISTIOCTL_FIELD_MANAGER = 'istio-operator';
/** The component an object belongs to; Istio's charts set it on the gateways' objects. */
const COMPONENT_LABEL = 'operator.istio.io/component';
export const GATEWAY_COMPONENTS: readonly string[] = ['IngressGateways', 'EgressGateways'];

type Obj = Record<string, unknown>;

const labelsOf = (o: Obj) => ((o.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) as Record<string, string>;

export const componentOf = (o: Obj): string | undefined => labelsOf(o)[COMPONENT_LABEL];

/** The IstioOperator (of meshup's two) whose install renders this object. */
const operatorOf = (o: Obj, revision?: string): string =>
  GATEWAY_COMPONENTS.includes(componentOf(o) ?? '') ? GATEWAYS_OPERATOR : controlPlaneOperator(revision);

/** The object with the labels istioctl's install (of `version`) would give it. meshup's overlays
 * live in istio-system; `revision` is the install's (undefined: the default one). */
export function asIstioctlInstalls(o: Obj, version: string, revision?: string): Obj {
  const md = (o.metadata ?? {}) as Obj;
  return {
    ...o,
    metadata: {
      ...md,
      labels: {
        ...labelsOf(o),
        'operator.istio.io/managed': 'Reconcile',
        'operator.istio.io/version': version,
        'install.operator.istio.io/owning-resource': operatorOf(o, revision),
        'install.operator.istio.io/owning-resource-namespace': 'istio-system',
        'istio.io/rev': revision ?? 'default',
      },
    },
  };
}
