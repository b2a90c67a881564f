// Whether the cluster's Kubernetes is one the chosen Istio supports, by the version catalog: the
// version asked for a new cluster, what the nodes of an existing one run. Outside the range is
// refused before any change (exit 2); --force plans it anyway and says so. The Kubernetes a new
// cluster gets when none was asked for is said too, with the node image that makes it.
import type { Spec } from '../config/spec.js';
import type { Blocker, PlanContext, Planned } from './types.js';

const minorOf = (v: string): number | undefined => {
  const m = /^v?1\.(\d+)/.exec(v);
  return m ? Number(m[1]) : undefined;
};

/** The supported range as people write it ("1.32 to 1.36"), for the messages. */
const rangeText = (r: NonNullable<Spec['release']>) => `${r.kubernetes.min} to ${r.kubernetes.max}`;

export function planKubernetes({ spec, observed, provider, force }: PlanContext): Planned {
  const release = spec.release;
  const creating = observed.cluster.state === 'absent';
  const asked = spec.sources.kubernetesVersion !== undefined && spec.sources.kubernetesVersion !== 'default';
  if (!release) {
    return {
      notes: [
        `Istio ${spec.istioVersion} is not in meshup's version catalog (meshup versions lists it): the Kubernetes it supports and the Gateway API release it needs could not be checked`,
      ],
    };
  }
  const notes: string[] = [];
  if (creating && spec.kubernetesVersion) {
    const how = spec.nodeImage
      ? ` (node image ${spec.nodeImage}${spec.nodeImage.includes('@sha256:') ? '' : ', not pinned: the catalog lists no image of that version'})`
      : '';
    notes.push(
      `the new cluster runs Kubernetes ${spec.kubernetesVersion}${how}${asked ? ', as asked' : `, the newest ${provider.name} makes that Istio ${release.minor} supports`}`,
    );
  } else if (creating && provider.creates && !asked && provider.kubernetesChoices) {
    notes.push(
      `${provider.name} can make no Kubernetes in Istio ${release.minor}'s range (${rangeText(release)}) by meshup's catalog: its own default is used`,
    );
  }
  const min = Number(release.kubernetes.min.split('.')[1]);
  const max = Number(release.kubernetes.max.split('.')[1]);
  const outside = (v: string) => {
    const m = minorOf(v);
    return m !== undefined && (m < min || m > max);
  };
  const askedOutside = creating && asked && spec.kubernetesVersion && outside(spec.kubernetesVersion) ? spec.kubernetesVersion : undefined;
  const running = creating ? undefined : observed.nodes.map((n) => n.kubeletVersion).find(outside);
  const v = askedOutside ?? running;
  if (!v) return { notes };
  const problem = `Istio ${spec.istioVersion} supports Kubernetes ${rangeText(release)}; ${askedOutside ? 'you asked for' : 'the cluster runs'} ${v}`;
  if (force) return { notes: [...notes, `${problem}: planned anyway (--force); Istio may not install or work there`] };
  const blocker: Blocker = {
    kind: 'usage',
    message: problem,
    fix: askedOutside
      ? `Ask for one in the range (--kubernetes-version v${release.kubernetes.max}), or leave it out for the newest ${provider.name} makes there; --force tries it anyway`
      : `Use an Istio version that supports ${v} (meshup versions lists them), or a cluster in the range; --force tries it anyway`,
  };
  return { notes, blockers: [blocker] };
}
