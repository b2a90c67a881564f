// The one readiness rule that up, status and addons list share.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { readiness } from '../../src/kube/readiness.js';

const obj = (kind: string, spec: unknown, status: unknown): KubeObject => ({ kind, metadata: { name: 'x' }, spec, status });

describe('readiness', () => {
  it.each([
    ['a Deployment with its replicas ready', obj('Deployment', { replicas: 2 }, { readyReplicas: 2 }), { ready: 2, wanted: 2, ok: true }],
    ['a Deployment short of one', obj('Deployment', { replicas: 2 }, { readyReplicas: 1 }), { ready: 1, wanted: 2, ok: false }],
    ['a Deployment with replicas unset wants one', obj('Deployment', {}, {}), { ready: 0, wanted: 1, ok: false }],
    ['a StatefulSet, as a Deployment', obj('StatefulSet', { replicas: 1 }, { readyReplicas: 1 }), { ready: 1, wanted: 1, ok: true }],
    ['a DaemonSet on every node it is scheduled on', obj('DaemonSet', {}, { desiredNumberScheduled: 3, numberReady: 3 }), { ready: 3, wanted: 3, ok: true }],
    ['a DaemonSet on some', obj('DaemonSet', {}, { desiredNumberScheduled: 3, numberReady: 2 }), { ready: 2, wanted: 3, ok: false }],
    ['a DaemonSet not reported yet', obj('DaemonSet', {}, undefined), { ready: 0, wanted: 1, ok: false }],
    // replicas of a DaemonSet mean nothing: its nodes decide.
    ['a DaemonSet ignores replicas', obj('DaemonSet', { replicas: 5 }, { desiredNumberScheduled: 1, numberReady: 1 }), { ready: 1, wanted: 1, ok: true }],
  ])('%s', (_what, o, want) => {
    expect(readiness(o)).toEqual(want);
  });
});
