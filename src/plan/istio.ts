// The control plane: install, upgrade (needs a yes), reconfigure when the overlay changed, repair
// what is missing or not ready, or leave it as it is. Also what only the platform can give
// ambient mode, and gateway nodePorts that a random allocation could take first.

import type { Spec } from '../config/spec.js';
import { formatCommand } from '../exec/quote.js';
import { ISTIOCTL_FIELD_MANAGER } from '../istio/ownership.js';
import { detectPlatform } from '../istio/platform.js';
import { installArgs } from '../tools/istioctl-args.js';
import { applyArgs } from '../tools/kubectl-args.js';
import { type Action, type Blocker, count, driftReasons, type PlanContext, type Planned, reasonsOf } from './types.js';

export function readinessSeconds(spec: Spec): number {
  return Math.max(60, Math.round(spec.timeoutMs / 1000));
}

/** No istiod is there (a new cluster, or one read without Istio): nothing to take over. */
export const isNewMesh = ({ observed }: Pick<PlanContext, 'observed'>) =>
  observed.cluster.state === 'absent' || (observed.reachable && !observed.istio.present);

export function planIstio(ctx: PlanContext): Planned {
  const held = versionChange(ctx);
  if (held) return { blockers: [held] };
  const action = istioAction(ctx);
  const outside = action.change !== 'none' && ctx.spec.gateway.ingress ? unreservedNodePorts(ctx.spec) : [];
  const notes = outside.length
    ? [
        `${outside.join(' and ')} ${outside.length > 1 ? 'lie' : 'lies'} outside ${STATIC_NODE_PORTS.from}-${STATIC_NODE_PORTS.to}, the nodePorts Kubernetes keeps for pinning (KEP-3668): a Service given a random nodePort, the gateway's own status port included, can take ${outside.length > 1 ? 'them' : 'it'} first and fail the install`,
      ]
    : [];
  return { actions: [action], notes };
}

/** Another Istio version is an upgrade, which `meshup upgrade` plans (a canary, or --in-place);
 * an upgrade under way belongs to it until finished or rolled back. */
function versionChange({ spec, observed, inPlace }: PlanContext): Blocker | undefined {
  const r = observed.recorded;
  if (r?.upgrade) {
    return {
      kind: 'usage',
      message: `An upgrade to Istio ${r.upgrade.to} (revision ${r.upgrade.revision}) is under way on this cluster`,
      fix: 'meshup upgrade resumes it, meshup upgrade --finish completes it, meshup upgrade --rollback undoes it',
    };
  }
  const installed = r?.istioVersion;
  if (!installed || installed === spec.istioVersion || !observed.istio.present) return undefined;
  if (!inPlace) {
    return {
      kind: 'usage',
      message: `Istio ${installed} runs here; Istio ${spec.istioVersion} would replace it`,
      fix: `Upgrade as a canary (both side by side until --finish): meshup upgrade --to ${spec.istioVersion}; or in place: meshup upgrade --to ${spec.istioVersion} --in-place; or keep it: meshup up --istio-version ${installed}`,
    };
  }
  const minor = (v: string) => Number(v.split('.')[1]);
  if (Math.abs(minor(spec.istioVersion) - minor(installed)) > 1) {
    return {
      kind: 'usage',
      message: `Istio ${installed} → ${spec.istioVersion} in place skips a minor, which an in-place upgrade may not`,
      fix: `Upgrade as a canary (revisions may skip one minor): meshup upgrade --to ${spec.istioVersion}`,
    };
  }
  return undefined;
}

