// What several steps of an apply use, had once and shared: the Istio release, the listing of the
// control plane's objects for the next run's check, the addons' manifests, the Gateway API bundle.
// Each is started by the first step that asks, never before the cluster's creation is under way.
import { readFile } from 'node:fs/promises';
import { type AddonManifest, addonRefs, addonVariant } from '../addons/manifest.js';
import { readAddonManifest } from '../addons/read.js';
import { type AcquiredBundle, acquireBundle, DEFAULT_GATEWAY_API_MIRROR } from '../gatewayapi/bundle.js';
import { acquireIstio, type IstioRelease } from '../istio/acquire.js';
import { listedOverlays } from '../istio/overlay.js';
import { componentOf, GATEWAY_COMPONENTS } from '../istio/ownership.js';
import { type ImageUse, meshImages } from '../kube/images.js';
import { objectsOf } from '../kube/refs.js';
import { addonObjectsCached, addonRefsCached, controlPlaneManifestFile, controlPlaneRefs, gatewaysManifestFile } from '../observe/refs.js';
import { needsWholeRelease } from '../plan/plan.js';
import type { ApplyInput } from './input.js';

export class Resources {
  private release?: Promise<IstioRelease>;
  private listing?: Promise<unknown>;
  private addonManifests?: Promise<AddonManifest[]>;
  private bundle?: Promise<AcquiredBundle>;
  private imageList?: Promise<ImageUse[]>;
  /** Where a download's progress goes until a task shows it. */
  private releaseProgress: (line: string) => void = () => {};

  constructor(
    private readonly input: ApplyInput,
    private readonly underway: () => Promise<void>,
  ) {}

  /** The Istio release (its download reports to whichever task asked first and shows it). */
  istioRelease(progress?: (line: string) => void): Promise<IstioRelease> {
    if (progress) this.releaseProgress = progress;
    const { spec, runner, plan } = this.input;
    this.release ??= this.underway().then(() =>
      acquireIstio(runner, {
        version: spec.istioVersion,
        istioDir: spec.istioDir,
        mirror: spec.istioMirror,
        needRelease: needsWholeRelease(plan),
        progress: (t) => this.releaseProgress(t),
      }),
    );
    return this.release;
  }

  /** The next run verifies the control plane object by object: its objects are listed (offline,
   * `istioctl manifest generate`) as soon as the release is at hand, while the cluster is being
   * made and a core is idle (measured: about half a second sooner than during istioctl's install). */
  controlPlaneListing(): Promise<unknown> {
    const { runner, spec, plan } = this.input;
    const overlays = listedOverlays({ controlPlane: plan.overlay.yaml, gateways: plan.overlay.gateways.yaml, anyGateway: plan.overlay.gateways.wanted });
    this.listing ??= this.istioRelease()
      .then((release) => controlPlaneRefs(runner, release.istioctl, spec.istioVersion, plan.overlay.hash, overlays))
      .catch(() => undefined);
    return this.listing;
  }

  /** The gateways' objects from the listing's rendered manifest; undefined when it failed. */
  async renderedGateways(): Promise<Record<string, unknown>[] | undefined> {
    await this.controlPlaneListing();
    const { runner, spec, plan } = this.input;
    const text = await readFile(gatewaysManifestFile(runner.env, spec.istioVersion, plan.overlay.hash), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : objectsOf(text).filter((o) => GATEWAY_COMPONENTS.includes(componentOf(o) ?? ''));
  }

  /** The addons' manifests, read (and their lists cached for the next run's check) as soon as the
   * release is at hand, so reading them neither holds back their apply nor competes with istioctl. */
  addons(names: readonly string[]): Promise<AddonManifest[]> {
    const { runner, spec, catalog } = this.input;
    this.addonManifests ??= this.istioRelease().then(async (release) => {
      const manifests = await Promise.all(
        names.map(async (n) => (await this.cachedAddon(n)) ?? readAddonManifest(release.dir!, catalog.get(n)!, spec.istioVersion, spec.addons)),
      );
      // Their lists and objects are kept for the next run's check, which then needs no release.
      await Promise.all(
        manifests.flatMap((m) => {
          const variant = addonVariant(m.addon, spec.addons);
          return [
            addonRefsCached(runner.env, spec.istioVersion, variant, async () => addonRefs(m)).catch(() => undefined),
            addonObjectsCached(runner.env, spec.istioVersion, variant, async () => [...m.crds, ...m.objects]).catch(() => undefined),
          ];
        }),
      );
      return manifests;
    });
    return this.addonManifests;
  }

  /** The images this apply makes the nodes pull: the control plane's when it is installed, and the
   * addons' it applies (the proxy every injected pod runs is the gateways'). */
  images(installing: boolean, addons: readonly string[]): Promise<ImageUse[]> {
    const { runner, spec, plan } = this.input;
    this.imageList ??= (async () => {
      const [controlPlane, manifests] = await Promise.all([
        installing
          ? this.controlPlaneListing().then(async () =>
              objectsOf(await readFile(controlPlaneManifestFile(runner.env, spec.istioVersion, plan.overlay.hash), 'utf8')),
            )
          : Promise.resolve([]),
        addons.length ? this.addons(addons) : Promise.resolve([]),
      ]);
      return meshImages([...controlPlane, ...manifests.flatMap((m) => m.objects)], []);
    })();
    return this.imageList;
  }

  /** An addon's objects as cached when its manifest was last read (what this run's check compared
   * the cluster with, already read): a repair applies them without parsing the manifest again,
   * which made a re-run's memory peak. Undefined when they are not cached. */
  private async cachedAddon(name: string): Promise<AddonManifest | undefined> {
    const { runner, spec, catalog } = this.input;
    const addon = catalog.get(name)!;
    const all = await addonObjectsCached(runner.env, spec.istioVersion, addonVariant(addon, spec.addons), undefined).catch(() => undefined);
    if (!all) return undefined;
    const isCrd = (o: Record<string, unknown>) => o.kind === 'CustomResourceDefinition';
    return { addon, crds: all.filter(isCrd), objects: all.filter((o) => !isCrd(o)) };
  }

  gatewayApiBundle(version: string): Promise<AcquiredBundle> {
    const { runner, spec } = this.input;
    this.bundle ??= this.underway().then(() =>
      acquireBundle(runner.env, { version, mirror: spec.gatewayApiMirror ?? DEFAULT_GATEWAY_API_MIRROR, signal: runner.signal }),
    );
    return this.bundle;
  }
}
