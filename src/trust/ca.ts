// One root of trust for every cluster of a mesh, and an intermediate CA per cluster signed by it,
// as Istio's plugged-in CA takes them (the istio-system/cacerts Secret, read by istiod at its
// start). Made with openssl on this machine, never downloaded; kept in meshup's state directory
// (directories 0700, keys 0600), reused on every run, made again only when asked (rotate) or when
// what is on disk is not a valid chain. Files are written beside their place and renamed in, so a
// run stopped midway leaves the old set or the new one, never half of each.
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateDir } from '../config/paths.js';
import type { Runner } from '../exec/runner.js';
import { INTERMEDIATE_EXTENSIONS, openssl, requestArgs, rootArgs, signArgs } from '../tools/openssl.js';

export const trustDir = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'trust');
const clusterDir = (env: NodeJS.ProcessEnv, cluster: string) => join(trustDir(env), 'clusters', cluster);

/** What istiod reads from cacerts, PEM each. */
export interface ClusterCerts {
  caCert: string;
  caKey: string;
  rootCert: string;
  certChain: string;
}

/** Why a chain is not usable; undefined when it is: the root a CA, the intermediate a CA the root
 * signed, both within their validity, the key the intermediate's. */
export function chainProblem(c: { caCert: string; caKey?: string; rootCert: string }, now = new Date()): string | undefined {
  let root: X509Certificate;
  let ca: X509Certificate;
  try {
    root = new X509Certificate(c.rootCert);
    ca = new X509Certificate(c.caCert);
  } catch (e) {
    return `a certificate does not parse (${(e as Error).message})`;
  }
  if (!root.ca) return 'the root is not a CA certificate';
  if (!ca.ca) return 'the intermediate is not a CA certificate';
  if (!ca.checkIssued(root) || !ca.verify(root.publicKey)) return 'the intermediate was not signed by this root';
  for (const [what, cert] of [
    ['root', root],
    ['intermediate', ca],
  ] as const) {
    if (new Date(cert.validTo) <= now) return `the ${what} expired on ${cert.validTo}`;
    if (new Date(cert.validFrom) > now) return `the ${what} is not valid before ${cert.validFrom}`;
  }
  if (c.caKey) {
    try {
      if (!ca.checkPrivateKey(createPrivateKey(c.caKey))) return "the intermediate's key is not its own";
    } catch (e) {
      return `the intermediate's key does not parse (${(e as Error).message})`;
    }
  }
  return undefined;
}

async function readIf(file: string): Promise<string | undefined> {
  return existsSync(file) ? readFile(file, 'utf8') : undefined;
}

/** Runs `make` in a fresh directory beside `dir`, then puts that directory in its place. */
async function replaceDir(dir: string, make: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(join(dir, '..'), { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(`${dir}.new-`);
  try {
    await chmod(tmp, 0o700);
    await make(tmp);
    // The old set moves aside before the new one takes its place: a stop in between leaves one
    // of them whole (the old one under .old, found and put back by nothing but a person).
    const old = `${dir}.old`;
    await rm(old, { recursive: true, force: true });
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface Ensured {
  /** made now, or found and reused */
  made: boolean;
  /** why the one on disk was not reused, when it was there */
  replaced?: string;
}

/** The mesh's root: reused when valid; made when missing, invalid, or `rotate`. */
export async function ensureRoot(runner: Runner, o: { rotate?: boolean } = {}): Promise<Ensured> {
  const dir = join(trustDir(runner.env), 'root');
  const [cert, key] = await Promise.all([readIf(join(dir, 'root-cert.pem')), readIf(join(dir, 'root-key.pem'))]);
  let problem: string | undefined = o.rotate ? 'rotation was asked for' : undefined;
  if (!problem && cert && key) {
    try {
      const root = new X509Certificate(cert);
      if (!root.ca) problem = 'it is not a CA certificate';
      else if (!root.checkPrivateKey(createPrivateKey(key))) problem = 'its key is not its own';
      else if (new Date(root.validTo) <= new Date()) problem = `it expired on ${root.validTo}`;
    } catch (e) {
      problem = `it does not parse (${(e as Error).message})`;
    }
    if (!problem) return { made: false };
  }
  await replaceDir(dir, async (tmp) => {
    await openssl(runner, rootArgs(tmp, '/O=meshup/CN=meshup root CA'), 'Making the mesh’s root certificate');
    await chmod(join(tmp, 'root-key.pem'), 0o600);
  });
  return { made: true, ...(cert || key ? { replaced: problem ?? 'it was incomplete' } : {}) };
}

/** A cluster's intermediate, signed by the root: reused while it chains to the root on disk. */
export async function ensureIntermediate(runner: Runner, cluster: string, o: { rotate?: boolean } = {}): Promise<Ensured> {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(cluster)) throw new Error(`not a cluster name: ${cluster}`);
  const env = runner.env;
  const rootDir = join(trustDir(env), 'root');
  const dir = clusterDir(env, cluster);
  const rootCert = await readIf(join(rootDir, 'root-cert.pem'));
  if (!rootCert) throw new Error('the root certificate is missing: ensureRoot first');
  const [caCert, caKey] = await Promise.all([readIf(join(dir, 'ca-cert.pem')), readIf(join(dir, 'ca-key.pem'))]);
  const problem = o.rotate ? 'rotation was asked for' : caCert && caKey ? chainProblem({ caCert, caKey, rootCert }) : undefined;
  if (caCert && caKey && !problem) return { made: false };
  await replaceDir(dir, async (tmp) => {
    await openssl(runner, requestArgs(tmp, `/O=meshup/CN=meshup intermediate CA/L=${cluster}`), `Making the intermediate CA of ${cluster}`);
    await writeFile(join(tmp, 'ca.ext'), INTERMEDIATE_EXTENSIONS);
    await openssl(runner, signArgs(tmp, rootDir, randomBytes(16).toString('hex')), `Signing the intermediate CA of ${cluster} with the root`);
    await chmod(join(tmp, 'ca-key.pem'), 0o600);
    await rm(join(tmp, 'ca.csr'), { force: true });
    await rm(join(tmp, 'ca.ext'), { force: true });
  });
  return { made: true, ...(caCert || caKey ? { replaced: problem ?? 'it was incomplete' } : {}) };
}

/** The files istiod reads for a cluster, as they are on disk. */
export async function clusterCerts(env: NodeJS.ProcessEnv, cluster: string): Promise<ClusterCerts> {
  const dir = clusterDir(env, cluster);
  const [caCert, caKey, rootCert] = await Promise.all([
    readFile(join(dir, 'ca-cert.pem'), 'utf8'),
    readFile(join(dir, 'ca-key.pem'), 'utf8'),
    readFile(join(trustDir(env), 'root', 'root-cert.pem'), 'utf8'),
  ]);
  return { caCert, caKey, rootCert, certChain: `${caCert.trimEnd()}\n${rootCert.trimEnd()}\n` };
}

/** istio-system/cacerts, as Istio's plugged-in CA reads it. */
export function cacertsSecret(c: ClusterCerts): Record<string, unknown> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: 'cacerts', namespace: 'istio-system', labels: { 'app.kubernetes.io/managed-by': 'meshup' } },
    data: { 'ca-cert.pem': b64(c.caCert), 'ca-key.pem': b64(c.caKey), 'root-cert.pem': b64(c.rootCert), 'cert-chain.pem': b64(c.certChain) },
  };
}
