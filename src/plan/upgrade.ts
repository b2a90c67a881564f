// A canary upgrade as a plan (Istio's canary path): the new version installed as a revision of its
// own beside the running one, the gateways upgraded in place, namespaces moved to the new revision
// (all, or some at a time) and their workloads restarted; then either --finish (the old revision
// uninstalled, the record naming the new one, and up's own plan for what follows the version: the
// Gateway API CRDs and the addons of the new release) or --rollback (namespaces and gateways back,
// the new revision removed). What is already so is kept, so a run stopped midway is resumed by
// running it again. Pure: the command reads, this decides, apply/upgrade.ts carries it out.
import type { IstioRelease, VersionCatalog } from '../config/schema.js';
import type { Spec } from '../config/spec.js';
import { parseIstioVersion } from '../config/versions.js';
import { formatCommand } from '../exec/quote.js';
import { REVISION_LABEL, SIDECAR_LABEL } from '../istio/injection.js';
import { INJECTION_MARKER, istiodName, revisionOf } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import type { AppliedSpec } from '../state/applied-spec.js';
import type { Blocker } from './types.js';

export type UpgradeIntent = { kind: 'start'; to: string; namespaces?: readonly string[] } | { kind: 'finish' } | { kind: 'rollback' };

/** One revision: its version and its name (undefined: the default, unnamed one). */
export interface Revision {
  version: string;
  revision?: string;
}

type UpgradeOp =
  | { type: 'precheck' }
  | { type: 'mark'; upgrade?: { to: string; revision: string } }
  | { type: 'install-revision' }
  | { type: 'move'; namespaces: string[]; to: Revision }
  | { type: 'restart'; namespaces: string[] }
  | { type: 'verify'; namespaces: string[] }
  | { type: 'reinstall'; to: Revision }
  | { type: 'uninstall-revision'; revision: string }
  | { type: 'converge' };

export interface UpgradeStep {
  title: string;
  commands: string[];
  op: UpgradeOp;
  /** Already so (a resumed run): shown, not done again. */
  kept?: boolean;
}

export interface UpgradePlan {
  from: Revision;
  to: Revision;
  steps: UpgradeStep[];
  blockers: Blocker[];
  notes: string[];
}

export interface UpgradeInput {
  intent: UpgradeIntent;
  /** The mesh as recorded (the running version). */
  spec: Spec;
  recorded?: AppliedSpec;
  versions: VersionCatalog;
  nodes: readonly { kubeletVersion: string }[];
  namespaces: readonly KubeObject[];
  /** istio-system's Deployments. */
  deployments: readonly KubeObject[];
  force: boolean;
  /** A kubectl / istioctl command as the plan shows it (context pinned). */
  kube: (args: string[], stdin?: string) => string;
  istioctl: (version: string, args: string[]) => string;
}

const minorOf = (v: string) => parseIstioVersion(v.replace(/^v/, ''))?.minor ?? Number.NaN;
const kubeMinor = (v: string) => Number(/^v?1\.(\d+)/.exec(v)?.[1] ?? Number.NaN);
const releaseOf = (versions: VersionCatalog, v: string) => versions.istio.find((r) => r.minor === v.split('.').slice(0, 2).join('.'));
const gwMinor = (v: string) => v.split('.').slice(0, 2).join('.');
const accepted = (r: IstioRelease) => r.gatewayApi.accepts ?? [gwMinor(r.gatewayApi.version)];
const newer = (a: string, b: string) => {
  const [x, y] = [parseIstioVersion(a), parseIstioVersion(b)];
  if (!x || !y) return false;
  return x.minor !== y.minor ? x.minor > y.minor : x.patch !== y.patch ? x.patch > y.patch : !!y.pre && !x.pre;
};

/** Which revision a namespace's labels put it on: meshup's marked sidecar namespaces only. */
function revisionOfNamespace(ns: KubeObject): string | undefined {
  const l = ns.metadata.labels ?? {};
  return l[REVISION_LABEL] ?? (l[SIDECAR_LABEL] === 'enabled' ? 'default' : undefined);
}

