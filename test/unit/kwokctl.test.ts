import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kwokBinaries } from '../../src/providers/kwok.js';
import { kwokctlConfigYaml } from '../../src/tools/kwokctl.js';

type ExtraArg = { key: string; value: string };
const apiserverArgs = (yaml: string): Record<string, string> => {
  const doc = parseAllDocuments(yaml)[0]!.toJS() as { componentsPatches: { name: string; extraArgs: ExtraArg[] }[] };
  const patch = doc.componentsPatches.find((p) => p.name === 'kube-apiserver')!;
  return Object.fromEntries(patch.extraArgs.map((a) => [a.key, a.value]));
};

describe('kwokctl configuration', () => {
  it('by default keeps webhook admission off and the API server on loopback (the output users get today)', () => {
    expect(kwokctlConfigYaml({ etcd: '/x/etcd' })).toBe(
      [
        'apiVersion: config.kwok.x-k8s.io/v1alpha1',
        'kind: KwokctlConfiguration',
        'options:',
        '  runtime: binary',
        '  bindAddress: 127.0.0.1',
        '  enableCRDs: [PortForward, ClusterPortForward]',
        '  etcdBinary: "/x/etcd"',
        'componentsPatches:',
        '  - name: kube-apiserver',
        '    extraArgs:',
        '      - key: advertise-address',
        '        value: 127.0.0.1',
        '      - key: endpoint-reconciler-type',
        '        value: none',
        '      - key: disable-admission-plugins',
        '        value: MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
        '',
      ].join('\n'),
    );
    expect(kwokctlConfigYaml({}, {})).toBe(kwokctlConfigYaml({}));
  });

  it('with webhooks on, admission stays enabled and webhook Services resolve to their endpoints', () => {
    const args = apiserverArgs(kwokctlConfigYaml({}, { webhooks: true }));
    expect(args).toEqual({ 'advertise-address': '127.0.0.1', 'endpoint-reconciler-type': 'none', 'enable-aggregator-routing': 'true' });
  });

  it('appends stages as separate documents after the kwokctl configuration', () => {
    const stage = 'apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: a\n';
    const docs = parseAllDocuments(kwokctlConfigYaml({}, { webhooks: true, stages: [stage, `${stage.replace('name: a', 'name: b')}\n\n`] }));
    expect(docs.map((d) => (d.toJS() as { kind: string; metadata?: { name: string } }).metadata?.name ?? d.toJS().kind)).toEqual([
      'KwokctlConfiguration',
      'a',
      'b',
    ]);
    expect(docs.every((d) => d.errors.length === 0)).toBe(true);
  });
});

describe('MESHUP_KWOK_BIN_DIR', () => {
  it("names the binaries found in that directory; kwokctl's own variables beat it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshup-kwok-bin-'));
    try {
      for (const f of ['kube-apiserver', 'etcd', 'kwok']) writeFileSync(join(dir, f), '');
      expect(kwokBinaries({ MESHUP_KWOK_BIN_DIR: dir })).toEqual({
        kubeApiserver: join(dir, 'kube-apiserver'),
        etcd: join(dir, 'etcd'),
        kwokController: join(dir, 'kwok'),
      });
      expect(kwokBinaries({ MESHUP_KWOK_BIN_DIR: dir, KWOK_ETCD_BINARY: '/opt/etcd' })).toEqual({
        kubeApiserver: join(dir, 'kube-apiserver'),
        kwokController: join(dir, 'kwok'),
      });
      expect(kwokBinaries({})).toEqual({});
      // And they reach kwokctl's configuration.
      expect(kwokctlConfigYaml(kwokBinaries({ MESHUP_KWOK_BIN_DIR: dir }))).toContain(`etcdBinary: "${join(dir, 'etcd')}"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
