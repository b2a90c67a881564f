// Memory and disk sizes as users write them ("8g", "8192m", "8Gi", "4096"), in MiB.

const UNITS: Record<string, number> = {
  '': 1,
  m: 1,
  mb: 1,
  mi: 1,
  mib: 1,
  g: 1024,
  gb: 1024,
  gi: 1024,
  gib: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
  ti: 1024 * 1024,
  tib: 1024 * 1024,
};

export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*([mMgGtT][iI]?[bB]?)?$';

/** MiB for a size; a bare number is MiB. Returns undefined when it is not a size. */
export function parseMiB(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

export function formatMiB(mib: number): string {
  if (mib >= 1024 && mib % 1024 === 0) return `${mib / 1024} GiB`;
  if (mib >= 1024) return `${(mib / 1024).toFixed(1)} GiB`;
  return `${mib} MiB`;
}

/** Kubernetes quantities as kubectl reports them (cpu "2", "500m"; memory "16318848Ki"). */
export function parseKubeCpuMillis(q: string): number {
  if (q.endsWith('m')) return Number(q.slice(0, -1));
  return Math.round(Number(q) * 1000);
}

export function parseKubeMemoryMiB(q: string): number {
  const m = /^([0-9.]+)([KMGTP]i?|[kmgtpe])?$/.exec(q);
  if (!m) return NaN;
  const n = Number(m[1]);
  const f: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    Ti: 1024 ** 2,
    Pi: 1024 ** 3,
    k: 1000 / 1024 ** 2,
    K: 1000 / 1024 ** 2,
    M: 1e6 / 1024 ** 2,
    G: 1e9 / 1024 ** 2,
    T: 1e12 / 1024 ** 2,
  };
  return Math.floor(n * (m[2] ? (f[m[2]] ?? NaN) : 1 / 1024 ** 2));
}
