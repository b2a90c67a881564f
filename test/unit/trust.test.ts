// The mesh's root of trust and each cluster's intermediate CA, made with the real openssl into a
// temporary state directory: a chain istiod would take (checked with Node's X.509, and with
// openssl verify), private keys only the user can read, reused on a re-run, made again on request
// or when what is on disk is not a valid chain.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Runner } from '../../src/exec/runner.js';
import { cacertsSecret, chainProblem, clusterCerts, ensureIntermediate, ensureRoot, trustDir } from '../../src/trust/ca.js';

const home = mkdtempSync(join(tmpdir(), 'meshup-trust-'));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_STATE_HOME: join(home, 'state') };
const runner = new Runner({ env, log: () => {} });
afterAll(() => rmSync(home, { recursive: true, force: true }));

const mode = (f: string) => statSync(f).mode & 0o777;

describe('the root and the intermediates', () => {
  it('makes one root and an intermediate per cluster that chain to it, keys readable by the user alone', async () => {
    expect(await ensureRoot(runner)).toEqual({ made: true });
    for (const c of ['east', 'west']) expect(await ensureIntermediate(runner, c)).toEqual({ made: true });
    const east = await clusterCerts(env, 'east');
    const west = await clusterCerts(env, 'west');
    expect(chainProblem(east)).toBeUndefined();
    expect(chainProblem(west)).toBeUndefined();
    expect(east.rootCert).toBe(west.rootCert);
    expect(east.caCert).not.toBe(west.caCert);
    const ca = new X509Certificate(east.caCert);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('L=east');
    expect(ca.subjectAltName).toBe('DNS:istiod.istio-system.svc');
    // openssl agrees: the chain istiod sends (cert-chain.pem) verifies against the root.
    const dir = trustDir(env);
    expect(
      execFileSync('openssl', ['verify', '-CAfile', join(dir, 'root', 'root-cert.pem'), join(dir, 'clusters', 'east', 'ca-cert.pem')], { encoding: 'utf8' }),
    ).toContain(': OK');
    expect(mode(join(dir, 'root', 'root-key.pem'))).toBe(0o600);
    expect(mode(join(dir, 'clusters', 'east', 'ca-key.pem'))).toBe(0o600);
    expect(mode(join(dir, 'root'))).toBe(0o700);
    expect(mode(join(dir, 'clusters', 'east'))).toBe(0o700);
  });

  it('a re-run reuses them; rotation is made only when asked, and a new root re-signs what no longer chains', async () => {
    const before = await clusterCerts(env, 'east');
    expect(await ensureRoot(runner)).toEqual({ made: false });
    expect(await ensureIntermediate(runner, 'east')).toEqual({ made: false });
    expect((await clusterCerts(env, 'east')).caKey).toBe(before.caKey);
    expect(await ensureIntermediate(runner, 'east', { rotate: true })).toEqual({ made: true, replaced: 'rotation was asked for' });
    expect((await clusterCerts(env, 'east')).caKey).not.toBe(before.caKey);
    expect(await ensureRoot(runner, { rotate: true })).toEqual({ made: true, replaced: 'rotation was asked for' });
    expect(await ensureIntermediate(runner, 'west')).toEqual({ made: true, replaced: 'the intermediate was not signed by this root' });
    expect(chainProblem(await clusterCerts(env, 'west'))).toBeUndefined();
  });

  it('says what is wrong with a chain that will not do', async () => {
    const east = await ensureIntermediate(runner, 'east').then(() => clusterCerts(env, 'east'));
    const west = await clusterCerts(env, 'west');
    expect(chainProblem({ ...east, caKey: west.caKey })).toBe("the intermediate's key is not its own");
    expect(chainProblem({ ...east, rootCert: east.caCert })).toBe('the intermediate was not signed by this root');
    expect(chainProblem({ ...east, caCert: 'not a certificate' })).toMatch(/^a certificate does not parse/);
    expect(chainProblem(east, new Date(Date.now() + 800 * 86_400_000))).toMatch(/^the intermediate expired on /);
  });

  it('cacerts carries what istiod reads, and the key file stays unreadable to others', async () => {
    const c = await clusterCerts(env, 'east');
    const s = cacertsSecret(c) as { metadata: { name: string; namespace: string }; data: Record<string, string> };
    expect(s.metadata).toMatchObject({ name: 'cacerts', namespace: 'istio-system' });
    expect(Object.keys(s.data).sort()).toEqual(['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem']);
    expect(Buffer.from(s.data['cert-chain.pem']!, 'base64').toString()).toBe(`${c.caCert.trimEnd()}\n${c.rootCert.trimEnd()}\n`);
    expect(readFileSync(join(trustDir(env), 'clusters', 'east', 'ca-key.pem'), 'utf8')).toContain('PRIVATE KEY');
  });
});
