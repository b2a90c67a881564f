// The Gateway API CRDs, in-process: the version table, the bundle check, the parse of the CRD read,
// and the planner's decisions for every situation a cluster can be in (missing, equal, a patch
// apart, older, newer, mixed, not installed by meshup, experimental, unannotated). No process is
// started; observed states are built the way gatewayapi/observe.ts builds them.
import { describe, expect, it } from 'vitest';
import { labelled } from '../../src/apply/gateway-api.js';
import { checkBundle } from '../../src/gatewayapi/bundle.js';
import { objectsOf } from '../../src/gatewayapi/crds.js';
import { CRD_COLUMNS, describeGatewayApi, type GatewayApiCrd, observeGatewayApi, parseCrdRows } from '../../src/gatewayapi/observe.js';
import { compareBundle } from '../../src/gatewayapi/version.js';
import { evaluate } from '../../src/observe/evaluate.js';
import { type GatewayApiPlanInput, planGatewayApi, unknownGatewayApi } from '../../src/plan/gateway-api.js';
import { changes, symbolOf } from '../../src/plan/types.js';
import { smallBundle } from '../helpers/gateway-api.mjs';
import { gatewayApiFor, KNOWN_ISTIO_MINORS, releaseFor } from '../helpers/versions.js';

const GROUP = 'gateway.networking.k8s.io';

describe("the catalog's Gateway API releases", () => {
  it('gives each supported Istio minor the release its go.mod requires', () => {
    expect(gatewayApiFor('1.31.1')).toBe('v1.6.0');
    expect(gatewayApiFor('1.31.0-rc.0')).toBe('v1.6.0');
    expect(gatewayApiFor('1.30.4')).toBe('v1.5.1');
    expect(gatewayApiFor('1.26.0')).toBe('v1.3.0');
    expect(gatewayApiFor('1.24.0')).toBe('v1.2.1');
    expect(KNOWN_ISTIO_MINORS).toEqual([24, 25, 26, 27, 28, 29, 30, 31]);
  });

  it('knows no release for a minor it has no entry for, and says so before the first change', () => {
    expect(gatewayApiFor('1.32.0')).toBeUndefined();
    expect(gatewayApiFor('1.23.5')).toBeUndefined();
    const e = unknownGatewayApi({ gatewayApi: true, istioVersion: '1.32.0' })!;
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('meshup does not know which Gateway API release Istio 1.32.0 is built against: its version catalog lacks that minor');
    expect(e.fix.join('\n')).toContain('--no-gateway-api');
    expect(e.fix.join('\n')).toContain('meshup versions');
    // Turned off, nothing is asked of the catalog.
    expect(unknownGatewayApi({ gatewayApi: false, istioVersion: '1.32.0' })).toBeUndefined();
    expect(unknownGatewayApi({ gatewayApi: true, istioVersion: '1.31.1', release: releaseFor('1.31.1') })).toBeUndefined();
  });

  it.each([
    ['v1.6.0', 'v1.6.0', 'equal'],
    ['v1.6.1', 'v1.6.0', 'compatible'],
    ['v1.4.0', 'v1.4.1', 'compatible'],
    ['v1.5.1', 'v1.6.0', 'older'],
    ['v1.7.0', 'v1.6.0', 'newer'],
    ['v2.0.0', 'v1.6.0', 'newer'],
    ['v1.6.0-rc.1', 'v1.6.0', 'older'],
    ['v1.6.0', 'v1.6.0-rc.1', 'newer'],
    ['1.6.0', 'v1.6.0', 'unknown'],
    [undefined, 'v1.6.0', 'unknown'],
  ] as const)('%s against %s is %s', (installed, wanted, relation) => {
    expect(compareBundle(installed, wanted)).toBe(relation);
  });
});

