// How two Gateway API releases compare. Which one each Istio minor is built against is the
// version catalog's to say (versions/catalog.yaml).
// The Gateway API CRDs are not part of Istio: they must match what istiod was compiled with.
// CRDs newer than istiod knows can keep it from becoming ready (istio/istio#59443); older ones
// hide the kinds and fields istiod reads, so routes vanish without an error (Istio 1.30's upgrade
// notes). Patch releases of one Gateway API minor change no API (its versioning policy), so a
// patch difference is compatible; any other difference is not.

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
