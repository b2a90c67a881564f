// The version catalog and what it decides: the Kubernetes of a new cluster (pinned by digest on
// kind), and a Kubernetes outside the chosen Istio's range refused before any change, for a new
// cluster and an existing one, with --force planning it anyway.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVersionCatalog } from '../../src/config/catalog.js';
import type { Spec } from '../../src/config/spec.js';
import { ConfigError } from '../../src/errors.js';
import { emptyObserved, type Observed } from '../../src/observe/evaluate.js';
import { plan } from '../../src/plan/plan.js';
import { changes, type Plan } from '../../src/plan/types.js';
import { planInput } from '../helpers/plan-input.js';
import { specFor } from '../helpers/spec.js';
import { VERSIONS } from '../helpers/versions.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshup-versions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const planOf = (spec: Spec, observed: Observed, force = false): Plan => plan(planInput(spec, observed, { force }));

/** A running cluster whose one node runs `kubelet`, nothing else known. */
const running = (kubelet: string): Observed => ({
  ...emptyObserved({ state: 'running' }),
  reachable: true,
  nodes: [{ name: 'n', ready: true, cpuMillis: 4000, memoryMiB: 8192, kubeletVersion: kubelet, labels: {}, simulated: false }],
});

describe('the version catalog', () => {
  it('is valid, newest first, and pins every kind node image by digest', async () => {
    const loaded = await loadVersionCatalog();
    expect(loaded).toEqual(VERSIONS);
    const minors = loaded.istio.map((r) => Number(r.minor.split('.')[1]));
    expect(minors).toEqual([...minors].sort((a, b) => b - a));
    for (const k of loaded.kind) for (const image of k.images) expect(image).toMatch(/^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
  });

  it('refuses a broken catalog with the file, line and column of the problem', async () => {
    const file = join(tmp, 'catalog.yaml');
    writeFileSync(
      file,
      [
        'istio:',
        '  - minor: "1.31"',
        '    kubernetes: { min: "1.36", max: "1.32" }',
        '    gatewayApi: { version: v1.6.0, channel: standard }',
        'kind:',
        '  - version: v0.33.0',
        '    default: kindest/node:v1.37.0',
        '    images: [kindest/node:v1.37.0]',
        'minikube: []',
        '',
      ].join('\n'),
    );
    const e = await loadVersionCatalog(file).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    const text = [(e as ConfigError).message, ...(e as ConfigError).details].join('\n');
    expect(text).toMatch(/catalog\.yaml:3:\d+: .*min must not be above max/);
    expect(text).toMatch(/catalog\.yaml:7:\d+: .*pinned by digest/);
  });
});

describe('the Kubernetes of a new cluster', () => {
  it('kind: the newest node image in Istio 1.31 range, pinned by digest, not kind’s default 1.37', async () => {
    const spec = await specFor({ provider: 'kind' });
    expect(spec.kubernetesVersion).toBe('v1.36.4');
    expect(spec.nodeImage).toBe('kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed');
    const p = planOf(spec, emptyObserved({ state: 'absent' }));
    expect(p.blockers).toEqual([]);
    // The plan shows it twice: in kind's config, and in a note that says why.
    expect(p.actions[0]!.commands[0]).toContain(`image: ${spec.nodeImage}`);
    expect(p.notes).toContain(`the new cluster runs Kubernetes v1.36.4 (node image ${spec.nodeImage}), the newest kind makes that Istio 1.31 supports`);
  });

  it('kind with an older Istio: the newest image of that Istio’s range', async () => {
    const spec = await specFor({ provider: 'kind', istioVersion: '1.28.3' });
    expect(spec.kubernetesVersion).toBe('v1.34.11');
    expect(spec.nodeImage).toMatch(/^kindest\/node:v1\.34\.11@sha256:/);
  });

  it('minikube: the matching --kubernetes-version', async () => {
    const spec = await specFor({ provider: 'minikube' });
    expect(spec.kubernetesVersion).toBe('v1.33.1');
    expect(planOf(spec, emptyObserved({ state: 'absent' })).actions[0]!.commands[0]).toContain('--kubernetes-version v1.33.1');
  });

  it('asked for: a minor alone gets the pinned image of its newest release; an unlisted release an unpinned tag, said so', async () => {
    const minor = await specFor({ provider: 'kind', kubernetesVersion: '1.35' });
    expect(minor.nodeImage).toMatch(/^kindest\/node:v1\.35\.8@sha256:/);
    const unlisted = await specFor({ provider: 'kind', kubernetesVersion: 'v1.35.2' });
    expect(unlisted.nodeImage).toBe('kindest/node:v1.35.2');
    expect(planOf(unlisted, emptyObserved({ state: 'absent' })).notes.join('\n')).toContain('not pinned: the catalog lists no image of that version');
  });

  it('kwok makes what its binaries are: nothing is chosen for it', async () => {
    const spec = await specFor({ provider: 'kwok' });
    expect(spec.kubernetesVersion).toBeUndefined();
    expect(spec.nodeImage).toBeUndefined();
  });
});

describe('a Kubernetes outside the range', () => {
  it('asked for a new cluster (kind’s own default, 1.37): refused with exit 2, the range and the fix, and nothing changes', async () => {
    const spec = await specFor({ provider: 'kind', kubernetesVersion: 'v1.37.0' });
    const p = planOf(spec, emptyObserved({ state: 'absent' }));
    expect(p.blockers).toEqual([
      {
        kind: 'usage',
        message: 'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; you asked for v1.37.0',
        fix: 'Ask for one in the range (--kubernetes-version v1.36), or leave it out for the newest kind makes there; --force tries it anyway',
      },
    ]);
  });

  it('too old as well', async () => {
    const spec = await specFor({ provider: 'minikube', kubernetesVersion: 'v1.31.4' });
    expect(planOf(spec, emptyObserved({ state: 'absent' })).blockers[0]!.message).toBe('Istio 1.31.1 supports Kubernetes 1.32 to 1.36; you asked for v1.31.4');
  });

  it('found on an existing cluster: refused, naming what it runs', async () => {
    const spec = await specFor({ provider: 'kind' });
    const p = planOf(spec, running('v1.37.0'));
    expect(p.blockers.map((b) => [b.kind, b.message])).toEqual([['usage', 'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; the cluster runs v1.37.0']]);
    expect(p.blockers[0]!.fix).toContain('meshup versions');
    // In range: nothing to say.
    expect(planOf(spec, running('v1.36.4')).blockers).toEqual([]);
  });

  it('--force: planned, with the warning in the plan', async () => {
    const spec = await specFor({ provider: 'kind', kubernetesVersion: 'v1.37.0' });
    const p = planOf(spec, emptyObserved({ state: 'absent' }), true);
    expect(p.blockers).toEqual([]);
    expect(p.actions.filter(changes).length).toBeGreaterThan(0);
    expect(p.notes).toContain(
      'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; you asked for v1.37.0: planned anyway (--force); Istio may not install or work there',
    );
  });

  it('an Istio the catalog does not know: planned, with a note of what could not be checked', async () => {
    const spec = await specFor({ provider: 'kind', istioVersion: '1.32.0', gatewayApi: false });
    expect(spec.release).toBeUndefined();
    const p = planOf(spec, running('v1.37.0'));
    expect(p.blockers).toEqual([]);
    expect(p.notes.join('\n')).toContain("Istio 1.32.0 is not in meshup's version catalog");
  });
});
