// Labels meshup puts on objects, so it can find and remove exactly what it set and nothing a
// user set by hand (the Banzai operator's rule).

/** On a namespace whose injection label meshup set. */
export const INJECTION_MARKER = 'meshup.dev/injection';
/** On every object of an addon meshup applied; the value is the addon's name. */
export const ADDON_LABEL = 'meshup.dev/addon';
export const ISTIO_NAMESPACE = 'istio-system';
/** On every object meshup writes itself (not an addon's, which carry ADDON_LABEL). */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'meshup' } as const;
/** On every Gateway API object meshup installed (CRDs and the bundle's admission policy); the value
 * is the bundle version. Only objects carrying it are ever removed by meshup. */
export const GATEWAY_API_LABEL = 'meshup.dev/gateway-api';
/** On every object `meshup expose` creates; the value is the exposed Service's name (or "shared"
 * on the Gateway API gateway all routes share, its options and its namespace). */
export const EXPOSE_LABEL = 'meshup.dev/expose';
/** On an object meshup applied, set by a person: leave it as it is (its content is neither
 * compared nor repaired; the plan says so). */
export const LEAVE_ALONE_ANNOTATION = 'meshup.dev/leave-alone';

/** The revision name of a version, as Istio's canary docs name them: 1.31.1 → 1-31-1. */
export const revisionOf = (version: string) =>
  version
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** istiod's Deployment (and Service) name: the revision's, or the default one's. */
export const istiodName = (revision?: string) => (revision ? `istiod-${revision}` : 'istiod');
