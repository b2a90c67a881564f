// `meshup images` against Istio's real release content, with no cluster: the real istioctl renders
// the demo and ambient control planes, the real samples/addons are read. The oracle is a plain scan
// of every `image:` line of the same YAML text (the rendered manifests istioctl wrote, the addons'
// files), so meshup's structured reading is checked against the text itself: every image, and
// nothing else.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { REAL_ADDONS, realReleaseServerFor } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-images-');
const served = realReleaseServerFor('1.31.1', { istioctl: join(bin, 'istioctl') });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Listed {
  images: { image: string; registry: string; usedBy: string[]; perNode: boolean }[];
  registries: string[];
}
const images = async (args: string[]): Promise<Listed> => {
  env.MESHUP_ISTIO_MIRROR = served().server.url;
  const r = await execa(process.execPath, [MESHUP, 'images', '--json', '--provider', 'kind', ...args], { env, extendEnv: false, reject: false, cwd: dir });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listed;
};

/** Every `image:` value written on its line in a YAML text, document by document, but in
 * ConfigMaps (the injector's templates: filled in per pod, some only for pods that ask, such as
 * proxyless gRPC's busybox) and CRDs (schemas, where `image:` is a key). */
const scanned = (text: string) =>
  text
    .split(/^---\s*$/m)
    .filter((doc) => !/^kind:[ \t]*(ConfigMap|CustomResourceDefinition)[ \t]*$/m.test(doc))
    .flatMap((doc) => [...doc.matchAll(/^[ \t]*(?:-[ \t]+)?image:[ \t]*["']?([^"'\s#]+)/gm)].map((m) => m[1]!));
const rendered = (profile: string) =>
  readdirSync(join(dir, 'cache', 'meshup', 'refs'))
    .filter((f) => f.startsWith('istio-1.31.1-') && f.endsWith('.yaml') && !f.endsWith('-gateways.yaml'))
    .map((f) => readFileSync(join(dir, 'cache', 'meshup', 'refs', f), 'utf8'))
    .filter((t) => (profile === 'ambient' ? t.includes('kind: DaemonSet') : !t.includes('kind: DaemonSet') && t.includes('istio-egressgateway')));
const addonText = () => REAL_ADDONS.map((a) => readFileSync(join(served().release.dir, 'samples', 'addons', `${a}.yaml`), 'utf8')).join('\n');

describe('meshup images with the real release', () => {
  it('demo with the four addons: every image of the rendered control plane and of samples/addons, nothing else', async () => {
    const listed = await images(['--profile', 'demo', '--addons', REAL_ADDONS.join(',')]);
    const texts = rendered('demo');
    expect(texts).toHaveLength(1);
    const proxy = scanned(texts[0]!)
      .find((i) => i.includes('/pilot:'))!
      .replace('/pilot:', '/proxyv2:');
    const expected = new Set([...scanned(texts[0]!), ...scanned(addonText())].map((i) => (i === 'auto' ? proxy : i)));
    // Injected pods of the mesh's namespaces run the proxy too.
    expected.add(proxy);
    expect(new Set(listed.images.map((i) => i.image))).toEqual(expected);
    expect(listed.images.find((i) => i.image === proxy)!.usedBy).toEqual(
      expect.arrayContaining(['istio-system/deployment/istio-ingressgateway', 'istio-system/deployment/istio-egressgateway', 'default/* (injected)']),
    );
    // Istio 1.31 is on Docker Hub; the addons add their own registries.
    expect(listed.registries).toContain('docker.io');
    for (const i of listed.images) expect(i.registry).toBe(i.image.includes('.') && i.image.split('/')[0]!.includes('.') ? i.image.split('/')[0] : 'docker.io');
  });

  it("once rendered here, up's plan for a new cluster says how many images its nodes will pull, and from where", async () => {
    const kwok = ['--provider', 'kwok', '--name', `img${process.pid}`, '--profile', 'demo', '--addons', 'kiali', '--no-gateway-api'];
    env.MESHUP_ISTIO_MIRROR = served().server.url;
    const listed = await execa(process.execPath, [MESHUP, 'images', '--json', ...kwok], { env, extendEnv: false, reject: false, cwd: dir });
    expect(listed.exitCode, listed.stderr).toBe(0);
    const n = (JSON.parse(listed.stdout) as Listed).images.length;
    const plan = await execa(process.execPath, [MESHUP, 'plan', ...kwok], { env, extendEnv: false, reject: false, cwd: dir });
    expect(plan.exitCode, plan.stderr).toBe(10);
    expect(`${plan.stdout}${plan.stderr}`).toMatch(new RegExp(`the nodes pull ${n} images: \\d+ from docker\\.io.*quay\\.io`));
  });

  it('ambient: ztunnel and the CNI agent are pulled by every node', async () => {
    const listed = await images(['--profile', 'ambient', '--addons', '']);
    const texts = rendered('ambient');
    expect(texts).toHaveLength(1);
    const proxy = scanned(texts[0]!)
      .find((i) => i.includes('/pilot:'))!
      .replace('/pilot:', '/proxyv2:');
    expect(new Set(listed.images.map((i) => i.image))).toEqual(new Set(scanned(texts[0]!).map((i) => (i === 'auto' ? proxy : i))));
    const perNode = listed.images.filter((i) => i.perNode).map((i) => i.image.replace(/:.*$/, ''));
    expect(perNode.sort()).toEqual(['docker.io/istio/install-cni', 'docker.io/istio/ztunnel']);
  });
});