/** The Gateway API minor every live revision works with (the newest), or undefined. */
function commonGatewayApi(from: IstioRelease, to: IstioRelease): string | undefined {
  const both = accepted(from).filter((m) => accepted(to).includes(m));
  const n = (m: string) => Number(m.split('.')[1]);
  return both.sort((a, b) => n(b) - n(a))[0];
}

export function planUpgrade(input: UpgradeInput): UpgradePlan {
  const { spec, recorded, intent } = input;
  const from: Revision = { version: recorded?.istioVersion ?? spec.istioVersion, revision: recorded?.istioRevision };
  const inProgress = recorded?.upgrade;
  const toVersion = intent.kind === 'start' ? intent.to : (inProgress?.to ?? from.version);
  const to: Revision = { version: toVersion, revision: inProgress?.revision ?? revisionOf(toVersion) };
  const plan: UpgradePlan = { from, to, steps: [], blockers: [], notes: [] };
  const block = (message: string, fix: string, kind?: Blocker['kind']) => plan.blockers.push({ message, fix, ...(kind ? { kind } : {}) });

  if (!recorded) {
    block('meshup has not installed a mesh on this cluster', 'Install one first: meshup up', 'usage');
    return plan;
  }
  if (spec.dataplane === 'ambient') {
    block(
      'A canary upgrade of an ambient mesh is not supported yet: ztunnel and the CNI node agent are upgraded in place, one per node',
      `Upgrade in place: meshup upgrade --to ${toVersion} --in-place`,
      'usage',
    );
    return plan;
  }
  const marked = input.namespaces.filter((n) => n.metadata.labels?.[INJECTION_MARKER] && spec.namespaces.includes(n.metadata.name));
  const on = (rev: string | undefined) => marked.filter((n) => revisionOfNamespace(n) === (rev ?? 'default')).map((n) => n.metadata.name);

  if (intent.kind !== 'start') {
    if (!inProgress) {
      block(`No upgrade is under way on this cluster (it runs Istio ${from.version})`, 'Start one: meshup upgrade --to VERSION', 'usage');
      return plan;
    }
    return intent.kind === 'finish' ? finish(input, plan, on) : rollback(input, plan, on);
  }

  if (inProgress && inProgress.to !== intent.to) {
    block(
      `An upgrade to Istio ${inProgress.to} is under way`,
      `Finish it (meshup upgrade --finish) or roll it back (meshup upgrade --rollback) before another`,
      'usage',
    );
    return plan;
  }
  if (!inProgress) {
    if (intent.to === from.version) {
      block(`Istio ${from.version} already runs here`, 'Nothing to upgrade', 'usage');
      return plan;
    }
    if (!newer(intent.to, from.version)) {
      block(
        `Istio ${intent.to} is older than the ${from.version} that runs here: that is a downgrade`,
        `Reinstall it with: meshup down --keep-cluster && meshup up --istio-version ${intent.to}`,
        'usage',
      );
      return plan;
    }
  }
  checkTarget(input, plan, from, intent.to);
  if (plan.blockers.length) return plan;

  // What is already so: the new revision's istiod at the new version, namespaces labelled.
  const istiod = input.deployments.find((d) => d.metadata.name === istiodName(to.revision));
  const installed = istiod?.metadata.labels?.['operator.istio.io/version'] === to.version;
  const selected = intent.namespaces ?? spec.namespaces;
  const unknown = selected.filter((n) => !spec.namespaces.includes(n));
  if (unknown.length) {
    block(
      `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the mesh meshup manages here`,
      `Name namespaces of the mesh: ${spec.namespaces.join(', ') || '(none)'}`,
      'usage',
    );
    return plan;
  }
  const moving = selected.filter((n) => on(from.revision).includes(n));
  const { kube, istioctl } = input;
  plan.steps.push(
    { title: `check the cluster for Istio ${to.version} (istioctl x precheck)`, commands: [istioctl(to.version, ['x', 'precheck'])], op: { type: 'precheck' } },
    ...(inProgress
      ? []
      : [
          {
            title: `record the upgrade to Istio ${to.version} (revision ${to.revision}) as under way`,
            commands: [kube(['apply', '--server-side', '-f', '-'], '(kube-public/meshup with upgrade: { to, revision })')],
            op: { type: 'mark', upgrade: { to: to.version, revision: to.revision! } } as UpgradeOp,
          },
        ]),
    {
      title: `install Istio ${to.version} as revision ${to.revision} beside ${from.revision ?? 'the default revision'}, and upgrade the gateways in place`,
      commands: [
        istioctl(to.version, ['install', '-f', `<overlay with revision: ${to.revision}>`, '-y']),
        istioctl(to.version, ['install', '-f', '<gateways overlay>', '-y']),
      ],
      op: { type: 'install-revision' },
      ...(installed ? { kept: true } : {}),
    },
  );
  if (moving.length) {
    plan.steps.push(
      {
        title: `move ${moving.join(', ')} to revision ${to.revision}`,
        commands: moving.map((n) => kube(['label', 'namespace', n, '--overwrite', `${REVISION_LABEL}=${to.revision}`, `${SIDECAR_LABEL}-`])),
        op: { type: 'move', namespaces: moving, to },
      },
      {
        title: `restart the workloads of ${moving.join(', ')}, so their pods get Istio ${to.version}'s proxy`,
        commands: moving.map((n) => kube(['rollout', 'restart', 'deployment,statefulset,daemonset', '-n', n])),
        op: { type: 'restart', namespaces: moving },
      },
      { title: `check that their injected pods run revision ${to.revision}`, commands: [], op: { type: 'verify', namespaces: moving } },
    );
  }
  const left = on(from.revision).filter((n) => !moving.includes(n));
  plan.notes.push(
    left.length
      ? `still on ${from.revision ?? 'the default revision'} afterwards: ${left.join(', ')} (meshup upgrade --namespaces ${left.join(',')} moves them)`
      : `then: meshup upgrade --finish removes Istio ${from.version}, or meshup upgrade --rollback goes back to it`,
  );
  return plan;
}

