// meshup versions: the version catalog — each Istio minor with the Kubernetes it supports and the
// Gateway API release it is built against — and, for this machine's kind and minikube, the
// Kubernetes a new cluster would get for each. The default Istio is marked.
import { type IstioRelease, PROVIDERS, type VersionCatalog } from '../config/schema.js';
import { DEFAULT_ISTIO_VERSION } from '../config/versions.js';
import { ToolMissingError } from '../errors.js';
import { providerFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import type { App } from '../session/app.js';
import { toolVersion } from '../tools/version.js';
import { table } from '../ui/table.js';

/** The providers the catalog says what Kubernetes they make (kind, minikube): the catalog keeps
 * their releases under their names. */
type Made = 'kind' | 'minikube';
const MADE = PROVIDERS.filter((n): n is Made => !!providerFor(n).kubernetesChoices && n in { kind: 1, minikube: 1 });

/** A cluster tool on this machine and the catalog entry its choices come from. */
interface ToolState {
  tool: Made;
  /** Its version, or undefined when it is not installed. */
  installed?: string;
  /** The catalog release whose Kubernetes it is shown making: its own, or the newest known. */
  release?: string;
  known: boolean;
}

const minorOf = (v: string) => Number(v.replace(/^v/, '').split('.')[1]);

/** The catalog as the tool at `release` sees it: that release first, so its choices are used. */
const asOf = (catalog: VersionCatalog, tool: ToolState['tool'], release: string | undefined): VersionCatalog => ({
  ...catalog,
  [tool]: catalog[tool].filter((r) => r.version === release),
});

function newestWithin(provider: Provider, catalog: VersionCatalog, r: IstioRelease) {
  return provider.kubernetesChoices?.(catalog).find((c) => minorOf(c.version) >= minorOf(r.kubernetes.min) && minorOf(c.version) <= minorOf(r.kubernetes.max));
}

async function toolState(app: App, catalog: VersionCatalog, tool: ToolState['tool']): Promise<ToolState> {
  let installed: string | undefined;
  try {
    installed = await toolVersion(app.runner(), providerFor(tool).tools[0]!);
    if (installed && !installed.startsWith('v')) installed = `v${installed}`;
  } catch (e) {
    if (!(e instanceof ToolMissingError)) throw e;
  }
  const own = catalog[tool].find((r) => r.version === installed);
  return { tool, installed, known: !!own, release: own?.version ?? catalog[tool][0]?.version };
}

export async function versions(app: App): Promise<void> {
  const catalog = await app.sources.versions();
  const tools = await Promise.all(MADE.map((t) => toolState(app, catalog, t)));
  const defaultMinor = DEFAULT_ISTIO_VERSION.split('.').slice(0, 2).join('.');
  const rows = catalog.istio.map((r) => ({
    istio: r.minor,
    default: r.minor === defaultMinor,
    kubernetes: r.kubernetes,
    gatewayApi: r.gatewayApi,
    notes: r.notes ?? [],
    newCluster: Object.fromEntries(
      tools.map((t) => {
        const c = newestWithin(providerFor(t.tool), asOf(catalog, t.tool, t.release), r);
        return [t.tool, c ? { kubernetes: c.version, ...(c.image ? { image: c.image } : {}) } : null];
      }),
    ),
  }));
  app.out.result({ defaultIstio: DEFAULT_ISTIO_VERSION, tools, istio: rows });

  const head = (t: ToolState) => `${t.tool.toUpperCase()} ${t.release ?? '?'}`;
  app.out.print(
    table(
      ['ISTIO', 'KUBERNETES', 'GATEWAY API', ...tools.map(head)],
      rows.map((r) => [
        `${r.istio}${r.default ? ' (default)' : ''}`,
        `${r.kubernetes.min} to ${r.kubernetes.max}`,
        `${r.gatewayApi.version} ${r.gatewayApi.channel}`,
        ...tools.map((t) => r.newCluster[t.tool]?.kubernetes ?? 'none in range'),
      ]),
    ),
  );
  app.out.print();
  for (const t of tools) {
    const what = t.installed
      ? t.known
        ? `${t.tool} ${t.installed} is installed: the column shows what it makes`
        : `${t.tool} ${t.installed} is installed but not in the catalog: the column shows ${t.tool} ${t.release}'s node versions (others are supported best effort)`
      : `${t.tool} is not installed: the column shows what ${t.tool} ${t.release} makes`;
    // Its own default may lie outside an Istio's range (kind v0.33.0's is 1.37): meshup asks for
    // the version in the column instead.
    const own = (catalog[t.tool] as readonly { version: string; default: string }[]).find((r) => r.version === t.release)?.default;
    app.out.print(`${what}${own ? `; its own default is ${own.split('@')[0]} (meshup asks for the column's version)` : ''}`);
  }
  for (const r of rows) for (const n of r.notes) app.out.print(`Istio ${r.istio}: ${n}`);
}
