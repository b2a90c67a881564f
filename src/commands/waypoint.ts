// meshup waypoint apply|remove|list: the L7 proxies of an ambient mesh, per namespace. They need
// the mesh in ambient mode and the Gateway API CRDs; both are checked before anything changes.

import { refuseForeign } from '../apply/ownership.js';
import * as check from '../config/validate.js';
import { MeshupError, UsageError } from '../errors.js';
import { AMBIENT_LABEL } from '../istio/injection.js';
import {
  applyWaypoint,
  GATEWAYS,
  listWaypoints,
  removeWaypoint,
  USE_WAYPOINT_LABEL,
  WAYPOINT_MARKER,
  WAYPOINT_TRAFFIC,
  type WaypointInfo,
} from '../istio/waypoint.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import type { App } from '../session/app.js';
import { openTarget, type Target } from '../session/target.js';
import { commandLine, writing } from '../session/writer.js';
import { readAppliedSpec } from '../state/record.js';
import { getObject } from '../tools/kubectl.js';
import { table } from '../ui/table.js';

interface WaypointFlags {
  namespace?: string;
  for?: string;
  enroll?: boolean;
  allNamespaces?: boolean;
  adopt?: boolean;
}

const DEFAULT_NAME = 'waypoint';

function names(app: App, given: string | undefined): { namespace: string; name: string } {
  const f = app.flags as WaypointFlags;
  const from = { label: '--namespace' };
  const namespace = check.namespaces([f.namespace ?? 'default'], from)[0]!;
  const name = check.dnsLabel(given ?? DEFAULT_NAME, { label: 'the waypoint name' });
  if (name === 'none') throw new UsageError('"none" is reserved: it is how a workload opts out of a waypoint', { fix: 'Pick another name' });
  return { namespace, name };
}

/** Waypoints are an ambient feature, and Gateways need their CRDs: said before any change. */
async function checkAmbient(target: Target): Promise<void> {
  const { runner } = target;
  const [applied, crd] = await Promise.all([readAppliedSpec(runner), getObject(runner, 'customresourcedefinitions', GATEWAYS).catch(() => undefined)]);
  if ((applied?.dataplane ?? 'sidecar') !== 'ambient') {
    throw new UsageError(`The mesh of context ${target.context} is not in ambient mode; waypoints serve ambient meshes only`, {
      fix: 'Switch it with: meshup up --dataplane ambient (meshup plan --dataplane ambient shows what changes first)',
    });
  }
  if (!crd) {
    throw new MeshupError(`The Gateway API CRDs are not installed in context ${target.context}; a waypoint is a Gateway API Gateway`, {
      fix: 'Run meshup up, which installs them at the version that matches Istio',
    });
  }
}

// Applying and removing change the cluster: one writer at a time (session/writer.ts).
export const applyCmd = (app: App, given?: string) => writing(app, commandLine(app, 'waypoint', 'apply', ...(given ? [given] : [])), () => apply(app, given));
export const removeCmd = (app: App, given?: string) =>
  writing(app, commandLine(app, 'waypoint', 'remove', ...(given ? [given] : [])), () => remove(app, given));

async function apply(app: App, given?: string): Promise<void> {
  const f = app.flags as WaypointFlags;
  const { namespace, name } = names(app, given);
  const traffic = f.for === undefined ? undefined : check.oneOf('waypoint traffic type', WAYPOINT_TRAFFIC)(f.for, { label: '--for' });
  const target = await openTarget(app);
  await checkAmbient(target);
  const ns = await getObject<KubeObject>(target.runner, 'namespace', namespace);
  if (!ns) throw new UsageError(`No namespace ${namespace}`, { fix: `Create it and enrol it first: meshup injection enable ${namespace}` });
  const labels = ns.metadata.labels ?? {};
  const enrol = f.enroll !== false;
  const taken = labels[USE_WAYPOINT_LABEL];
  if (enrol && taken && taken !== name) {
    throw new UsageError(`Namespace ${namespace} already uses waypoint ${taken}`, {
      fix: [`Remove it first: meshup waypoint remove ${taken} -n ${namespace}`, 'or apply this one with --no-enroll'],
    });
  }
  await refuseForeign(target.runner, [{ resource: GATEWAYS, name, namespace, mark: { label: WAYPOINT_MARKER } }], {
    adopt: !!f.adopt,
    what: 'meshup waypoint apply',
    rename: `Give meshup's waypoint another name: meshup waypoint apply NAME -n ${namespace}`,
  });
  await applyWaypoint(target.runner, namespace, name, { traffic, enrol });
  const enrolled = labels[AMBIENT_LABEL] === 'ambient';
  app.out.result({ namespace, name, traffic: traffic ?? 'service', enrolled: enrol, namespaceInAmbient: enrolled, dryRun: app.flags.dryRun ?? false });
  if (app.flags.dryRun) return;
  app.out.print(`Waypoint ${namespace}/${name} applied${enrol ? `; ${namespace}'s traffic goes through it` : ''}; istiod deploys it.`);
  if (!enrolled) app.out.warn(`${namespace} is not in ambient mode, so no traffic reaches the waypoint; add it with: meshup injection enable ${namespace}`);
}

async function remove(app: App, given?: string): Promise<void> {
  const { namespace, name } = names(app, given);
  const target = await openTarget(app);
  const [gw, ns] = await Promise.all([
    getObject<KubeObject>(target.runner, GATEWAYS, name, namespace).catch(() => undefined),
    getObject<KubeObject>(target.runner, 'namespace', namespace),
  ]);
  if (!gw) {
    app.out.result({ namespace, name, removed: false });
    app.out.print(`No waypoint ${namespace}/${name}; nothing to remove.`);
    return;
  }
  if (claimOf(gw, { label: WAYPOINT_MARKER }) !== 'ours') {
    throw new MeshupError(`meshup did not create waypoint ${namespace}/${name} and will not remove it`, {
      fix: `Remove it yourself if you are sure: istioctl waypoint delete -n ${namespace} ${name}`,
    });
  }
  await removeWaypoint(target.runner, namespace, name, ns?.metadata.labels ?? {});
  app.out.result({ namespace, name, removed: !app.flags.dryRun, dryRun: app.flags.dryRun ?? false });
  if (!app.flags.dryRun) app.out.print(`Removed waypoint ${namespace}/${name}.`);
}

export async function listCmd(app: App): Promise<void> {
  const f = app.flags as WaypointFlags;
  const target = await openTarget(app);
  // A read that fails is an error, not "no waypoint": only a missing CRD means there are none.
  const crd = await getObject(target.runner, 'customresourcedefinitions', GATEWAYS);
  const rows: WaypointInfo[] = crd ? await listWaypoints(target.runner, f.allNamespaces ? undefined : f.namespace) : [];
  app.out.result(rows);
  if (!rows.length) {
    app.out.print(`No waypoint${f.allNamespaces || !f.namespace ? '' : ` in ${f.namespace}`}. Add one with: meshup waypoint apply -n NAMESPACE`);
    return;
  }
  app.out.print(
    table(
      ['NAMESPACE', 'NAME', 'FOR', 'PROGRAMMED', 'SET BY', 'USED BY'],
      rows.map((w) => [w.namespace, w.name, w.traffic, w.programmed ? 'yes' : 'no', w.setBy, w.usedBy.join(', ') || '-']),
    ),
  );
}
