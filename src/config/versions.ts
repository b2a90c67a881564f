// The Istio release meshup installs unless told otherwise, and what a valid version looks like.

/** A recent stable release; `--istio-version` or `istioVersion` picks another. */
export const DEFAULT_ISTIO_VERSION = '1.31.1';

/** Oldest minor meshup supports: 1.24 removed the commands older meshups relied on. */
export const MIN_ISTIO_MINOR = 24;

export interface IstioVersion {
  major: number;
  minor: number;
  patch: number;
  pre?: string;
}

export function parseIstioVersion(v: string): IstioVersion | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(v);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] };
}
