// Deciding what to do about the Gateway API CRDs, from the Istio version and what the cluster has.
// Pure: no I/O. The rule (docs/ambient-and-gateway-api.md):
//   none installed                       → install the standard channel at Istio's version (+)
//   the same release, or a patch of its minor → keep (=); meshup's own are updated to a later
//                                          patch and missing ones restored (~)
//   an older or newer minor, mixed releases, or no release annotation → replace, reporting the
//                                          risk, only with --yes (~)
// CRDs meshup did not install are never marked as meshup's, never restored piecemeal and never
// removed (down --purge-crds removes only what carries meshup's mark).
import { UsageError } from '../errors.js';
import { BUNDLE_VERSION_ANNOTATION, SAFE_UPGRADES_POLICY } from '../gatewayapi/crds.js';
import type { GatewayApiCrd, GatewayApiObserved } from '../gatewayapi/observe.js';
import { carriesSafeUpgradesPolicy, compareBundle, isLater } from '../gatewayapi/version.js';
import { GATEWAY_API_LABEL } from '../istio/labels.js';
import { applyArgs } from '../tools/kubectl-args.js';
import type { Action, GatewayApiOp } from './types.js';

/** An action of the plan, without its id. */
type GatewayApiAction = Omit<Action, 'id' | 'op'> & { op: GatewayApiOp };

export interface GatewayApiPlanInput {
  /** meshup manages the Gateway API CRDs (spec.gatewayApi). */
  enabled: boolean;
  istioVersion: string;
  /** The Gateway API release that Istio version is built against (the version catalog's); undefined
   * when the catalog lacks its minor. */
  want?: string;
  /** What the cluster has; undefined when there is no cluster to read yet (planned as empty). */
  observed?: GatewayApiObserved;
  /** The cluster answered but its CRDs could not be listed: nothing is decided blind. */
  unreadable?: boolean;
  /** Where the bundle is (or will be) cached, for the commands shown. */
  bundleFile: string;
  /** Renders a kubectl command with the pinned context. */
  kube: (args: string[], stdin?: string) => string;
}

const POLICY_REFS = [
  `validatingadmissionpolicybindings.admissionregistration.k8s.io/${SAFE_UPGRADES_POLICY}`,
  `validatingadmissionpolicies.admissionregistration.k8s.io/${SAFE_UPGRADES_POLICY}`,
];
export const dropPolicyArgs = () => ['delete', ...POLICY_REFS, '--ignore-not-found'];

const names = (crds: readonly GatewayApiCrd[], max = 4) => {
  const short = crds.map((c) => c.name.split('.')[0]!);
  return short.length > max ? `${short.slice(0, max).join(', ')} and ${short.length - max} more` : short.join(', ');
};
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function ownerOf(crds: readonly GatewayApiCrd[]): 'meshup' | 'you' | 'mixed' {
  const marked = crds.filter((c) => c.meshup).length;
  return marked === crds.length ? 'meshup' : marked === 0 ? 'you' : 'mixed';
}
const ownerText = { meshup: 'installed by meshup', you: 'not installed by meshup', mixed: 'partly installed by meshup' } as const;

/** meshup does not guess the Gateway API release of an Istio minor its catalog lacks: `up` stops
 * before the first change with this error (after the Istio release itself was found to exist). */
export function unknownGatewayApi(spec: { gatewayApi: boolean; istioVersion: string; release?: { gatewayApi: { version: string } } }): UsageError | undefined {
  if (!spec.gatewayApi || spec.release) return undefined;
  return new UsageError(`meshup does not know which Gateway API release Istio ${spec.istioVersion} is built against: its version catalog lacks that minor`, {
    fix: [
      `Install the Gateway API CRDs Istio ${spec.istioVersion} needs yourself, then run meshup with --no-gateway-api (or gatewayApi: false in meshup.yaml)`,
      'or use an Istio version the catalog knows (meshup versions lists them)',
    ],
  });
}

