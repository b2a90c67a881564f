// Carrying out the Gateway API action the planner chose, and removing what meshup installed.
// The bundle is applied server-side (its CRDs are too large for client-side apply's annotation),
// CRDs are awaited until Established, and each object carries meshup's mark when meshup owns it.
import type { Runner } from '../exec/runner.js';
import { readCachedBundle } from '../gatewayapi/bundle.js';
import { isGatewayApiCrd } from '../gatewayapi/observe.js';
import { GATEWAY_API_LABEL } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { dropPolicyArgs } from '../plan/gateway-api.js';
import type { GatewayApiOp } from '../plan/types.js';
import { apply, deleteObjects, isUnservedKind, listObjects, waitForCrdsEstablished } from '../tools/kubectl.js';

type Obj = { kind?: string; metadata: { name: string; labels?: Record<string, string> } };

/** The bundle's objects as meshup applies them: with its mark when it owns them. */
export function labelled(objects: Record<string, unknown>[], version: string, mark: boolean): Record<string, unknown>[] {
  if (!mark) return objects;
  return objects.map((o) => {
    const md = (o as Obj).metadata;
    return { ...o, metadata: { ...md, labels: { ...md.labels, [GATEWAY_API_LABEL]: version } } };
  });
}

/** Applies the bundle of op.version (the objects just downloaded, or the cached bundle, checked
 * again); returns what it did, for the task's summary. */
export async function applyGatewayApi(
  runner: Runner,
  op: GatewayApiOp,
  progress: (t: string) => void = () => {},
  downloaded?: Record<string, unknown>[],
): Promise<string> {
  const objects = labelled(downloaded ?? (await readCachedBundle(runner.env, op.version)), op.version, op.mark);
  if (op.dropPolicy) {
    progress('removing the safe-upgrades admission policy, which refuses older CRDs');
    await runner
      .run({ tool: 'kubectl', args: dropPolicyArgs(), step: 'Removing the Gateway API safe-upgrades policy', timeoutMs: 60_000 })
      .catch((e: unknown) => {
        // A cluster that does not serve the admissionregistration v1 policies has none to remove.
        if (isUnservedKind(e)) return;
        throw e;
      });
  }
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `crd/${(o as Obj).metadata.name}`);
  progress(`applying ${crds.length} CRDs of Gateway API ${op.version}`);
  await apply(runner, objects, `Applying the Gateway API ${op.version} CRDs`);
  progress('waiting for the CRDs to be Established');
  await waitForCrdsEstablished(runner, crds, 'Waiting for the Gateway API CRDs to be Established');
  return `${crds.length} CRDs at ${op.version}${op.mark ? '' : ' (left unmarked: meshup did not install the ones they replace)'}`;
}

/**
 * `down --purge-crds`: the Gateway API objects that carry meshup's mark, and nothing else. `crds`
 * is the cluster's CRD list as read for the purge. Deleting a CRD deletes every resource of it,
 * which is why a CRD someone else installed is never touched.
 */
export async function purgeGatewayApi(runner: Runner, crds: readonly KubeObject[]): Promise<string[]> {
  const mine = crds.filter((c) => isGatewayApiCrd(c.metadata.name) && c.metadata.labels?.[GATEWAY_API_LABEL]).map((c) => c.metadata.name);
  // The admission policy and binding exist only on clusters that serve them (Kubernetes 1.30+).
  const [policies, bindings] = await Promise.all(
    ['validatingadmissionpolicies.admissionregistration.k8s.io', 'validatingadmissionpolicybindings.admissionregistration.k8s.io'].map((kind) =>
      listObjects(runner, kind, { selector: GATEWAY_API_LABEL }).catch(() => [] as KubeObject[]),
    ),
  );
  const refs = [
    ...bindings!.map((b) => `validatingadmissionpolicybindings.admissionregistration.k8s.io/${b.metadata.name}`),
    ...policies!.map((p) => `validatingadmissionpolicies.admissionregistration.k8s.io/${p.metadata.name}`),
    ...mine.map((n) => `customresourcedefinition/${n}`),
  ];
  if (!refs.length) return [];
  await deleteObjects(runner, refs, 'Deleting the Gateway API CRDs meshup installed');
  return [
    ...(mine.length ? [`${mine.length} Gateway API CRD(s) meshup installed`] : []),
    ...(policies!.length || bindings!.length ? ['the Gateway API safe-upgrades policy'] : []),
  ];
}
