// The desired spec: its layers in their order, and one check per kind of value whatever the source.

import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MeshupError } from '../../src/errors.js';
import type { AppliedSpec } from '../../src/state/applied-spec.js';
import { specFor } from '../helpers/spec.js';

const dirWith = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'meshup-spec-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};

async function failure(p: Promise<unknown>): Promise<MeshupError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MeshupError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('spec layers', () => {
  it('takes defaults < profile < config < env < flags', async () => {
    const cwd = dirWith({ 'meshup.yaml': 'profile: demo\naddons: [kiali]\nclusterName: fromconfig\nresources: { cpus: 6 }\n' });
    const o = await specFor({ name: 'fromflag' }, { cwd, env: { MESHUP_ADDONS: 'grafana', MESHUP_CLUSTER_NAME: 'fromenv' } });
    expect(o.profile.name).toBe('demo');
    expect(o.sources.profile).toBe('config');
    expect(o.addons).toEqual(['prometheus', 'grafana']);
    expect(o.addedDependencies).toEqual(['prometheus']);
    expect(o.sources.addons).toBe('env');
    expect(o.clusterName).toBe('fromflag');
    expect(o.resources.cpus).toBe(6);
    expect(o.resources.memoryMiB).toBe(4096);
    expect(o.sources.memory).toBe('profile');
    expect(o.istioVersion).toBe('1.31.1');
    expect(o.sources.istioVersion).toBe('default');
    expect(Object.isFrozen(o) && Object.isFrozen(o.addons)).toBe(true);
  });

  it('MESHUP_TIMEOUT takes effect, and --timeout beats it', async () => {
    expect((await specFor({}, { env: { MESHUP_TIMEOUT: '90s' } })).timeoutMs).toBe(90_000);
    expect((await specFor({ timeout: '2m' }, { env: { MESHUP_TIMEOUT: '90s' } })).timeoutMs).toBe(120_000);
    expect((await specFor()).timeoutMs).toBe(600_000);
  });

  it('answers are the top layer, and a profile answered brings its own addons', async () => {
    const o = await specFor({}, { answers: { provider: 'kind', profile: 'minimal' } });
    expect([o.provider, o.profile.name, o.addons.length]).toEqual(['kind', 'minimal', 0]);
    const flagged = await specFor({ addons: 'kiali' }, { answers: { profile: 'demo' } });
    expect(flagged.addons).toEqual(['prometheus', 'kiali']);
  });

  it('keeps the recorded profile, version, addons and namespaces unless told otherwise', async () => {
    const recorded: AppliedSpec = {
      provider: 'kind',
      clusterName: 'meshup',
      profile: 'minimal',
      profileRef: 'minimal',
      istioVersion: '1.30.2',
      addons: ['grafana'],
      namespaces: ['shop'],
    };
    const o = await specFor({}, { recorded, lastTarget: { provider: 'kind', clusterName: 'meshup' } });
    expect([o.profile.name, o.istioVersion, o.addons, o.namespaces]).toEqual(['minimal', '1.30.2', ['prometheus', 'grafana'], ['shop']]);
    expect(o.sources.profile).toBe('recorded');
    // A profile given explicitly wins, and what was recorded under another profile does not carry over.
    const demo = await specFor({ profile: 'demo' }, { recorded, lastTarget: { provider: 'kind', clusterName: 'meshup' } });
    expect(demo.addons).toEqual(['prometheus', 'grafana', 'kiali', 'jaeger']);
    expect(demo.namespaces).toEqual(['default']);
    // The record of another cluster says nothing about this one.
    const other = await specFor({ name: 'other', provider: 'kind' }, { recorded });
    expect(other.profile.name).toBe('default');
  });

  it('targets the cluster meshup last used when none is named', async () => {
    const o = await specFor({}, { lastTarget: { provider: 'kwok', clusterName: 'lab' } });
    expect([o.provider, o.clusterName, o.sources.provider]).toEqual(['kwok', 'lab', 'recorded']);
    const named = await specFor({ provider: 'kind' }, { lastTarget: { provider: 'kwok', clusterName: 'lab' } });
    expect([named.provider, named.clusterName]).toEqual(['kind', 'meshup']);
    const ctx = await specFor({ context: 'docker-desktop' }, { lastTarget: { provider: 'kwok', clusterName: 'lab' } });
    expect(ctx.provider).toBe('existing');
  });

  it('edits (addons enable) sit above everything', async () => {
    const o = await specFor({ addons: 'kiali' }, { edits: { addons: ['grafana'] } });
    expect(o.addons).toEqual(['prometheus', 'grafana']);
  });

  it('one reading of the gateway: meshup.yaml gateway settings reach the overlay and kind alike', async () => {
    const cwd = dirWith({ 'meshup.yaml': 'provider: kind\ngateway: { ingress: false }\n' });
    const o = await specFor({}, { cwd });
    expect(o.gateway.ingress).toBe(false);
    expect(o.gateway.hostHttpPort).toBe(8080);
  });
});