export function planGatewayApi(input: GatewayApiPlanInput): { action?: GatewayApiAction; note?: string } {
  if (!input.enabled) return {};
  const istio = input.istioVersion;
  const want = input.want;
  if (!want) return { note: unknownGatewayApi({ gatewayApi: true, istioVersion: istio })!.message };
  if (input.unreadable) {
    return {
      action: {
        change: 'none',
        title: `Gateway API CRDs not checked: the cluster's CRDs could not be listed`,
        reasons: [`meshup changes them only once it can see them (Istio ${istio} wants ${want})`],
        commands: [],
        op: { type: 'gateway-api', how: 'keep', version: want, mark: false },
      },
    };
  }
  const crds = input.observed?.crds ?? [];
  const missing = input.observed?.missing ?? [];
  const owner = ownerOf(crds);
  const apply = (mark: boolean, dropPolicy = false) => [
    ...(dropPolicy ? [input.kube(dropPolicyArgs())] : []),
    input.kube(applyArgs(), `(the objects of ${input.bundleFile}${mark ? `, each labelled ${GATEWAY_API_LABEL}=${want}` : ''})`),
  ];
  const op = (how: GatewayApiOp['how'], mark: boolean, dropPolicy = false): GatewayApiOp => ({
    type: 'gateway-api',
    how,
    version: want,
    mark,
    ...(dropPolicy ? { dropPolicy } : {}),
  });

  if (!crds.length) {
    return {
      action: {
        change: 'create',
        title: `install Gateway API CRDs ${want} (standard channel)`,
        reasons: [],
        commands: apply(true),
        op: op('install', true),
      },
    };
  }

  const versions = [...new Set(crds.map((c) => c.version ?? 'unknown'))];
  const relations = versions.map((v) => compareBundle(v === 'unknown' ? undefined : v, want));
  const sameMinor = relations.every((r) => r === 'equal' || r === 'compatible');

  if (!sameMinor || versions.length > 1) {
    // Replacing changes what every Gateway API resource is validated against: only with a yes.
    const reasons: string[] = [];
    if (versions.length > 1) {
      for (const v of versions)
        reasons.push(`${v === 'unknown' ? 'without a release annotation' : v}: ${names(crds.filter((c) => (c.version ?? 'unknown') === v))}`);
    } else reasons.push(`${plural(crds.length, 'CRD')} at ${versions[0] === 'unknown' ? 'an unknown release' : versions[0]}, ${ownerText[owner]}`);
    if (relations.includes('newer')) reasons.push(`CRDs newer than Istio ${istio} knows can keep istiod from becoming ready (istio/istio#59443)`);
    if (relations.includes('older'))
      reasons.push(`with CRDs older than Istio ${istio} reads (${want}), istiod ignores the kinds and fields they lack: routes silently stop working`);
    if (relations.includes('unknown')) reasons.push(`a CRD without the ${BUNDLE_VERSION_ANNOTATION} annotation is of an unknown release`);
    if (crds.some((c) => c.channel === 'experimental'))
      reasons.push("they are the experimental channel: the standard channel's CRDs drop its extra fields and versions");
    reasons.push('to keep them as they are, run meshup with --no-gateway-api');
    // The safe-upgrades policy of a v1.5+ release refuses CRDs of an older minor.
    const dropPolicy = crds.some((c) => c.version && carriesSafeUpgradesPolicy(c.version) && compareBundle(want, c.version) === 'older');
    const from = versions.length > 1 ? `of mixed releases (${versions.join(', ')})` : versions[0] === 'unknown' ? 'of an unknown release' : versions[0]!;
    return {
      action: {
        change: 'update',
        title: `replace Gateway API CRDs ${from} with ${want} (standard channel)`,
        reasons,
        needsYes: true,
        commands: apply(owner === 'meshup', dropPolicy),
        op: op('replace', owner === 'meshup', dropPolicy),
      },
    };
  }

  // One release, of the wanted minor.
  const have = versions[0]!;
  const experimental = crds.some((c) => c.channel === 'experimental');
  if (owner === 'meshup' && !experimental && isLater(want, have)) {
    return {
      action: {
        change: 'update',
        title: `update Gateway API CRDs ${have} → ${want} (a patch release of the same minor)`,
        reasons: [],
        commands: apply(true),
        op: op('update', true),
      },
    };
  }
  if (owner === 'meshup' && !experimental && missing.length && have === want) {
    return {
      action: {
        change: 'update',
        title: `restore ${plural(missing.length, 'missing Gateway API CRD')} of ${want}`,
        reasons: missing.slice(0, 5).map((m) => `customresourcedefinition ${m} is missing`),
        commands: apply(true),
        op: op('restore', true),
      },
    };
  }
  const notes = [
    owner === 'meshup' ? '' : ownerText[owner],
    experimental ? 'experimental channel' : '',
    have === want ? '' : `compatible with ${want}`,
    owner === 'meshup' && !input.observed?.verified
      ? `not checked CRD by CRD: ${input.observed?.unverified ? `the bundle could not be had (${input.observed.unverified})` : 'the bundle is not cached'}`
      : '',
  ].filter(Boolean);
  return {
    action: {
      change: 'none',
      title: `Gateway API CRDs ${have} ${owner === 'meshup' ? 'unchanged' : 'kept'}${notes.length ? ` (${notes.join('; ')})` : ''}`,
      // meshup does not complete a set it did not install; it says what is missing.
      reasons:
        owner === 'meshup' ? [] : missing.slice(0, 5).map((m) => `customresourcedefinition ${m} is missing; meshup leaves CRDs it did not install alone`),
      commands: [],
      op: op('keep', owner === 'meshup'),
    },
  };
}