/** The target against the catalog: known, the cluster's Kubernetes in its range, at most two
 * minors ahead (revisions may skip one), and a Gateway API CRD minor both revisions accept. */
function checkTarget(input: UpgradeInput, plan: UpgradePlan, from: Revision, to: string): void {
  const { versions, force, spec } = input;
  const target = releaseOf(versions, to);
  const running = releaseOf(versions, from.version);
  const refuse = (message: string, fix: string) => {
    if (force) plan.notes.push(`${message}: planned anyway (--force)`);
    else plan.blockers.push({ kind: 'usage', message, fix: `${fix}; --force tries it anyway` });
  };
  if (!target) {
    refuse(
      `Istio ${to} is not in meshup's version catalog: its Kubernetes range and Gateway API release cannot be checked`,
      'Pick a version meshup versions lists',
    );
    return;
  }
  const outside = input.nodes
    .map((n) => n.kubeletVersion)
    .find((v) => kubeMinor(v) < kubeMinor(target.kubernetes.min) || kubeMinor(v) > kubeMinor(target.kubernetes.max));
  if (outside)
    refuse(
      `Istio ${to} supports Kubernetes ${target.kubernetes.min} to ${target.kubernetes.max}; the cluster runs ${outside}`,
      'Upgrade the cluster first, or pick an Istio that supports it',
    );
  const skip = minorOf(to) - minorOf(from.version);
  if (skip > 2)
    refuse(`Istio ${from.version} → ${to} skips ${skip - 1} minors; revisions may skip one at most`, `Upgrade to 1.${minorOf(from.version) + 2} first`);
  if (spec.gatewayApi && running) {
    const common = commonGatewayApi(running, target);
    if (!common) {
      refuse(
        `No Gateway API CRD release works with both Istio ${from.version} (${accepted(running).join(', ')}) and ${to} (${accepted(target).join(', ')}), and both revisions share one set of CRDs`,
        `Upgrade through a version whose window overlaps both (meshup versions lists them)`,
      );
    } else if (common !== gwMinor(running.gatewayApi.version)) {
      plan.notes.push(`the Gateway API CRDs stay as they are while both revisions run; --finish moves them to ${target.gatewayApi.version}`);
    } else {
      plan.notes.push(
        `the Gateway API CRDs stay at ${running.gatewayApi.version} while both revisions run (both accept ${common}); --finish moves them to ${target.gatewayApi.version}`,
      );
    }
  }
  if (spec.addons.length) plan.notes.push(`the addons follow the control plane: --finish applies Istio ${to}'s samples/addons (${spec.addons.join(', ')})`);
}

