// Which Gateway API release each Istio minor is built against, and how two releases compare.
// The Gateway API CRDs are not part of Istio: they must match what istiod was compiled with.
// CRDs newer than istiod knows can keep it from becoming ready (istio/istio#59443); older ones
// hide the kinds and fields istiod reads, so routes vanish without an error (Istio 1.30's upgrade
// notes). Patch releases of one Gateway API minor change no API (its versioning policy), so a
// patch difference is compatible; any other difference is not.

/**
 * Source: the `sigs.k8s.io/gateway-api` requirement in istio.io/istio's go.mod at each minor's
 * newest release tag in the istio/istio repository (1.24.6, 1.25.5, 1.26.8, 1.27.9, 1.28.10,
 * 1.29.6, 1.30.3), and for 1.31 the release-1.31 module the tests build
 * (istio.io/istio v0.0.0-20260827124520-eed52ebb66ad, test/cluster/istio/go.mod). Earlier patches
 * of a minor sometimes required an earlier patch of the same Gateway API minor (1.24.0: v1.2.0,
 * 1.28.0 and 1.29.0: v1.4.0; 1.26.0: a v1.3.0 pre-release), which the patch rule above covers.
 */
const GATEWAY_API_FOR_ISTIO_MINOR: Readonly<Record<number, string>> = {
  24: 'v1.2.1',
  25: 'v1.2.1',
  26: 'v1.3.0',
  27: 'v1.3.0',
  28: 'v1.4.1',
  29: 'v1.4.1',
  30: 'v1.5.1',
  31: 'v1.6.0',
};

/** The Istio minors the table knows, oldest first. */
export const KNOWN_ISTIO_MINORS: readonly number[] = Object.keys(GATEWAY_API_FOR_ISTIO_MINOR)
  .map(Number)
  .sort((a, b) => a - b);

/** The Gateway API release an Istio version is built against; undefined for a minor meshup does
 * not know (then meshup refuses to guess: see plan.ts). */
export function gatewayApiVersionFor(istioVersion: string): string | undefined {
  const m = /^v?1\.(\d+)\./.exec(istioVersion);
  return m ? GATEWAY_API_FOR_ISTIO_MINOR[Number(m[1])] : undefined;
}

interface Release {
  major: number;
  minor: number;
  patch: number;
  pre?: string;
}

function parse(v: string): Release | undefined {
  const m = /^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] } : undefined;
}

/** How an installed bundle version stands to the wanted one. A pre-release (v1.6.0-rc.1) is never
 * compatible: its CRDs may still change before the release. */
export type Relation = 'equal' | 'compatible' | 'older' | 'newer' | 'unknown';

export function compareBundle(installed: string | undefined, wanted: string): Relation {
  const a = installed ? parse(installed) : undefined;
  const b = parse(wanted);
  if (!a || !b) return 'unknown';
  if (installed === wanted) return 'equal';
  const order = [a.major - b.major, a.minor - b.minor, a.patch - b.patch].find((d) => d !== 0) ?? 0;
  if (a.major === b.major && a.minor === b.minor && !a.pre && !b.pre) return 'compatible';
  if (order !== 0) return order > 0 ? 'newer' : 'older';
  // Same numbers, one a pre-release: a pre-release comes before its release.
  return a.pre && !b.pre ? 'older' : b.pre && !a.pre ? 'newer' : (a.pre ?? '') < (b.pre ?? '') ? 'older' : 'newer';
}

/** Releases from v1.5.0 on carry the safe-upgrades ValidatingAdmissionPolicy, which refuses CRDs of
 * an older minor: going back below such a release needs that policy out of the way first. */
export function carriesSafeUpgradesPolicy(version: string): boolean {
  const r = parse(version);
  return !!r && (r.major > 1 || (r.major === 1 && r.minor >= 5));
}

/** Whether a is a later release than b (both valid bundle versions). */
export function isLater(a: string, b: string): boolean {
  return compareBundle(a, b) === 'newer' || (compareBundle(a, b) === 'compatible' && (parse(a)?.patch ?? 0) > (parse(b)?.patch ?? 0));
}
