// The plan: a pure function of the desired spec and the observed cluster. Every change meshup
// will make is decided here, before the first one is made, with a future-tense title, whether it
// changes anything, and the exact commands. `meshup plan`, `up --dry-run` and `up` itself all
// print or run this same list. No I/O.

import { dirname, join } from 'node:path';
import { removeAddonArgs } from '../addons/apply.js';
import { HASH_ANNOTATION, tracingTelemetry } from '../addons/manifest.js';
import type { Addon, Dataplane } from '../config/schema.js';
import type { Spec } from '../config/spec.js';
import { formatCommand } from '../exec/quote.js';
import { bundleCacheFile } from '../gatewayapi/bundle.js';
import { type GatewayApiOp, planGatewayApi } from '../gatewayapi/plan.js';
import { gatewayApiVersionFor } from '../gatewayapi/version.js';
import { AMBIENT_LABEL, injectionManifest, modeOf, otherModeRemovals, REVISION_LABEL, SIDECAR_LABEL } from '../istio/injection.js';
import { INJECTION_MARKER, ISTIO_NAMESPACE } from '../istio/labels.js';
import { peerAuthentication } from '../istio/mtls.js';
import { overlayFiles, overlayHash } from '../istio/overlay.js';
import { ISTIOCTL_FIELD_MANAGER } from '../istio/ownership.js';
import { detectPlatform } from '../istio/platform.js';
import { podsWithoutSidecar, podsWithSidecar } from '../istio/sidecars.js';
import type { Observed } from '../observe/observe.js';
import { type ObjectRef, refLabel } from '../observe/refs.js';
import type { Provider } from '../providers/types.js';
import { type AppliedSpec, appliedSpecManifest } from '../state/record.js';
import { installArgs } from '../tools/istioctl.js';
import { applyArgs } from '../tools/kubectl.js';

/** + create, ~ change or repair, - remove, = nothing to do. */
type Symbol = '+' | '~' | '-' | '=';

export type Op =
  | { type: 'cluster'; how: 'create' | 'start' | 'reuse' | 'restore-context' }
  | {
      type: 'istio';
      how: 'install' | 'upgrade' | 'reconfigure' | 'repair' | 'keep';
      from?: string;
      missing?: ObjectRef[];
      /** No istiod is there (a new cluster, or one read without Istio): nothing to take over. */
      newMesh?: boolean;
    }
  | { type: 'mtls'; mode?: 'strict' | 'permissive' }
  | { type: 'injection'; enable: string[]; disable: string[]; mode: Dataplane; switching?: string[] }
  | { type: 'addon'; name: string; how: 'apply' | 'repair' | 'remove' | 'keep'; kinds?: string[] }
  | { type: 'telemetry'; how: 'apply' | 'remove' | 'keep' }
  | { type: 'record'; spec: AppliedSpec }
  | GatewayApiOp;

export interface Action {
  /** Stable id: "cluster", "istio", "addon:kiali"... */
  id: string;
  symbol: Symbol;
  /** Future tense, e.g. "create kind cluster meshup". */
  title: string;
  /** Why: what was observed, e.g. "deployment istio-system/istio-ingressgateway is missing". */
  reasons: string[];
  changes: boolean;
  /** Needs --yes (or a yes at the prompt) because it replaces something that works. */
  needsYes?: boolean;
  /** The exact commands it runs (a generated file is shown by its path and content). */
  commands: string[];
  op: Op;
}

export interface Plan {
  actions: Action[];
  /** The overlays the Istio actions use (the control plane's, the gateways'), where they will be
   * written, and their combined hash. */
  overlay: {
    path: string;
    yaml: string;
    hash: string;
    /** `wanted`: some gateway is enabled (else its overlay installs nothing, and prunes). */
    gateways: { path: string; yaml: string; wanted: boolean };
    /** Whether the gateways' install runs (with the control plane's) when Istio is installed. */
    installGateways: boolean;
  };
  /** Things the plan cannot change, said once (e.g. a cluster that exists but does not answer). */
  blockers: string[];
  /** What a person should know that no action changes (e.g. host ports fixed at creation). */
  notes: string[];
}