function finish(input: UpgradeInput, plan: UpgradePlan, on: (rev: string | undefined) => string[]): UpgradePlan {
  const { from, to } = plan;
  const left = on(from.revision);
  if (left.length) {
    plan.blockers.push({
      kind: 'usage',
      message: `${left.join(', ')} ${left.length > 1 ? 'are' : 'is'} still on ${from.revision ?? 'the default revision'} (Istio ${from.version})`,
      fix: `Move ${left.length > 1 ? 'them' : 'it'} first: meshup upgrade --namespaces ${left.join(',')}, or roll back: meshup upgrade --rollback`,
    });
    return plan;
  }
  plan.steps.push(
    {
      title: `uninstall Istio ${from.version} (${from.revision ?? 'the default revision'})`,
      commands: [input.istioctl(to.version, ['uninstall', '--revision', from.revision ?? 'default', '-y'])],
      op: { type: 'uninstall-revision', revision: from.revision ?? 'default' },
    },
    {
      title: `record Istio ${to.version}, revision ${to.revision}, as the mesh`,
      commands: [input.kube(['apply', '--server-side', '-f', '-'], '(kube-public/meshup)')],
      op: { type: 'mark' },
    },
    {
      title: `converge on Istio ${to.version} as meshup up would: its Gateway API CRDs and addons`,
      commands: [formatCommand('meshup', ['up', '--yes'])],
      op: { type: 'converge' },
    },
  );
  return plan;
}

function rollback(input: UpgradeInput, plan: UpgradePlan, on: (rev: string | undefined) => string[]): UpgradePlan {
  const { from, to } = plan;
  const moved = on(to.revision);
  const { kube, istioctl } = input;
  if (moved.length) {
    plan.steps.push({
      title: `move ${moved.join(', ')} back to ${from.revision ?? 'the default revision'}`,
      commands: moved.map((n) =>
        kube([
          'label',
          'namespace',
          n,
          '--overwrite',
          ...(from.revision ? [`${REVISION_LABEL}=${from.revision}`] : [`${SIDECAR_LABEL}=enabled`, `${REVISION_LABEL}-`]),
        ]),
      ),
      op: { type: 'move', namespaces: moved, to: from },
    });
  }
  // Its install again: the gateways, and what both revisions share (the new one's install labelled
  // those as its own), back as the old version has them.
  plan.steps.push({
    title: `restore Istio ${from.version}'s gateways and the objects both revisions share`,
    commands: [istioctl(from.version, ['install', '-f', '<overlay>', '-y']), istioctl(from.version, ['install', '-f', '<gateways overlay>', '-y'])],
    op: { type: 'reinstall', to: from },
  });
  if (moved.length) {
    plan.steps.push({
      title: `restart the workloads of ${moved.join(', ')}, so their pods get Istio ${from.version}'s proxy again`,
      commands: moved.map((n) => kube(['rollout', 'restart', 'deployment,statefulset,daemonset', '-n', n])),
      op: { type: 'restart', namespaces: moved },
    });
  }
  plan.steps.push(
    {
      title: `uninstall Istio ${to.version} (revision ${to.revision})`,
      commands: [istioctl(from.version, ['uninstall', '--revision', to.revision!, '-y'])],
      op: { type: 'uninstall-revision', revision: to.revision! },
    },
    { title: 'record that no upgrade is under way', commands: [kube(['apply', '--server-side', '-f', '-'], '(kube-public/meshup)')], op: { type: 'mark' } },
  );
  return plan;
}