describe('every source is checked the same way', () => {
  const cases: [string, Parameters<typeof specFor>[0], Record<string, string>, string | undefined, RegExp][] = [
    ['cluster name with spaces (flag)', { name: 'My Cluster' }, {}, undefined, /"My Cluster" is not a valid cluster name \(from --name\)/],
    [
      'cluster name that is a path (env)',
      {},
      { MESHUP_CLUSTER_NAME: '../../../x' },
      undefined,
      /"\.\.\/\.\.\/\.\.\/x" is not a valid cluster name \(from MESHUP_CLUSTER_NAME\)/,
    ],
    ['cluster name in meshup.yaml', {}, {}, 'clusterName: Big_One\n', /clusterName: must be a lowercase DNS label/],
    ['namespace with capitals (flag)', { namespaces: 'Shop_1' }, {}, undefined, /"Shop_1" is not a valid namespace name \(from --namespaces\)/],
    ['system namespace (flag)', { namespaces: 'default,kube-system' }, {}, undefined, /Sidecars are never injected in kube-system \(from --namespaces\)/],
    ['istio-system (env)', {}, { MESHUP_NAMESPACES: 'istio-system' }, undefined, /never injected in istio-system \(from MESHUP_NAMESPACES\)/],
    ['kube-node-lease (config)', {}, {}, 'namespaces: [kube-node-lease]\n', /never injected in kube-node-lease \(from .*meshup\.yaml \(namespaces\)\)/],
    [
      'dataplane (flag), with a did-you-mean',
      { dataplane: 'ambiant' },
      {},
      undefined,
      /"ambiant" is not a dataplane mode; expected one of sidecar, ambient \(from --dataplane\)/,
    ],
    ['dataplane (config)', {}, {}, 'dataplane: istio\n', /dataplane: /],
    [
      'sidecar dataplane on the ambient profile',
      { profile: 'ambient', dataplane: 'sidecar' },
      {},
      undefined,
      /Profile ambient installs Istio's ambient profile/,
    ],
    [
      'platform (env)',
      {},
      { MESHUP_PLATFORM: 'kind' },
      undefined,
      /"kind" is not a platform Istio knows; expected one of gke, k3d, k3s, microk8s, minikube, openshift \(from MESHUP_PLATFORM\)/,
    ],
    ['Istio version', { istioVersion: 'latest' }, {}, undefined, /"latest" is not an Istio version \(from --istio-version\)/],
    ['old Istio version (config)', {}, {}, 'istioVersion: 1.20.0\n', /Istio 1\.20\.0 is too old/],
    ['mirror that is not http(s)', { istioMirror: 'ftp://m.example/istio' }, {}, undefined, /is not an http\(s\) URL \(from --istio-mirror\)/],
    ['mirror that is no URL (env)', {}, { MESHUP_ISTIO_MIRROR: 'mirror' }, undefined, /"mirror" is not a URL \(from MESHUP_ISTIO_MIRROR\)/],
    ['Gateway API mirror that is not http(s)', { gatewayApiMirror: 'file:///srv/gw' }, {}, undefined, /is not an http\(s\) URL \(from --gateway-api-mirror\)/],
    ['Gateway API mirror that is no URL (env)', {}, { MESHUP_GATEWAY_API_MIRROR: 'gw' }, undefined, /"gw" is not a URL \(from MESHUP_GATEWAY_API_MIRROR\)/],
    [
      'Gateway API mirror that is not http(s) (config)',
      {},
      {},
      'gatewayApiMirror: ftp://m.example/gw\n',
      /is not an http\(s\) URL \(from .*meshup\.yaml \(gatewayApiMirror\)\)/,
    ],
    ['missing --istio-dir', { istioDir: '/nonexistent/istio' }, {}, undefined, /"\/nonexistent\/istio" does not exist \(from --istio-dir\)/],
    ['timeout overflow', { timeout: '9999999h' }, {}, undefined, /outside the range meshup accepts \(1s to 24h\) \(from --timeout\)/],
    ['timeout words (env)', {}, { MESHUP_TIMEOUT: 'soon' }, undefined, /"soon" is not a duration \(from MESHUP_TIMEOUT\)/],
    ['Kubernetes version', { kubernetesVersion: 'banana' }, {}, undefined, /"banana" is not a Kubernetes version \(from --kubernetes-version\)/],
    [
      'equal host ports (config)',
      {},
      {},
      'gateway: { hostHttpPort: 8080, hostHttpsPort: 8080 }\n',
      /gateway\.hostHttpPort and gateway\.hostHttpsPort are both 8080/,
    ],
    ['cpus', { cpus: 'four' }, {}, undefined, /"four" is not a whole number from 1 to 1024 \(from --cpus\)/],
    ['unknown provider', { provider: 'kinde' }, {}, undefined, /Unknown provider "kinde" \(from --provider\)/],
    ['unknown addon (env)', {}, { MESHUP_ADDONS: 'kialli' }, undefined, /Unknown addon "kialli" in MESHUP_ADDONS/],
  ];
  for (const [what, flags, env, config, message] of cases) {
    it(`refuses ${what}`, async () => {
      const cwd = config ? dirWith({ 'meshup.yaml': config }) : undefined;
      const e = await failure(specFor(flags, { env, ...(cwd ? { cwd } : {}) }));
      expect(e.exitCode).toBe(2);
      expect([e.message, ...e.details].join('\n')).toMatch(message);
      expect(e.fix.length).toBeGreaterThan(0);
    });
  }

  it('manages the Gateway API CRDs unless a flag or the config file says not to; the flag wins', async () => {
    expect((await specFor({})).gatewayApi).toBe(true);
    expect((await specFor({ gatewayApi: false })).gatewayApi).toBe(false);
    const cwd = dirWith({ 'meshup.yaml': 'gatewayApi: false\ngatewayApiMirror: http://127.0.0.1:8000/gw/\n' });
    const fromFile = await specFor({}, { cwd });
    expect(fromFile.gatewayApi).toBe(false);
    expect(fromFile.sources.gatewayApi).toBe('config');
    // A mirror is kept without its trailing slash, as the Istio mirror is.
    expect(fromFile.gatewayApiMirror).toBe('http://127.0.0.1:8000/gw');
    expect((await specFor({ gatewayApi: true }, { cwd })).gatewayApi).toBe(true);
    expect(
      (await specFor({ gatewayApiMirror: 'https://m.example/gw' }, { cwd, env: { MESHUP_GATEWAY_API_MIRROR: 'http://e.example' } })).gatewayApiMirror,
    ).toBe('https://m.example/gw');
  });

  it('accepts v1.31.1 as 1.31.1, and an --istio-dir that holds an executable bin/istioctl', async () => {
    expect((await specFor({ istioVersion: 'v1.31.1' })).istioVersion).toBe('1.31.1');
    const dir = mkdtempSync(join(tmpdir(), 'meshup-rel-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'istioctl'), '#!/bin/sh\n');
    const e = await failure(specFor({ istioDir: dir }));
    expect(e.message).toContain('bin/istioctl is not executable');
    chmodSync(join(dir, 'bin', 'istioctl'), 0o755);
    expect((await specFor({ istioDir: dir })).istioDir).toBe(dir);
    const empty = mkdtempSync(join(tmpdir(), 'meshup-rel-'));
    expect((await failure(specFor({ istioDir: empty }))).message).toContain('has no bin/istioctl');
  });
});