describe('checking a bundle', () => {
  it('accepts the standard channel of the expected release, the safe-upgrades policy included', async () => {
    const objects = await checkBundle(smallBundle('v1.6.0', { policy: true }), 'v1.6.0', 'test');
    expect(objectsOf(objects)).toEqual([
      { kind: 'CustomResourceDefinition', name: `gatewayclasses.${GROUP}` },
      { kind: 'CustomResourceDefinition', name: `gateways.${GROUP}` },
      { kind: 'CustomResourceDefinition', name: `httproutes.${GROUP}` },
      { kind: 'CustomResourceDefinition', name: `referencegrants.${GROUP}` },
      { kind: 'ValidatingAdmissionPolicy', name: `safe-upgrades.${GROUP}` },
      { kind: 'ValidatingAdmissionPolicyBinding', name: `safe-upgrades.${GROUP}` },
    ]);
  });

  const refusals: [string, string, RegExp][] = [
    [
      'another release',
      smallBundle('v1.5.1'),
      /document 1 \(CustomResourceDefinition gatewayclasses\.gateway\.networking\.k8s\.io\): .*bundle-version is v1\.5\.1, expected v1\.6\.0/,
    ],
    ['the experimental channel', smallBundle('v1.6.0', { channel: 'experimental' }), /channel is experimental, expected standard/],
    [
      'an object of another kind',
      smallBundle('v1.6.0', { extra: ['apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x, namespace: default }\n'] }),
      /document 5 \(ConfigMap x\): not a CustomResourceDefinition of gateway\.networking\.k8s\.io/,
    ],
    [
      'a CRD of another group',
      smallBundle('v1.6.0', {
        extra: [
          'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n  annotations: { gateway.networking.k8s.io/bundle-version: v1.6.0, gateway.networking.k8s.io/channel: standard }\nspec: { group: example.com }\n',
        ],
      }),
      /widgets\.example\.com\): its name is not in gateway\.networking\.k8s\.io/,
    ],
    ['a CRD twice', smallBundle('v1.6.0', { extra: [smallBundle('v1.6.0').split('---\n')[2]!] }), /appears twice/],
    ['YAML that does not parse', `${smallBundle('v1.6.0')}---\nkind: [unclosed\n`, /not valid YAML/],
    ['a page that is no bundle', '<html><body>Not Found</body></html>\n', /not a Kubernetes object|lacks the CRDs/],
    ['nothing at all', '', /lacks the CRDs gatewayclasses\.gateway\.networking\.k8s\.io, gateways/],
  ];
  it.each(refusals)('refuses %s, naming what is wrong', async (_what, text, detail) => {
    let err: { message: string; details: string[]; fix: string[] } | undefined;
    try {
      await checkBundle(text, 'v1.6.0', 'http://127.0.0.1:1/v1.6.0/standard-install.yaml');
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.message).toBe(
      "The Gateway API v1.6.0 bundle from http://127.0.0.1:1/v1.6.0/standard-install.yaml is not the standard channel's CRDs of v1.6.0",
    );
    expect(err!.details.join('\n')).toMatch(detail);
    expect(err!.fix.join('\n')).toContain('nothing was cached');
  });

  it('marks what meshup applies with the release, keeping the labels the objects had', async () => {
    const objects = await checkBundle(smallBundle('v1.6.0'), 'v1.6.0', 'test');
    (objects[0]!.metadata as { labels?: Record<string, string> }).labels = { team: 'net' };
    const marked = labelled(objects, 'v1.6.0', true);
    expect(marked.map((o) => (o.metadata as { labels: Record<string, string> }).labels)).toEqual([
      { team: 'net', 'meshup.dev/gateway-api': 'v1.6.0' },
      { 'meshup.dev/gateway-api': 'v1.6.0' },
      { 'meshup.dev/gateway-api': 'v1.6.0' },
      { 'meshup.dev/gateway-api': 'v1.6.0' },
    ]);
    expect(labelled(objects, 'v1.6.0', false)).toBe(objects);
  });
});

