// The order of an apply, as data, read top to bottom (as kind's create.go lists its actions and
// Istio's installer keeps its components' dependencies). Steps of a group run side by side; the
// mesh group starts once every step of the prepare group has succeeded. Within and across groups,
// a step starts its work once the gates it waits for are open:
//   - what runs in Node beside the cluster's creation (getting the Istio release and the Gateway
//     API bundle) waits until that creation is under way, so it does not hold back its start;
//   - the control plane's install starts ahead of its group, once the cluster can take Istio and
//     the release is at hand: a failure of the prepare group then stops it, and that failure is
//     the one reported;
//   - the Gateway API CRDs and the addons go in once istioctl reports Istio's core installed:
//     from then on istioctl mostly waits for istiod and the gateways to roll out, while the API
//     server has time to spare (sent at once, they compete with istioctl on a small cluster and
//     every step gets slower: bench/cluster.mjs measures it); what needs Istio's CRDs only (mTLS,
//     the tracing Telemetry) goes in at the same moment: until istiod is ready the validating
//     webhook fails open (Istio's base chart);
//   - meshup's registry containers start beside the cluster's creation; the nodes are pointed at
//     them once the cluster runs, before Istio's install makes them pull anything; the caches
//     are filled with the plan's images from the moment they run (nodes then pull at local
//     speed what the prefetch already has);
//   - the record is written once every other step has succeeded (istioctl: once it has every
//     component in, while it still prunes).
import type { Gate } from './gates.js';

export type StepKind =
  | 'cluster'
  | 'registries'
  | 'trust'
  | 'registry-wiring'
  | 'prefetch'
  | 'istio-release'
  | 'gateway-api-bundle'
  | 'gateway-api'
  | 'istio-repair'
  | 'istio-install'
  | 'injection'
  | 'addons'
  | 'addon-removal'
  | 'mtls'
  | 'telemetry'
  | 'record';

export interface StepOrder {
  group: 'prepare' | 'mesh';
  /** Gates its work waits for, once its group has started. */
  after?: readonly Gate[];
  /** It starts ahead of its group, as soon as these are open; its task then shows it. */
  ahead?: readonly Gate[];
  /** Gates it opens. */
  opens?: readonly Gate[];
  /** For a step that waits on every other (`last`), it counts as done once this gate is open. */
  doneAt?: Gate;
  /** Waits for every other step of its group, and is skipped when one failed. */
  last?: boolean;
}

export const ORDER: ReadonlyMap<StepKind, StepOrder> = new Map<StepKind, StepOrder>([
  ['cluster', { group: 'prepare', opens: ['cluster-underway', 'cluster-answering', 'cluster-ready'] }],
  ['registries', { group: 'prepare', opens: ['registries-up'] }],
  // istiod reads cacerts only when it starts: the mesh's CA goes in before the control plane.
  ['trust', { group: 'prepare', after: ['cluster-answering'], opens: ['trust-in'] }],
  ['registry-wiring', { group: 'prepare', after: ['cluster-ready', 'registries-up'], opens: ['nodes-wired'] }],
  // Fills the caches beside everything else and holds nothing back: the nodes pull through the
  // caches whether or not it is done, only faster once it is.
  ['prefetch', { group: 'mesh', ahead: ['registries-up'] }],
  ['istio-release', { group: 'prepare', after: ['cluster-underway'] }],
  ['gateway-api-bundle', { group: 'prepare', after: ['cluster-underway'] }],
  ['gateway-api', { group: 'mesh', after: ['istio-core'] }],
  ['istio-repair', { group: 'mesh', opens: ['istio-crds', 'ingress-in', 'istio-done'] }],
  [
    'istio-install',
    {
      group: 'mesh',
      ahead: ['cluster-answering', 'nodes-wired', 'trust-in'],
      opens: ['istio-core', 'istio-crds', 'ingress-in', 'all-in', 'istio-done'],
      doneAt: 'all-in',
    },
  ],
  ['injection', { group: 'mesh' }],
  ['addons', { group: 'mesh', after: ['istio-core'] }],
  ['addon-removal', { group: 'mesh' }],
  ['mtls', { group: 'mesh', after: ['istio-crds'] }],
  ['telemetry', { group: 'mesh', after: ['istio-crds'] }],
  ['record', { group: 'mesh', last: true }],
]);

/** What a task shows while its step waits for a gate. */
export const WAITING_FOR: Partial<Record<Gate, string>> = {
  'istio-core': 'istioctl to put in Istio core',
  'istio-crds': "Istio's CRDs",
  'cluster-underway': "the cluster's creation to start",
};
