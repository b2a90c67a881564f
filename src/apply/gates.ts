// The moments of an apply that steps wait for or open, by name (apply/order.ts says which step
// opens which). A gate no step of the plan opens is open from the start. Once a step fails, the
// gates halt: whatever still waits gives up instead of changing the cluster after a failure.

const GATES = [
  /** The cluster's creation (or start) is under way, or its step is over: what runs beside it in
   * Node waits for that, so it does not hold back the command that takes longest. */
  'cluster-underway',
  /** The cluster can take Istio: its nodes are Ready, or the provider said they are on the way. */
  'cluster-answering',
  /** The cluster step succeeded. */
  'cluster-ready',
  /** meshup's registry containers run (or were asked to start): the caches can be filled. */
  'registries-up',
  /** The nodes pull through the caches: what Istio's install makes them pull goes through them. */
  'nodes-wired',
  /** istio-system/cacerts holds the cluster's intermediate CA (a cluster of a multi-cluster mesh). */
  'trust-in',
  /** istioctl has put in Istio's core (its CRDs and cluster-wide objects), or has ended. */
  'istio-core',
  /** Istio's CRDs are in: its core installed, or the missing CRDs restored. */
  'istio-crds',
  /** The ingress gateway's Service exists: its address can be read. */
  'ingress-in',
  /** Every component is in and ready: istioctl prunes what an earlier install left, then exits. */
  'all-in',
  /** The control plane's step succeeded. */
  'istio-done',
] as const;

export type Gate = (typeof GATES)[number];

/** Thrown to a step that waited for a gate when another step had failed. */
export class Halted extends Error {
  constructor() {
    super('not started: a step above failed');
  }
}

export class Gates {
  private readonly waiting = new Map<Gate, { promise: Promise<void>; resolve: () => void }>();
  private readonly opened = new Set<Gate>();
  private stop: () => void = () => {};
  private readonly halted = new Promise<never>((_, reject) => (this.stop = () => reject(new Halted())));

  /** `opener`s: the gates some step of this plan opens; the rest are open at once. */
  constructor(openers: Iterable<Gate>) {
    const later = new Set(openers);
    for (const g of GATES) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting.set(g, { promise, resolve });
      if (!later.has(g)) this.open(g);
    }
    this.halted.catch(() => undefined);
  }

  open(g: Gate): void {
    this.opened.add(g);
    this.waiting.get(g)!.resolve();
  }

  isOpen(g: Gate): boolean {
    return this.opened.has(g);
  }

  /** Resolves when every one of `gates` is open; rejects with Halted once the apply has failed. */
  wait(...gates: Gate[]): Promise<void> {
    return Promise.race([Promise.all(gates.map((g) => this.waiting.get(g)!.promise)).then(() => undefined), this.halted]);
  }

  /** A gate that opens whatever else happens (no halt): for reading the gateway after the fact. */
  opens(g: Gate): Promise<void> {
    return this.waiting.get(g)!.promise;
  }

  halt(): void {
    this.stop();
  }
}