describe('reading the CRDs', () => {
  it('asks kubectl for the name, both annotations and the mark, with the keys escaped for JSONPath', () => {
    expect(CRD_COLUMNS).toBe(
      'custom-columns=NAME:.metadata.name,BUNDLE:.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version,CHANNEL:.metadata.annotations.gateway\\.networking\\.k8s\\.io/channel,MESHUP:.metadata.labels.meshup\\.dev/gateway-api',
    );
  });

  it("parses kubectl's padded columns and <none>, and keeps only the group's CRDs", () => {
    const stdout = [
      'gateways.gateway.networking.k8s.io        v1.6.0   standard       v1.6.0',
      'httproutes.gateway.networking.k8s.io      v1.6.0   experimental   <none>',
      'tcproutes.gateway.networking.k8s.io       <none>   <none>         <none>',
      'virtualservices.networking.istio.io       <none>   <none>         <none>',
      '',
    ].join('\n');
    const items = parseCrdRows(stdout);
    expect(items.map((o) => o.metadata.name)).toHaveLength(4);
    expect(items[3]!.metadata).toEqual({ name: 'virtualservices.networking.istio.io' });
    const seen = observeGatewayApi(items, [
      { kind: 'CustomResourceDefinition', name: `gateways.${GROUP}` },
      { kind: 'CustomResourceDefinition', name: `grpcroutes.${GROUP}` },
      { kind: 'ValidatingAdmissionPolicy', name: `safe-upgrades.${GROUP}` },
    ]);
    expect(seen).toEqual({
      crds: [
        { name: `gateways.${GROUP}`, version: 'v1.6.0', channel: 'standard', meshup: true },
        { name: `httproutes.${GROUP}`, version: 'v1.6.0', channel: 'experimental', meshup: false },
        { name: `tcproutes.${GROUP}`, version: undefined, channel: undefined, meshup: false },
      ],
      missing: [`grpcroutes.${GROUP}`],
      verified: true,
    });
    // Without the bundle at hand, nothing is claimed missing.
    expect(observeGatewayApi(items)).toMatchObject({ missing: [], verified: false });
  });

  it('is summed up in one line for meshup status', () => {
    const crds = [
      { name: `gateways.${GROUP}`, version: 'v1.6.0', channel: 'standard', meshup: true },
      { name: `httproutes.${GROUP}`, version: 'v1.6.0', channel: 'standard', meshup: true },
    ];
    expect(describeGatewayApi({ crds, missing: [], verified: true })).toBe('Gateway API v1.6.0 (standard channel, 2 CRDs, installed by meshup)');
    expect(describeGatewayApi({ crds: [crds[0]!, { name: `tcproutes.${GROUP}`, meshup: false }], missing: [], verified: false })).toBe(
      'Gateway API v1.6.0, no release annotation (standard channel, 2 CRDs, partly installed by meshup)',
    );
    expect(describeGatewayApi({ crds: [], missing: [], verified: false })).toBe('none');
    expect(describeGatewayApi(undefined)).toBe('unknown (the CRDs could not be listed)');
  });

  it('a CRD read that failed leaves the Gateway API unknown, not empty', () => {
    const node = { kind: 'Node', metadata: { name: 'n' } };
    const read = { cluster: { state: 'running' as const }, items: [node], customs: [], kinds: new Set<string>() };
    expect(evaluate({ ...read, crdsRead: false }, new Map(), { addons: new Map() }).gatewayApi).toBeUndefined();
    expect(evaluate({ ...read, crdsRead: true }, new Map(), { addons: new Map() }).gatewayApi).toEqual({ crds: [], missing: [], verified: false });
  });
});

const crd = (plural: string, version: string | undefined, meshup: boolean, channel = 'standard'): GatewayApiCrd => ({
  name: `${plural}.${GROUP}`,
  version,
  channel,
  meshup,
});
const set = (version: string | undefined, meshup: boolean, channel?: string) =>
  ['gatewayclasses', 'gateways', 'httproutes'].map((p) => crd(p, version, meshup, channel));

function decide(crds: GatewayApiCrd[] | undefined, more: Partial<GatewayApiPlanInput> = {}) {
  const { action, note } = planGatewayApi({
    enabled: true,
    istioVersion: '1.31.1',
    observed: crds && { crds, missing: [], verified: true },
    bundleFile: '/cache/gateway-api/v1.6.0/standard-install.yaml',
    kube: (args, stdin) => `kubectl --context kind-meshup ${args.join(' ')}${stdin ? ` <<< ${stdin}` : ''}`,
    want: gatewayApiFor(more.istioVersion ?? '1.31.1'),
    ...more,
  });
  // As the plan's JSON shows it: a symbol, and whether it changes anything.
  if (!action) return { note };
  const { change, ...rest } = action;
  return { action: { symbol: symbolOf({ change }), ...rest, changes: changes({ change }) }, note };
}
const APPLY = 'kubectl --context kind-meshup apply --server-side --field-manager=meshup --force-conflicts -f -';

