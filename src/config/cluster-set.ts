// Several clusters that form one mesh (multi-primary): who they are, and what keeps them apart on
// one machine. Each cluster's own spec is resolved as usual with its member as a layer
// (session/spec.ts); this file holds the facts every layer above agrees on. Pure.
import type { ProviderName } from './schema.js';

export interface SetMember {
  /** The cluster's name, and its Istio cluster ID. */
  readonly name: string;
  /** Undefined: the provider the other settings name. */
  readonly provider?: ProviderName;
  /** Its kube context (the existing provider reaches its clusters only so). */
  readonly context?: string;
  readonly network: string;
  readonly index: number;
}

export interface ClusterSet {
  readonly meshId: string;
  readonly multiNetwork: boolean;
  readonly members: readonly SetMember[];
}

/**
 * Pod and Service ranges no other member uses: Istio's endpoints from another cluster must not
 * collide with this one's. The first member keeps kind's and kubeadm's defaults (10.244.0.0/16,
 * 10.96.0.0/16); each next one takes the next /16 of each.
 */
export function subnetsOf(index: number): { pods: string; services: string } {
  return { pods: `10.${244 + index}.0.0/16`, services: `10.${96 + index}.0.0/16` };
}

/** The network a member is on: one for all, or one each on a multi-network mesh. */
export const networkOf = (index: number, multiNetwork: boolean) => (multiNetwork ? `network${index + 1}` : 'network1');

/** The cluster names `--clusters N` derives from the base name. */
export const memberNames = (base: string, n: number) => Array.from({ length: n }, (_, i) => `${base}-${i + 1}`);