function istioAction(ctx: PlanContext): Action {
  const { spec, observed, overlay, seen, kube, context } = ctx;
  const recorded = observed.recorded;
  const istioctl = (f: string) => formatCommand('istioctl', ['--context', context, ...installArgs(f, readinessSeconds(spec))]);
  const installCmds = [istioctl(overlay.path), ...(overlay.installGateways ? [istioctl(overlay.gateways.path)] : [])];
  const newMesh = isNewMesh(ctx);
  if (!seen || !observed.istio.present) {
    // On a new mesh the gateways are applied from their rendered manifest (istio/install.ts).
    const newMeshCmds = [
      istioctl(overlay.path),
      ...(overlay.installGateways
        ? [
            kube(
              applyArgs(ISTIOCTL_FIELD_MANAGER),
              `(the gateways' objects istioctl renders for ${overlay.gateways.path}, labelled as its install labels them)`,
            ),
          ]
        : []),
    ];
    const leaving = seen && !!observed.istio.leaving;
    return {
      id: 'istio',
      change: 'create',
      title: `install Istio ${spec.istioVersion} (${spec.profile.istio.profile} profile)`,
      reasons: leaving ? ['istio-system is being deleted (a down moments ago): the install waits until it is gone'] : [],
      commands: newMesh ? newMeshCmds : installCmds,
      op: { type: 'istio', how: 'install', ...(newMesh ? { newMesh } : {}), ...(leaving ? { afterNamespaceGone: true } : {}) },
    };
  }
  const installed = recorded?.istioVersion;
  if (installed && installed !== spec.istioVersion) {
    return {
      id: 'istio',
      change: 'update',
      title: `${newer(spec.istioVersion, installed) ? 'upgrade' : 'downgrade'} Istio ${installed} → ${spec.istioVersion}`,
      reasons: [],
      needsYes: true,
      commands: installCmds,
      op: { type: 'istio', how: 'upgrade', from: installed },
    };
  }
  if (!installed || recorded?.overlayHash !== overlay.hash) {
    return {
      id: 'istio',
      change: 'update',
      title: `reconfigure Istio ${spec.istioVersion} (${installed ? `profile ${spec.profile.name}: the overlay changed` : 'not installed by meshup'})`,
      reasons: [],
      commands: installCmds,
      op: { type: 'istio', how: 'reconfigure' },
    };
  }
  const { missing, notReady } = observed.istio;
  const drifted = observed.drift?.istio ?? [];
  if (missing.length || notReady.length || drifted.length) {
    // Missing and changed objects come back from the rendered manifest (a server-side apply of
    // just those), without re-running the install; a workload that is not ready for any other
    // reason needs istioctl's wait and diagnosis.
    const changed = drifted.map((d) => d.ref);
    const fixes = missing.length + changed.length;
    // A workload down because of what drifted (scaled to 0) comes back with the drifted object.
    const fixedByReapply = (w: string) => changed.some((r) => `${r.kind.toLowerCase()}/${r.name}` === w);
    const reapply = fixes > 0 && notReady.every(fixedByReapply) && observed.istio.manifestCached;
    const what = [
      missing.length ? `${count(missing.length, 'object')} missing` : '',
      changed.length ? `${count(changed.length, 'object')} changed` : '',
      notReady.length ? `${count(notReady.length, 'workload')} not ready` : '',
    ];
    return {
      id: 'istio',
      change: 'update',
      title: `repair Istio ${spec.istioVersion}: ${what.filter(Boolean).join(', ')}`,
      reasons: [...driftReasons(drifted), ...reasonsOf(missing, [], reapply ? [] : notReady)],
      commands: reapply
        ? [kube(applyArgs(ISTIOCTL_FIELD_MANAGER), `(the ${count(fixes, 'object')} above, from the manifest istioctl rendered for this overlay)`)]
        : installCmds,
      op: { type: 'istio', how: 'repair', ...(reapply ? { missing, changed } : {}) },
    };
  }
  return {
    id: 'istio',
    change: 'none',
    title: `Istio ${spec.istioVersion} unchanged${observed.istio.verified ? '' : ' (objects not listed: istioctl is not at hand)'}`,
    reasons: [],
    commands: [],
    op: { type: 'istio', how: 'keep' },
  };
}

/** Ambient mode needs what only the platform can give: said before anything runs. */
export function planAmbientPlatform({ spec, observed, provider, seen }: PlanContext): Planned {
  if (spec.dataplane !== 'ambient') return {};
  const detected = seen ? detectPlatform(observed.nodes) : undefined;
  const platform = spec.platform ?? provider.istioPlatform;
  if (detected && detected !== platform) {
    return {
      blockers: [
        {
          message: `This cluster runs ${detected}: Istio's ambient mode needs global.platform=${detected} there (istio-cni's node paths differ)`,
          fix: `add platform: ${detected} to meshup.yaml, or set MESHUP_PLATFORM=${detected}`,
        },
      ],
    };
  }
  return provider.ambientNote && !(spec.platform && !provider.simulated) ? { notes: [provider.ambientNote] } : {};
}

/** The band of the default nodePort range (30000-32767) that random allocation leaves alone
 * while any other port is free: min(max(16, size/32), 128) ports from its start (KEP-3668,
 * ServiceNodePortStaticSubrange, on by default since Kubernetes 1.27). */
export const STATIC_NODE_PORTS = { from: 30000, to: 30085 } as const;

function unreservedNodePorts(spec: Spec): string[] {
  const g = spec.gateway;
  return (
    [
      ['gateway.httpNodePort', g.httpNodePort],
      ['gateway.httpsNodePort', g.httpsNodePort],
    ] as const
  )
    .filter(([, p]) => p < STATIC_NODE_PORTS.from || p > STATIC_NODE_PORTS.to)
    .map(([k, p]) => `${k} ${p}`);
}

function newer(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split(/[.-]/).map((p) => (Number.isNaN(Number(p)) ? 0 : Number(p))));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return (x![i] ?? 0) > (y![i] ?? 0);
  return false;
}
