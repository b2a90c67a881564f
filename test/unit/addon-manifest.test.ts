// An addon's objects as meshup applies them: labelled, hashed, and set up for the partner addons
// enabled with it (Kiali's tracing when Jaeger runs too). The manifest here is a small one written
// for the test; the end-to-end tests read Istio's own samples.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addonRefs } from '../../src/addons/manifest.js';
import { readAddonManifest } from '../../src/addons/read.js';
import { loadAddonCatalog } from '../../src/config/catalog.js';

const catalog = await loadAddonCatalog();
const kiali = catalog.get('kiali')!;

function release(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshup-addon-'));
  mkdirSync(join(dir, 'samples', 'addons'), { recursive: true });
  writeFileSync(
    join(dir, kiali.manifest),
    [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kiali, namespace: istio-system}\ndata:\n  config.yaml: |\n    external_services:\n      prometheus: {enabled: true}\n      tracing: {enabled: false}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kiali, namespace: istio-system}\nspec:\n  template:\n    metadata: {labels: {app: kiali}}\n    spec: {containers: [{name: kiali, image: kiali}]}\n',
      '',
    ].join('---\n'),
  );
  return dir;
}

type Obj = { kind: string; data?: Record<string, string>; spec?: { template: { metadata: { annotations?: Record<string, string> } } } };

describe('addon manifests', () => {
  it("switches Kiali's tracing on and points it at Jaeger only when jaeger is enabled, and rolls Kiali when that changes", async () => {
    const dir = release();
    const alone = await readAddonManifest(dir, kiali, '1.31.1', ['prometheus', 'kiali']);
    const withJaeger = await readAddonManifest(dir, kiali, '1.31.1', ['prometheus', 'kiali', 'jaeger']);
    const config = (m: typeof alone) => parse((m.objects.find((o) => o.kind === 'ConfigMap') as Obj).data!['config.yaml']!);
    const template = (m: typeof alone) => (m.objects.find((o) => o.kind === 'Deployment') as Obj).spec!.template.metadata.annotations;
    expect(config(alone).external_services.tracing).toEqual({ enabled: false });
    expect(template(alone)).toBeUndefined();
    expect(config(withJaeger).external_services).toEqual({
      prometheus: { enabled: true },
      tracing: { enabled: true, provider: 'jaeger', use_grpc: true, internal_url: 'http://tracing.istio-system:16685/jaeger' },
    });
    expect(template(withJaeger)?.['meshup.dev/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    // Different objects, so different hashes: a cluster set up without jaeger shows as changed.
    const hashes = (m: typeof alone) => addonRefs(m).map((r) => r.hash);
    expect(hashes(withJaeger)).not.toEqual(hashes(alone));
  });

  it('names what is missing when the release has no configuration to set', async () => {
    const dir = release();
    writeFileSync(join(dir, kiali.manifest), 'apiVersion: v1\nkind: Service\nmetadata: {name: kiali}\n');
    await expect(readAddonManifest(dir, kiali, '1.31.1', ['jaeger'])).rejects.toThrow(
      /has no ConfigMap kiali with config.yaml, or no deployment\/kiali, so kiali cannot be set up for jaeger/,
    );
  });
});
