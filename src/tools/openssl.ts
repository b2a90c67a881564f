// openssl: the mesh's certificate authority on this machine (trust/ca.ts says which files). Keys
// are RSA 2048 (every Istio release takes them as a plugged-in CA), written unencrypted: they live
// in meshup's state directory with the permissions of a private key.
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';

const KEY = ['-newkey', 'rsa:2048', '-nodes', '-sha256'];

/** A self-signed root, valid ten years. */
export const rootArgs = (dir: string, subject: string) => [
  'req',
  '-x509',
  ...KEY,
  '-days',
  '3650',
  '-subj',
  subject,
  '-addext',
  'basicConstraints=critical,CA:TRUE',
  '-addext',
  'keyUsage=critical,keyCertSign,cRLSign',
  '-keyout',
  join(dir, 'root-key.pem'),
  '-out',
  join(dir, 'root-cert.pem'),
];

/** An intermediate's key and request. */
export const requestArgs = (dir: string, subject: string) => ['req', ...KEY, '-subj', subject, '-keyout', join(dir, 'ca-key.pem'), '-out', join(dir, 'ca.csr')];

/** The request signed by the root, valid two years, as a CA that signs workload certificates only. */
export const signArgs = (dir: string, rootDir: string, serial: string) => [
  'x509',
  '-req',
  '-in',
  join(dir, 'ca.csr'),
  '-CA',
  join(rootDir, 'root-cert.pem'),
  '-CAkey',
  join(rootDir, 'root-key.pem'),
  '-set_serial',
  `0x${serial}`,
  '-days',
  '730',
  '-sha256',
  '-extfile',
  join(dir, 'ca.ext'),
  '-out',
  join(dir, 'ca-cert.pem'),
];

export const INTERMEDIATE_EXTENSIONS = [
  'basicConstraints=critical,CA:TRUE,pathlen:0',
  'keyUsage=critical,digitalSignature,keyCertSign,cRLSign',
  'subjectAltName=DNS:istiod.istio-system.svc',
  '',
].join('\n');

export async function openssl(runner: Runner, args: string[], step: string): Promise<void> {
  await runner.run({ tool: 'openssl', args, step, timeoutMs: 60_000 });
}
