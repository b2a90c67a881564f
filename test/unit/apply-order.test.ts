// The apply's order as data (apply/order.ts) and the gates it is carried out by (apply/gates.ts).
import { describe, expect, it } from 'vitest';
import { Gates, Halted } from '../../src/apply/gates.js';
import { ORDER } from '../../src/apply/order.js';

const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(
    () => (state = 'open'),
    (e) => (state = e instanceof Halted ? 'halted' : 'failed'),
  );
  await new Promise((r) => setTimeout(r, 5));
  return state;
};

describe('gates', () => {
  it('a gate no step of the plan opens is open at once; the others open when their step says', async () => {
    const g = new Gates(['istio-core']);
    expect(await settled(g.wait('cluster-ready', 'istio-crds'))).toBe('open');
    const core = g.wait('istio-core', 'cluster-ready');
    expect(await settled(core)).toBe('pending');
    g.open('istio-core');
    expect(await settled(core)).toBe('open');
    expect(g.isOpen('istio-core')).toBe(true);
  });

  it('once a step fails, what still waits gives up; what only watches a gate (the gateway read) does not', async () => {
    const g = new Gates(['istio-core', 'ingress-in']);
    const waiting = g.wait('istio-core');
    const watching = g.opens('ingress-in');
    g.halt();
    expect(await settled(waiting)).toBe('halted');
    expect(await settled(g.wait('cluster-ready'))).toBe('halted');
    expect(await settled(watching)).toBe('pending');
    g.open('ingress-in');
    expect(await settled(watching)).toBe('open');
  });
});

describe('the order table', () => {
  it('every gate a step waits for is one some step opens (else waiting for it would mean nothing)', () => {
    const opened = new Set([...ORDER.values()].flatMap((o) => o.opens ?? []));
    for (const [kind, o] of ORDER) {
      for (const g of [...(o.after ?? []), ...(o.ahead ?? []), ...(o.doneAt ? [o.doneAt] : [])]) expect(opened.has(g), `${kind} waits for ${g}`).toBe(true);
    }
  });

  it('every step that changes istio-system holds the gateway read (ingress-in or istio-done) until it is done', () => {
    // up reads the gateway once either gate opens: a step that changes istio-system without
    // declaring both would leave one open from the start, and the URL read before its change.
    for (const kind of ['istio-install', 'istio-repair'] as const) expect(ORDER.get(kind)!.opens).toEqual(expect.arrayContaining(['ingress-in', 'istio-done']));
  });

  it('reads as the apply goes: the cluster first, Istio before what needs its CRDs, the record last', () => {
    const kinds = [...ORDER.keys()];
    expect(kinds[0]).toBe('cluster');
    expect(kinds.at(-1)).toBe('record');
    expect(ORDER.get('record')).toMatchObject({ last: true });
    for (const k of ['gateway-api', 'addons'] as const) expect(ORDER.get(k)!.after).toContain('istio-core');
    for (const k of ['mtls', 'telemetry'] as const) expect(ORDER.get(k)!.after).toContain('istio-crds');
    // The install starts ahead of its group, once the cluster can take Istio, its nodes pull
    // through the caches and (one of several clusters of a mesh) the mesh's CA is in cacerts,
    // which istiod reads only when it starts; the prefetch fills the caches from the moment they run.
    expect([...ORDER].filter(([, o]) => o.ahead).map(([k, o]) => [k, o.ahead])).toEqual([
      ['prefetch', ['registries-up']],
      ['istio-install', ['cluster-answering', 'nodes-wired', 'trust-in']],
    ]);
    expect(ORDER.get('trust')).toMatchObject({ group: 'prepare', after: ['cluster-answering'], opens: ['trust-in'] });
  });
});
