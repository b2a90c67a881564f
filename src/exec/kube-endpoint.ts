// Where a kube context's API server is and how to authenticate to it, read from the kubeconfig
// files kubectl reads, for the runner's direct reads. Only what needs no program is resolved:
// client certificates, bearer tokens, a CA or insecure-skip-tls-verify. A context that needs more
// (an exec or auth-provider plugin, a proxy, basic auth, impersonation) resolves to undefined and
// its reads go through kubectl, which knows them all.
import { readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { home } from '../config/paths.js';

export interface KubeEndpoint {
  /** The server URL without a trailing slash. */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecure: boolean;
  /** tls-server-name: the name the server's certificate is checked against. */
  serverName?: string;
}

type Entry<T> = { name?: unknown } & T;
interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}
interface UserEntry {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
  [other: string]: unknown;
}
interface KubeconfigFile {
  contexts?: Entry<{ context?: { cluster?: string; user?: string } }>[] | null;
  clusters?: Entry<{ cluster?: ClusterEntry }>[] | null;
  users?: Entry<{ user?: UserEntry | null }>[] | null;
}

/** The user fields this resolver knows how to use; any other set field means "ask kubectl". */
const USER_FIELDS = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile']);

interface KubeconfigDoc {
  doc: KubeconfigFile;
  /** The directory of its file: relative paths in it are relative to this. */
  dir: string;
}

/** The file a cluster tool writes a new context to: the first of KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  const first = env.KUBECONFIG?.split(delimiter).find(Boolean);
  return first ? resolve(cwd, first) : join(home(env), '.kube', 'config');
}

/** The files kubectl reads (those of KUBECONFIG in order, else ~/.kube/config), parsed; files that
 * are not there are skipped; undefined when one cannot be read or parsed. A relative KUBECONFIG
 * entry is relative to where kubectl runs. */
export function readKubeconfigs(env: NodeJS.ProcessEnv, home: string, cwd = process.cwd()): KubeconfigDoc[] | undefined {
  const files = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(home, '.kube', 'config')];
  const docs: KubeconfigDoc[] = [];
  for (const file of files.map((f) => (isAbsolute(f) ? f : join(cwd, f)))) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return undefined;
    }
    try {
      docs.push({ doc: (load(text) ?? {}) as KubeconfigFile, dir: dirname(file) });
    } catch {
      return undefined;
    }
  }
  return docs;
}

/** The first file that names an entry wins, as in kubectl's merge; a relative path in an entry is
 * relative to the file that holds it. */
function pick<T>(docs: KubeconfigDoc[], list: (d: KubeconfigFile) => Entry<T>[] | null | undefined, name: string) {
  for (const { doc, dir } of docs) {
    const hit = list(doc)?.find((e) => e?.name === name);
    if (hit) return { entry: hit, dir };
  }
  return undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/** Resolves `context`, or undefined when kubectl is needed (see the header) or a file cannot be
 * read. Never throws. */
export function resolveKubeEndpoint(env: NodeJS.ProcessEnv, home: string, context: string, cwd = process.cwd()): KubeEndpoint | undefined {
  try {
    const docs = readKubeconfigs(env, home, cwd);
    if (!docs) return undefined;
    const ctx = pick(docs, (d) => d.contexts, context)?.entry.context;
    if (!ctx?.cluster) return undefined;
    const cluster = pick(docs, (d) => d.clusters, ctx.cluster);
    const c = cluster?.entry.cluster;
    if (!c?.server || c['proxy-url']) return undefined;
    const url = new URL(c.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    // kubectl would send a non-loopback request through HTTPS_PROXY; meshup does not proxy.
    if (!LOOPBACK.test(url.hostname) && (env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy)) return undefined;
    // kubectl refuses a CA together with insecure-skip-tls-verify, and a user that is not there.
    const insecure = c['insecure-skip-tls-verify'] === true;
    if (insecure && (c['certificate-authority'] || c['certificate-authority-data'])) return undefined;
    const user = ctx.user ? pick(docs, (d) => d.users, ctx.user) : undefined;
    if (ctx.user && !user) return undefined;
    const u = user?.entry.user ?? {};
    if (Object.entries(u).some(([k, v]) => v !== undefined && v !== null && v !== '' && !USER_FIELDS.has(k))) return undefined;
    // Over plain HTTP kubectl sends no credentials at all (client-go reads them only for TLS).
    if (url.protocol === 'http:') return { server: c.server.replace(/\/+$/, ''), insecure };
    const file = (p: string, dir: string) => readFileSync(isAbsolute(p) ? p : join(dir, p));
    const data = (inline: string | undefined, path: string | undefined, dir: string) =>
      inline ? Buffer.from(inline, 'base64') : path ? file(path, dir) : undefined;
    const udir = user?.dir ?? '';
    // A token file beats an inline token, as in client-go.
    const token = u.tokenFile ? file(u.tokenFile, udir).toString('utf8').trim() : u.token;
    return {
      server: c.server.replace(/\/+$/, ''),
      ca: data(c['certificate-authority-data'], c['certificate-authority'], cluster?.dir ?? ''),
      cert: data(u['client-certificate-data'], u['client-certificate'], udir),
      key: data(u['client-key-data'], u['client-key'], udir),
      token: token || undefined,
      insecure,
      serverName: c['tls-server-name'] || undefined,
    };
  } catch {
    return undefined;
  }
}