describe('what meshup decides about the Gateway API CRDs (Istio 1.31, built against v1.6.0)', () => {
  it('none installed: installs the standard channel, marked as meshup’s', () => {
    const { action } = decide([]);
    expect(action).toEqual({
      symbol: '+',
      title: 'install Gateway API CRDs v1.6.0 (standard channel)',
      reasons: [],
      changes: true,
      commands: [`${APPLY} <<< (the objects of /cache/gateway-api/v1.6.0/standard-install.yaml, each labelled meshup.dev/gateway-api=v1.6.0)`],
      op: { type: 'gateway-api', how: 'install', version: 'v1.6.0', mark: true },
    });
    // A cluster that cannot be read yet (about to be created) is planned the same way.
    expect(decide(undefined).action?.op.how).toBe('install');
  });

  it('the same release, installed by meshup: unchanged', () => {
    const { action } = decide(set('v1.6.0', true));
    expect(action).toMatchObject({ symbol: '=', title: 'Gateway API CRDs v1.6.0 unchanged', changes: false, commands: [], reasons: [] });
    expect(action!.needsYes).toBeFalsy();
  });

  it('the same release, installed by meshup, with CRDs deleted since: restores them', () => {
    const { action } = decide(undefined, {
      observed: { crds: set('v1.6.0', true), missing: [`referencegrants.${GROUP}`], verified: true },
    });
    expect(action).toMatchObject({
      symbol: '~',
      title: 'restore 1 missing Gateway API CRD of v1.6.0',
      reasons: [`customresourcedefinition referencegrants.${GROUP} is missing`],
      changes: true,
      op: { how: 'restore', mark: true },
    });
    expect(action!.needsYes).toBeFalsy();
  });

  it('the same release, not installed by meshup: kept, never marked, never completed', () => {
    const { action } = decide(undefined, { observed: { crds: set('v1.6.0', false), missing: [`referencegrants.${GROUP}`], verified: true } });
    expect(action).toMatchObject({
      symbol: '=',
      title: 'Gateway API CRDs v1.6.0 kept (not installed by meshup)',
      changes: false,
      commands: [],
      op: { how: 'keep', mark: false },
    });
    expect(action!.reasons).toEqual([`customresourcedefinition referencegrants.${GROUP} is missing; meshup leaves CRDs it did not install alone`]);
  });

  it('a patch release of the same minor is compatible: kept when not meshup’s; meshup’s own move to the later patch', () => {
    expect(decide(set('v1.6.1', false)).action).toMatchObject({
      symbol: '=',
      title: 'Gateway API CRDs v1.6.1 kept (not installed by meshup; compatible with v1.6.0)',
      changes: false,
    });
    // meshup's own, a later patch than the table's: left as they are.
    expect(decide(set('v1.6.1', true)).action).toMatchObject({ symbol: '=', title: 'Gateway API CRDs v1.6.1 unchanged (compatible with v1.6.0)' });
    // meshup's own, an earlier patch: updated without asking (Istio 1.29 is built against v1.4.1).
    const { action } = decide(set('v1.4.0', true), { istioVersion: '1.29.6', bundleFile: '/cache/v1.4.1.yaml' });
    expect(action).toMatchObject({ symbol: '~', title: 'update Gateway API CRDs v1.4.0 → v1.4.1 (a patch release of the same minor)', op: { how: 'update' } });
    expect(action!.needsYes).toBeFalsy();
  });

  it('the experimental channel of the same release: kept', () => {
    expect(decide(set('v1.6.0', false, 'experimental')).action).toMatchObject({
      symbol: '=',
      title: 'Gateway API CRDs v1.6.0 kept (not installed by meshup; experimental channel)',
      changes: false,
    });
  });

  it('an older release: replaced only with --yes, saying what goes wrong with older CRDs', () => {
    const { action } = decide(set('v1.4.0', false));
    expect(action).toMatchObject({
      symbol: '~',
      title: 'replace Gateway API CRDs v1.4.0 with v1.6.0 (standard channel)',
      changes: true,
      needsYes: true,
      op: { how: 'replace', version: 'v1.6.0', mark: false },
    });
    expect(action!.reasons).toEqual([
      '3 CRDs at v1.4.0, not installed by meshup',
      'with CRDs older than Istio 1.31.1 reads (v1.6.0), istiod ignores the kinds and fields they lack: routes silently stop working',
      'to keep them as they are, run meshup with --no-gateway-api',
    ]);
    // They were someone else's: replacing them does not make them meshup's.
    expect(action!.commands).toEqual([`${APPLY} <<< (the objects of /cache/gateway-api/v1.6.0/standard-install.yaml)`]);
  });

  it('a newer release: replaced only with --yes, naming istio/istio#59443; its safe-upgrades policy goes first', () => {
    const { action } = decide(set('v1.6.0', true), { istioVersion: '1.30.4', bundleFile: '/cache/v1.5.1.yaml' });
    expect(action).toMatchObject({
      symbol: '~',
      title: 'replace Gateway API CRDs v1.6.0 with v1.5.1 (standard channel)',
      needsYes: true,
      op: { how: 'replace', version: 'v1.5.1', mark: true, dropPolicy: true },
    });
    expect(action!.reasons).toContain('CRDs newer than Istio 1.30.4 knows can keep istiod from becoming ready (istio/istio#59443)');
    expect(action!.commands).toEqual([
      'kubectl --context kind-meshup delete validatingadmissionpolicybindings.admissionregistration.k8s.io/safe-upgrades.gateway.networking.k8s.io validatingadmissionpolicies.admissionregistration.k8s.io/safe-upgrades.gateway.networking.k8s.io --ignore-not-found',
      `${APPLY} <<< (the objects of /cache/v1.5.1.yaml, each labelled meshup.dev/gateway-api=v1.5.1)`,
    ]);
    // Going forward, or back from a release without the policy, nothing is removed first.
    expect(decide(set('v1.4.0', false)).action!.op).not.toHaveProperty('dropPolicy');
    expect(decide(set('v1.7.0', false)).action!.op).toHaveProperty('dropPolicy', true);
    expect(decide(set('v1.4.1', false), { istioVersion: '1.27.9' }).action!.op).not.toHaveProperty('dropPolicy');
  });

  it('mixed releases: replaced only with --yes, listing which CRD is at which release', () => {
    const crds = [
      crd('gatewayclasses', 'v1.6.0', true),
      crd('gateways', 'v1.6.0', true),
      crd('httproutes', 'v1.4.0', false),
      crd('tcproutes', undefined, false),
    ];
    const { action } = decide(crds);
    expect(action).toMatchObject({
      symbol: '~',
      title: 'replace Gateway API CRDs of mixed releases (v1.6.0, v1.4.0, unknown) with v1.6.0 (standard channel)',
      needsYes: true,
      op: { how: 'replace', mark: false },
    });
    expect(action!.reasons.slice(0, 3)).toEqual(['v1.6.0: gatewayclasses, gateways', 'v1.4.0: httproutes', 'without a release annotation: tcproutes']);
    expect(action!.reasons).toContain('a CRD without the gateway.networking.k8s.io/bundle-version annotation is of an unknown release');
  });

  it('CRDs without the release annotation: an unknown release, replaced only with --yes', () => {
    expect(decide(set(undefined, false)).action).toMatchObject({
      title: 'replace Gateway API CRDs of an unknown release with v1.6.0 (standard channel)',
      needsYes: true,
    });
  });

  it('the experimental channel of another release: replaced only with --yes, saying what the standard channel drops', () => {
    const { action } = decide(set('v1.5.1', false, 'experimental'));
    expect(action!.needsYes).toBe(true);
    expect(action!.reasons).toContain("they are the experimental channel: the standard channel's CRDs drop its extra fields and versions");
  });

  it('a cluster whose CRDs could not be listed: nothing installed or replaced blind', () => {
    expect(decide(undefined, { unreadable: true }).action).toMatchObject({
      symbol: '=',
      title: "Gateway API CRDs not checked: the cluster's CRDs could not be listed",
      changes: false,
      commands: [],
    });
  });

  it('turned off: no action, whatever is installed; an unknown Istio minor: a note, no action', () => {
    expect(decide(set('v1.0.0', false), { enabled: false })).toEqual({});
    expect(decide([], { istioVersion: '1.32.0' })).toEqual({
      note: 'meshup does not know which Gateway API release Istio 1.32.0 is built against: its version catalog lacks that minor',
    });
  });
});
