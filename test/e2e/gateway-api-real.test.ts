// The real Gateway API standard channel, assembled at test time from the sigs.k8s.io/gateway-api
// module that the pinned Istio module requires (helpers/gateway-api.mjs; test/cluster/build or
// `go mod download` puts it in the Go module cache). It checks meshup's table row for Istio 1.31
// against that requirement, and meshup's bundle check against the real bundle. It runs with the
// end-to-end tests, after test/cluster/build has put the module in the cache: never skipped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ISTIO_VERSION } from '../../src/config/versions.js';
import { acquireBundle, checkBundle, readCachedBundle } from '../../src/gatewayapi/bundle.js';
import { objectsOf } from '../../src/gatewayapi/crds.js';
import { realBundle, serveGatewayApi } from '../helpers/gateway-api.mjs';
import { gatewayApiFor } from '../helpers/versions.js';

const real = realBundle();
const home = mkdtempSync(join(tmpdir(), 'meshup-gwapi-real-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('the real Gateway API standard channel', () => {
  it("is the release meshup's table gives the Istio version the tests build (1.31: v1.6.0)", () => {
    // test/cluster/istio/go.mod pins the release-1.31 Istio module; its requirement is the truth.
    const required = execFileSync('go', ['list', '-m', '-f', '{{.Version}}', 'sigs.k8s.io/gateway-api'], {
      cwd: join(import.meta.dirname, '..', 'cluster', 'istio'),
      encoding: 'utf8',
    }).trim();
    expect(required).toBe(real!.version);
    expect(gatewayApiFor(DEFAULT_ISTIO_VERSION)).toBe(required);
  });

  it('passes the bundle check: ten CRDs and the safe-upgrades policy, all of the standard channel', async () => {
    const objects = objectsOf(await checkBundle(real!.text, real!.version, 'the module'));
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.name.split('.')[0])).toEqual([
      'backendtlspolicies',
      'gatewayclasses',
      'gateways',
      'grpcroutes',
      'httproutes',
      'listenersets',
      'referencegrants',
      'tcproutes',
      'tlsroutes',
      'udproutes',
    ]);
    expect(objects.filter((o) => o.kind !== 'CustomResourceDefinition')).toEqual([
      { kind: 'ValidatingAdmissionPolicy', name: 'safe-upgrades.gateway.networking.k8s.io' },
      { kind: 'ValidatingAdmissionPolicyBinding', name: 'safe-upgrades.gateway.networking.k8s.io' },
    ]);
  });

  it('is refused as the bundle of any other release', async () => {
    await expect(checkBundle(real!.text, 'v1.5.1', 'the module')).rejects.toThrow("is not the standard channel's CRDs of v1.5.1");
  });

  it('downloads from a 127.0.0.1 mirror into the cache whole', async () => {
    const mirror = await serveGatewayApi({ [real!.version]: real!.text });
    try {
      const env = { HOME: home, XDG_CACHE_HOME: join(home, 'cache') };
      const got = await acquireBundle(env, { version: real!.version, mirror: mirror.url });
      expect(got.downloaded).toBe(true);
      expect((await readCachedBundle(env, real!.version)).length).toBe(12);
    } finally {
      await mirror.close();
    }
  });
});