export interface PlanInput {
  spec: Spec;
  observed: Observed;
  provider: Provider;
  catalog: Map<string, Addon>;
  context: string;
  overlayPath: string;
  env: NodeJS.ProcessEnv;
  /** Which concerns to plan: `addons enable` plans only addons (and the record). */
  only?: ReadonlySet<Op['type']>;
}

const MAX_REASONS = 6;

function reasonsOf(missing: ObjectRef[], changed: ObjectRef[] = [], notReady: string[] = []): string[] {
  const all = [
    ...missing.map((r) => `${refLabel(r)} is missing`),
    ...changed.map((r) => `${refLabel(r)} was changed`),
    ...notReady.map((w) => `${w} is not ready`),
  ];
  return all.length > MAX_REASONS ? [...all.slice(0, MAX_REASONS - 1), `and ${all.length - MAX_REASONS + 1} more`] : all;
}

export function plan(input: PlanInput): Plan {
  const { spec, observed, provider, catalog, context } = input;
  const want = (t: Op['type']) => !input.only || input.only.has(t);
  const kube = (args: string[], stdin?: string) => formatCommand('kubectl', ['--context', context, ...args], stdin);
  const files = overlayFiles(spec, provider);
  const hash = overlayHash(files);
  // A cluster that may have Istio may hold gateways from before (of an earlier profile, or
  // installed with the control plane by an older meshup): the gateways' install runs there to
  // take them over or prune them, even when none is wanted now.
  const newMesh = observed.cluster.state === 'absent' || (observed.reachable && !observed.istio.present);
  const installGateways = files.anyGateway || !newMesh;
  const overlay = {
    path: input.overlayPath,
    yaml: files.controlPlane,
    hash,
    gateways: { path: join(dirname(input.overlayPath), 'istio-gateways.yaml'), yaml: files.gateways, wanted: files.anyGateway },
    installGateways,
  };
  const actions: Action[] = [];
  const blockers: string[] = [];
  const notes: string[] = [];
  const state = observed.cluster.state;
  const fresh = state === 'absent';
  const recorded = observed.recorded;

  // A cluster whose context was deleted: write it back first; nothing else can be read till then.
  if (observed.cluster.contextMissing) {
    if (provider.restoreContext) {
      actions.push({
        id: 'cluster',
        symbol: '~',
        title: `restore the kube context ${context} of ${provider.name} cluster ${spec.clusterName}`,
        reasons: ['the cluster runs, but its context is missing from the kubeconfig'],
        changes: true,
        commands: [provider.restoreContextCommand!(spec)],
        op: { type: 'cluster', how: 'restore-context' },
      });
      notes.push('the rest is planned once the context is back: meshup up restores it first, then reads the cluster');
    } else blockers.push(`The kube context ${context} is missing. Fix: create it again (kubectl config set-context), then run meshup again`);
    return { actions, overlay, blockers, notes };
  }

  // The cluster.
  if (want('cluster')) {
    if (fresh) {
      if (provider.creates) {
        actions.push({
          id: 'cluster',
          symbol: '+',
          title: `create ${provider.name} cluster ${spec.clusterName} (${spec.need.cpus} CPUs, ${Math.round(spec.need.memoryMiB / 102.4) / 10} GiB)`,
          reasons: [],
          changes: true,
          commands: provider.createCommands(spec),
          op: { type: 'cluster', how: 'create' },
        });
      } else blockers.push(`The cluster of context ${context} does not answer; start it, then run meshup again`);
    } else if (state !== 'running') {
      if (provider.startRepairs.includes(state)) {
        actions.push({
          id: 'cluster',
          symbol: '~',
          title: `${state === 'broken' ? 'repair' : 'start'} ${provider.name} cluster ${spec.clusterName} (it is ${state})`,
          reasons: observed.cluster.detail ? [observed.cluster.detail] : [],
          changes: true,
          commands: provider.startCommands(spec),
          op: { type: 'cluster', how: 'start' },
        });
      } else {
        blockers.push(
          `The ${provider.name} cluster "${spec.clusterName}" exists but ${state === 'broken' ? 'its API server does not answer' : `is ${state}`}${observed.cluster.detail ? ` (${firstLine(observed.cluster.detail)})` : ''}. Fix: ${provider.brokenFix(spec)}`,
        );
      }
    } else {
      actions.push({
        id: 'cluster',
        symbol: '=',
        title: `reuse ${provider.name} cluster ${spec.clusterName}`,
        reasons: [],
        changes: false,
        commands: [],
        op: { type: 'cluster', how: 'reuse' },
      });
    }
  }
  // What the cluster cannot tell yet (it does not run) is planned as if empty.
  const seen = observed.reachable;

  // Host ports are fixed when a kind cluster is made: say when they differ from what is asked.
  if (provider.mapsHostPorts && !fresh && observed.hostPorts) {
    const missing = provider
      .portMappings(spec)
      .filter((m) => !observed.hostPorts!.some((h) => h.containerPort === m.containerPort && h.hostPort === m.hostPort));
    if (missing.length) {
      const have = observed.hostPorts.map((h) => `${h.hostPort}→${h.containerPort}`).join(', ') || 'none';
      notes.push(
        `the ${provider.name} cluster maps host ports ${have}, not ${missing.map((m) => `${m.hostPort}→${m.containerPort}`).join(', ')} as asked; they are fixed when a cluster is made, so to change them: meshup down, then meshup up (meanwhile meshup ingress gives a port-forward)`,
      );
    }
  }

  // The Gateway API CRDs of the release Istio is built against (gatewayapi/plan.ts has the rule).
  if (want('gateway-api')) {
    const g = planGatewayApi({
      enabled: spec.gatewayApi,
      istioVersion: spec.istioVersion,
      observed: seen ? observed.gatewayApi : undefined,
      unreadable: seen && !observed.gatewayApi,
      bundleFile: bundleCacheFile(input.env, gatewayApiVersionFor(spec.istioVersion) ?? 'unknown'),
      kube,
    });
    if (g.note) notes.push(g.note);
    if (g.action) actions.push({ id: 'gateway-api', ...g.action });
  }

  // The control plane.
  const istioctl = (f: string) => formatCommand('istioctl', ['--context', context, ...installArgs(f, readinessSeconds(spec))]);
  const installCmds = [istioctl(overlay.path), ...(installGateways ? [istioctl(overlay.gateways.path)] : [])];
  // On a new mesh the gateways are applied from their rendered manifest (istio/install.ts).
  const newMeshCmds = [
    istioctl(overlay.path),
    ...(installGateways
      ? [kube(applyArgs(ISTIOCTL_FIELD_MANAGER), `(the gateways' objects istioctl renders for ${overlay.gateways.path}, labelled as its install labels them)`)]
      : []),
  ];
  if (want('istio')) {
    const installed = seen && observed.istio.present ? recorded?.istioVersion : undefined;
    const sameOverlay = recorded?.overlayHash === hash;
    let a: Action;
    if (!seen || !observed.istio.present) {
      a = {
        id: 'istio',
        symbol: '+',
        title: `install Istio ${spec.istioVersion} (${spec.profile.istio.profile} profile)`,
        reasons: [],
        changes: true,
        commands: newMesh ? newMeshCmds : installCmds,
        op: { type: 'istio', how: 'install', ...(newMesh ? { newMesh } : {}) },
      };
    } else if (installed && installed !== spec.istioVersion) {
      a = {
        id: 'istio',
        symbol: '~',
        title: `${newer(spec.istioVersion, installed) ? 'upgrade' : 'downgrade'} Istio ${installed} → ${spec.istioVersion}`,
        reasons: [],
        changes: true,
        needsYes: true,
        commands: installCmds,
        op: { type: 'istio', how: 'upgrade', from: installed },
      };
    } else if (!installed || !sameOverlay) {
      a = {
        id: 'istio',
        symbol: '~',
        title: `reconfigure Istio ${spec.istioVersion} (${installed ? `profile ${spec.profile.name}: the overlay changed` : 'not installed by meshup'})`,
        reasons: [],
        changes: true,
        commands: installCmds,
        op: { type: 'istio', how: 'reconfigure' },
      };
    } else if (observed.istio.missing.length || observed.istio.notReady.length) {
      // Missing objects come back from the rendered manifest, without re-running the install;
      // a workload that is not ready needs istioctl's wait and diagnosis.
      const { missing, notReady } = observed.istio;
      const reapply = missing.length > 0 && notReady.length === 0 && observed.istio.manifestCached;
      a = {
        id: 'istio',
        symbol: '~',
        title: `repair Istio ${spec.istioVersion}: ${[missing.length ? `${count(missing.length, 'object')} missing` : '', notReady.length ? `${count(notReady.length, 'workload')} not ready` : ''].filter(Boolean).join(', ')}`,
        reasons: reasonsOf(missing, [], notReady),
        changes: true,
        commands: reapply
          ? [kube(applyArgs(ISTIOCTL_FIELD_MANAGER), `(the ${count(missing.length, 'object')} above, from the manifest istioctl rendered for this overlay)`)]
          : installCmds,
        op: { type: 'istio', how: 'repair', ...(reapply ? { missing } : {}) },
      };
    } else {
      a = {
        id: 'istio',
        symbol: '=',
        title: `Istio ${spec.istioVersion} unchanged${observed.istio.verified ? '' : ' (objects not listed: istioctl is not at hand)'}`,
        reasons: [],
        changes: false,
        commands: [],
        op: { type: 'istio', how: 'keep' },
      };
    }
    actions.push(a);
    const outside = a.changes && spec.gateway.ingress ? unreservedNodePorts(spec) : [];
    if (outside.length) {
      notes.push(
        `${outside.join(' and ')} ${outside.length > 1 ? 'lie' : 'lies'} outside ${STATIC_NODE_PORTS.from}-${STATIC_NODE_PORTS.to}, the nodePorts Kubernetes keeps for pinning (KEP-3668): a Service given a random nodePort, the gateway's own status port included, can take ${outside.length > 1 ? 'them' : 'it'} first and fail the install`,
      );
    }
  }

  // Mesh-wide mTLS.
  if (want('mtls')) {
    const have = seen ? observed.peerAuthentication : undefined;
    if (spec.mtls) {
      const ok = have?.mode === spec.mtls;
      actions.push(
        ok
          ? {
              id: 'mtls',
              symbol: '=',
              title: `mesh-wide mTLS ${spec.mtls} unchanged`,
              reasons: [],
              changes: false,
              commands: [],
              op: { type: 'mtls', mode: spec.mtls },
            }
          : {
              id: 'mtls',
              symbol: have ? '~' : '+',
              title: `set mesh-wide mTLS to ${spec.mtls}`,
              reasons: have ? [`it is ${have.mode ?? 'unset'}`] : [],
              changes: true,
              commands: [kube(applyArgs(), JSON.stringify(peerAuthentication(spec.mtls)))],
              op: { type: 'mtls', mode: spec.mtls },
            },
      );
    } else if (have?.managed) {
      actions.push({
        id: 'mtls',
        symbol: '-',
        title: 'remove the mesh-wide mTLS setting meshup made',
        reasons: [],
        changes: true,
        commands: [kube(['delete', 'peerauthentication/default', '--ignore-not-found', '--wait=false', '-n', ISTIO_NAMESPACE])],
        op: { type: 'mtls' },
      });
    }
  }

  // Ambient mode needs what only the platform can give: said before anything runs.
  if (spec.dataplane === 'ambient' && want('istio')) {
    const detected = seen ? detectPlatform(observed.nodes) : undefined;
    const platform = spec.platform ?? provider.istioPlatform;
    if (detected && detected !== platform) {
      blockers.push(
        `This cluster runs ${detected}: Istio's ambient mode needs global.platform=${detected} there (istio-cni's node paths differ). Fix: add platform: ${detected} to meshup.yaml, or set MESHUP_PLATFORM=${detected}`,
      );
    } else if (provider.ambientNote && !(spec.platform && !provider.simulated)) notes.push(provider.ambientNote);
  }

  // Namespaces in the mesh: meshup's own (marked) labels only, in the spec's dataplane mode.
  if (want('injection')) {
    const mode = spec.dataplane;
    const modeName = (m: Dataplane) => (m === 'ambient' ? 'ambient mode' : 'sidecar injection');
    const byName = new Map((seen ? observed.namespaces : []).map((n) => [n.metadata.name, n]));
    const labelsOf = (ns: string) => byName.get(ns)?.metadata.labels ?? {};
    const marked = (ns: string) => !!labelsOf(ns)[INJECTION_MARKER];
    const enable: string[] = [];
    const keep: string[] = [];
    const switching: string[] = [];
    for (const ns of spec.namespaces) {
      const labels = labelsOf(ns);
      const hasOurs = mode === 'ambient' ? labels[AMBIENT_LABEL] === 'ambient' : labels[SIDECAR_LABEL] === 'enabled' || !!labels[REVISION_LABEL];
      const other = modeOf(labels) !== undefined && modeOf(labels) !== mode;
      if (other && marked(ns)) switching.push(ns);
      else if (hasOurs) keep.push(ns);
      else enable.push(ns);
      // A label of the other mode set by hand stays; say what it means.
      if (other && !marked(ns)) {
        notes.push(
          mode === 'ambient'
            ? `${ns}: its istio-injection label was set by hand, so meshup leaves it; new pods there still get sidecars, which ztunnel skips (remove it: kubectl label namespace ${ns} istio-injection- istio.io/rev-)`
            : `${ns}: its istio.io/dataplane-mode label was set by hand, so meshup leaves it; pods with sidecars are skipped by ztunnel either way`,
        );
      }
    }
    const disable = [...byName.values()]
      .filter((n) => n.metadata.labels?.[INJECTION_MARKER] && !spec.namespaces.includes(n.metadata.name))
      .map((n) => n.metadata.name);
    for (const ns of enable) {
      actions.push({
        id: `injection:${ns}`,
        symbol: '+',
        title: `${mode === 'ambient' ? `enrol ${ns} in ambient mode` : `enable sidecar injection in ${ns}`}${byName.has(ns) || !seen ? '' : ' (creating the namespace)'}`,
        reasons: [],
        changes: true,
        commands: [kube(applyArgs(), injectionManifest([ns], mode))],
        op: { type: 'injection', enable: [ns], disable: [], mode },
      });
    }
    for (const ns of switching) {
      const from: Dataplane = mode === 'ambient' ? 'sidecar' : 'ambient';
      const pods = observed.meshPods ?? [];
      const stale = mode === 'ambient' ? podsWithSidecar(pods, new Set([ns])) : podsWithoutSidecar(pods, new Set([ns]));
      const workloads = [...new Set(stale.flatMap((p) => (p.workload ? [p.workload] : [])))];
      const bare = stale.filter((p) => !p.workload).map((p) => p.pod);
      const reasons = stale.length
        ? [
            `${count(stale.length, 'running pod')} ${mode === 'ambient' ? 'keep their sidecars' : 'get no sidecar'} until recreated${workloads.length ? `: kubectl rollout restart ${workloads.join(' ')} -n ${ns}` : ''}`,
            ...(bare.length ? [`pods without a controller, to delete and recreate by hand: ${bare.join(', ')}`] : []),
          ]
        : [`no running pod needs a restart${observed.meshPods ? '' : ' (pods not read)'}`];
      actions.push({
        id: `injection:${ns}`,
        symbol: '~',
        title: `switch ${ns} from ${modeName(from)} to ${modeName(mode)}`,
        reasons,
        changes: true,
        commands: [kube(applyArgs(), injectionManifest([ns], mode)), kube(['label', 'namespace', ns, '--overwrite', ...otherModeRemovals(mode)])],
        op: { type: 'injection', enable: [ns], disable: [], mode, switching: [ns] },
      });
    }
    for (const ns of disable) {
      const was = modeOf(labelsOf(ns)) ?? mode;
      actions.push({
        id: `injection:${ns}`,
        symbol: '-',
        title:
          was === 'ambient'
            ? `take ${ns} out of ambient mode (its pods leave the mesh at once)`
            : `disable sidecar injection in ${ns} (running pods keep their sidecars until restarted)`,
        reasons: [],
        changes: true,
        commands: [kube(['label', 'namespace', ns, '--overwrite', `${SIDECAR_LABEL}-`, `${REVISION_LABEL}-`, `${AMBIENT_LABEL}-`, `${INJECTION_MARKER}-`])],
        op: { type: 'injection', enable: [], disable: [ns], mode },
      });
    }
    for (const ns of keep) {
      const byHand = !marked(ns);
      actions.push({
        id: `injection:${ns}`,
        symbol: '=',
        title: `${mode === 'ambient' ? `${ns} in ambient mode` : `sidecar injection in ${ns}`} unchanged${byHand ? ' (labelled by hand)' : ''}`,
        reasons: [],
        changes: false,
        commands: [],
        op: { type: 'injection', enable: [], disable: [], mode },
      });
    }
  }

  // Addons.
  const releaseSamples = `${spec.istioDir ?? `<Istio ${spec.istioVersion} release>`}/samples/addons`;
  if (want('addon')) {
    const recordedAddons = new Set(recorded?.addons ?? []);
    const sameIstio = !recorded || recorded.istioVersion === spec.istioVersion;
    for (const name of spec.addons) {
      const a = catalog.get(name)!;
      const o = seen ? observed.addons[name] : undefined;
      const applyCmd = kube(applyArgs(), `(the objects of ${releaseSamples.replace(/\/samples\/addons$/, '')}/${a.manifest})`);
      if (!o?.present) {
        actions.push({
          id: `addon:${name}`,
          symbol: '+',
          title: `apply addon ${name}${spec.addedDependencies.includes(name) ? ' (needed by another addon)' : ''}`,
          reasons: [],
          changes: true,
          commands: [applyCmd],
          op: { type: 'addon', name, how: 'apply' },
        });
      } else if (!sameIstio || o.missing.length || o.changed.length || o.notReady.length || !recordedAddons.has(name)) {
        const reasons = sameIstio ? reasonsOf(o.missing, o.changed, o.notReady) : [`it comes from Istio ${recorded?.istioVersion}'s release`];
        actions.push({
          id: `addon:${name}`,
          symbol: '~',
          title: `${sameIstio ? 'repair' : 'update'} addon ${name}${reasons.length === 0 ? ' (not applied by meshup yet)' : ''}`,
          reasons,
          changes: true,
          commands: [applyCmd],
          op: { type: 'addon', name, how: 'repair' },
        });
      } else {
        actions.push({
          id: `addon:${name}`,
          symbol: '=',
          title: `addon ${name} ready${o.verified ? '' : ' (objects not listed: the release is not at hand)'}`,
          reasons: [],
          changes: false,
          commands: [],
          op: { type: 'addon', name, how: 'keep' },
        });
      }
    }
    // Addons meshup applied that are no longer wanted: exactly their labelled objects.
    for (const a of catalog.values()) {
      if (spec.addons.includes(a.name) || !seen || !observed.addons[a.name]?.present) continue;
      if (!recordedAddons.has(a.name)) continue;
      actions.push({
        id: `addon:${a.name}`,
        symbol: '-',
        title: `remove addon ${a.name}`,
        reasons: [],
        changes: true,
        commands: [kube(removeAddonArgs(a, observed.addons[a.name]!.kinds))],
        op: { type: 'addon', name: a.name, how: 'remove', kinds: observed.addons[a.name]!.kinds },
      });
    }
    // Jaeger shows nothing until a Telemetry selects the tracing provider (istio#53779).
    const wantsTracing = spec.addons.includes('jaeger');
    const t = seen ? observed.telemetry : undefined;
    if (wantsTracing) {
      const ok = t && t.hash === telemetryHash(spec);
      actions.push(
        ok
          ? {
              id: 'telemetry',
              symbol: '=',
              title: 'tracing Telemetry unchanged',
              reasons: [],
              changes: false,
              commands: [],
              op: { type: 'telemetry', how: 'keep' },
            }
          : {
              id: 'telemetry',
              symbol: t ? '~' : '+',
              title: `apply the tracing Telemetry (${spec.profile.istio.tracingSampling ?? 1}% sampled, to jaeger)`,
              reasons: t ? ['telemetry istio-system/mesh-default was changed'] : [],
              changes: true,
              commands: [kube(applyArgs(), JSON.stringify(tracingTelemetry(spec.profile.istio.tracingSampling ?? 1)))],
              op: { type: 'telemetry', how: 'apply' },
            },
      );
    } else if (t) {
      actions.push({
        id: 'telemetry',
        symbol: '-',
        title: 'remove the tracing Telemetry',
        reasons: [],
        changes: true,
        commands: [kube(['delete', 'telemetry/mesh-default', '--ignore-not-found', '-n', ISTIO_NAMESPACE])],
        op: { type: 'telemetry', how: 'remove' },
      });
    }
  }

  // The record: what this plan converges to, so later commands and status can compare.
  const next: AppliedSpec = {
    provider: spec.provider,
    clusterName: spec.clusterName,
    profile: spec.profile.name,
    profileRef: spec.profileRef,
    istioVersion: spec.istioVersion,
    overlayHash: hash,
    addons: [...spec.addons],
    namespaces: [...spec.namespaces],
    dataplane: spec.dataplane,
    ...(spec.mtls ? { mtls: spec.mtls } : {}),
  };
  if (input.only) {
    // A partial plan records only what it changes, over the cluster's own record.
    Object.assign(next, {
      ...recorded,
      ...(want('addon') ? { addons: [...spec.addons] } : {}),
      ...(want('injection') ? { namespaces: [...spec.namespaces] } : {}),
    });
  }
  if (!sameRecord(recorded, next) && (!input.only || recorded)) {
    actions.push({
      id: 'record',
      symbol: '~',
      title: 'record the applied spec in kube-public/meshup',
      reasons: [],
      changes: true,
      commands: [kube(applyArgs(), appliedSpecManifest(next, '<meshup version>'))],
      op: { type: 'record', spec: next },
    });
  }
  return { actions, overlay, blockers, notes };
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

/** Addons need the whole release (samples/); the control plane alone needs only an istioctl. */
export const needsWholeRelease = (plan: Plan) => plan.actions.some((a) => a.changes && a.op.type === 'addon' && a.op.how !== 'remove');
/** A repair from the rendered manifest needs no istioctl. */
export const needsIstio = (plan: Plan) => needsWholeRelease(plan) || plan.actions.some((a) => a.changes && a.op.type === 'istio' && !a.op.missing);

export function readinessSeconds(spec: Spec): number {
  return Math.max(60, Math.round(spec.timeoutMs / 1000));
}

function telemetryHash(spec: Spec): string | undefined {
  const md = tracingTelemetry(spec.profile.istio.tracingSampling ?? 1).metadata as { annotations?: Record<string, string> };
  return md.annotations?.[HASH_ANNOTATION];
}

function sameRecord(a: AppliedSpec | undefined, b: AppliedSpec): boolean {
  if (!a) return false;
  const norm = (s: AppliedSpec) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(s)
          .filter(([, v]) => v !== undefined)
          .sort(([x], [y]) => x.localeCompare(y)),
      ),
    );
  return norm(a) === norm(b);
}

function newer(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split(/[.-]/).map((p) => (Number.isNaN(Number(p)) ? 0 : Number(p))));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return (x![i] ?? 0) > (y![i] ?? 0);
  return false;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const firstLine = (s: string) => s.split('\n')[0]!.slice(0, 200);
