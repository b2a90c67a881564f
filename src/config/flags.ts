// The command line's flags, as commander hands them over: the top layers of the spec and the
// run switches. A leaf: the CLI declares them, the session reads them.

/** Flags as commander hands them over (strings; lists comma-separated). */
export interface Flags {
  config?: string;
  context?: string;
  dryRun?: boolean;
  json?: boolean;
  /** meshup upgrade --in-place. */
  inPlace?: boolean;
  verbose?: boolean;
  yes?: boolean;
  color?: boolean;
  /** --no-wait sets it false: refuse, not wait, when another command is changing the cluster. */
  wait?: boolean;
  provider?: string;
  profile?: string;
  name?: string;
  addons?: string;
  namespaces?: string;
  istioVersion?: string;
  kubernetesVersion?: string;
  cpus?: string;
  memory?: string;
  force?: boolean;
  adopt?: boolean;
  allowContext?: string[];
  driver?: string;
  istioDir?: string;
  istioMirror?: string;
  timeout?: string;
  dataplane?: string;
  /** --gateway-api / --no-gateway-api. */
  gatewayApi?: boolean;
  gatewayApiMirror?: string;
  /** --cache / --no-cache on up and plan; `meshup images --cache REGISTRY=URL,...` names caches. */
  cache?: boolean | string;
  /** --local-registry / --no-local-registry. */
  localRegistry?: boolean;
  /** --clusters N: that many clusters, one mesh. */
  clusters?: string;
  multiNetwork?: boolean;
  /** --cluster NAME: one cluster of the set (down, status and the edits). */
  cluster?: string;
  /** up --rotate-ca: make the mesh's root and intermediates again. */
  rotateCa?: boolean;
}

/** How a command runs, as opposed to what it should make: apart from the desired spec. */
export interface RunSwitches {
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  /** Take over objects under meshup's names that meshup did not make. */
  readonly adopt: boolean;
  /** Wait for another meshup command changing the same cluster to finish (--no-wait: refuse). */
  readonly wait: boolean;
  /** A different Istio version is an in-place upgrade (`meshup upgrade --in-place`), not refused. */
  readonly inPlace: boolean;
  /** The mesh's root and every cluster's intermediate CA are made again (up --rotate-ca). */
  readonly rotateCa: boolean;
}

export const switchesOf = (f: Flags): RunSwitches => ({
  dryRun: !!f.dryRun,
  json: !!f.json,
  verbose: !!f.verbose,
  yes: !!f.yes,
  force: !!f.force,
  adopt: !!f.adopt,
  wait: f.wait !== false,
  inPlace: !!f.inPlace,
  rotateCa: !!f.rotateCa,
});
