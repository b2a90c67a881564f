// Content drift on a simulated cluster with Istio's real release (its addons, the real istioctl):
// each edit applied alone on a converged demo mesh, so no repair succeeds by accident. For each,
// `plan` exits 10 naming the object and the field, `up` restores it with one apply of that object
// (no reinstall), and `plan` then exits 0. Fields controllers own (replicas under an HPA, a
// webhook's caBundle) and objects marked to be left alone are not drift. All on 127.0.0.1; the
// cluster is always deleted.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayApiMirror, serveRealGatewayApi } from '../helpers/gateway-api.mjs';
import { REAL_ADDONS, realReleaseServerFor } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-drift-');
const name = `drift${process.pid}`;
const context = `kwok-${name}`;
const served = realReleaseServerFor('1.31.1', { istioctl: join(bin, 'istioctl') });
const UP = ['--profile', 'demo', '--addons', REAL_ADDONS.join(','), '--namespaces', 'default'];

const meshup = (args: string[]) =>
  execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', name], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[], input?: string) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false, input })).stdout;
const json = async <T>(args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;

let gatewayApi: GatewayApiMirror | undefined;
beforeAll(async () => {
  gatewayApi = (await serveRealGatewayApi()).mirror;
  env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
  env.MESHUP_ISTIO_MIRROR = served().server.url;
});

afterAll(async () => {
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  await gatewayApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** plan, as text: its exit code and output. */
const plan = () => meshup(['plan', ...UP]);

describe('content drift, one edit at a time', () => {
  it('a converged mesh has none: plan exits 0', async () => {
    const up = await meshup(['up', ...UP, '--yes']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    const p = await plan();
    expect(p.exitCode, p.stdout).toBe(0);
  });

  // [what, the edit, how plan names it, what up's own report must no longer say once repaired]
  const edits: [string, string[] | (() => Promise<unknown>), RegExp, string?][] = [
    // A scale records no owner of the field (the applier just loses it): no "changed by".
    ['istiod scaled to 0', ['scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=0'], /deployment istio-system\/istiod spec\.replicas 0 → 1\n/],
    [
      "grafana's image changed",
      ['set', 'image', 'deployment/grafana', 'grafana=docker.io/grafana/grafana:0.0.1', '-n', 'istio-system'],
      /deployment istio-system\/grafana spec\.template\.spec\.containers\[name=grafana\]\.image "docker\.io\/grafana\/grafana:0\.0\.1" → ".*" \(changed by kubectl-set\)/,
    ],
    [
      "prometheus's args changed",
      [
        'patch',
        'deployment',
        'prometheus',
        '-n',
        'istio-system',
        '--type=json',
        '-p',
        '[{"op":"add","path":"/spec/template/spec/containers/1/args/-","value":"--evil"}]',
      ],
      /deployment istio-system\/prometheus spec\.template\.spec\.containers\[name=prometheus-server\]\.args .*\(changed by kubectl-patch\)/,
    ],
    [
      // An env var meshup sets, changed (one added by hand is not a field meshup's apply sets).
      "kiali's LOG_LEVEL changed",
      ['set', 'env', 'deployment/kiali', '-n', 'istio-system', 'LOG_LEVEL=trace'],
      /deployment istio-system\/kiali spec\.template\.spec\.containers\[name=kiali\]\.env\[name=LOG_LEVEL\]\.value "trace" → "info" \(changed by kubectl-set\)/,
    ],
    [
      "the ingress gateway's nodePort changed",
      [
        'patch',
        'service',
        'istio-ingressgateway',
        '-n',
        'istio-system',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/ports/1/nodePort","value":30777}]',
      ],
      /service istio-system\/istio-ingressgateway spec\.ports\[name=http2\]\.nodePort 30777 → 30080/,
      // The URL up prints is read after the repair, not before it.
      'nodePort 30777',
    ],
    [
      "grafana's Service type changed",
      ['patch', 'service', 'grafana', '-n', 'istio-system', '-p', '{"spec":{"type":"NodePort"}}'],
      /service istio-system\/grafana spec\.type "NodePort" → "ClusterIP"/,
    ],
    [
      'a mesh config value changed',
      async () => {
        const cm = await json<{ data: { mesh: string } }>(['get', 'configmap', 'istio', '-n', 'istio-system']);
        const mesh = `${cm.data.mesh}\nenableTracing: false\n`.replace(/\n+/g, '\n');
        await kubectl([
          'patch',
          'configmap',
          'istio',
          '-n',
          'istio-system',
          '--type=merge',
          '-p',
          JSON.stringify({ data: { mesh: `${mesh}defaultConfig: {}\n` } }),
        ]);
      },
      /configmap istio-system\/istio data\.mesh .*\(changed by kubectl-patch\)/,
    ],
    [
      'a label meshup set removed',
      ['label', 'deployment', 'jaeger', '-n', 'istio-system', 'meshup.dev/addon-'],
      /deployment istio-system\/jaeger metadata\.labels\.meshup\.dev\/addon unset → "jaeger"/,
    ],
    [
      "the injector webhook's rule edited",
      [
        'patch',
        'mutatingwebhookconfiguration',
        'istio-sidecar-injector',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/webhooks/0/rules/0/operations","value":["UPDATE"]}]',
      ],
      /mutatingwebhookconfiguration istio-sidecar-injector webhooks\[name=.*\]\.rules\[0\]\.operations/,
    ],
    [
      "grafana's dashboards ConfigMap edited",
      ['patch', 'configmap', 'grafana', '-n', 'istio-system', '--type=merge', '-p', '{"data":{"grafana.ini":"[evil]\\n"}}'],
      /configmap istio-system\/grafana data\.grafana\.ini/,
    ],
  ];

  for (const [what, edit, named, stale] of edits) {
    it(`${what}: named by plan, restored by up alone, then nothing to do`, async () => {
      if (typeof edit === 'function') await edit();
      else await kubectl(edit);
      const before = await plan();
      expect(before.exitCode, before.stdout).toBe(10);
      expect(before.stdout).toMatch(named);
      const up = await meshup(['up', ...UP, '--yes', '--verbose']);
      expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
      // A repair, never a reinstall: istioctl install did not run.
      expect(up.stderr).not.toMatch(/istioctl .*install -f/);
      if (stale) expect(up.stdout).not.toContain(stale);
      const after = await plan();
      expect(after.exitCode, after.stdout).toBe(0);
    });
  }

  it('what controllers own is not drift, and an object marked to be left alone is left alone', async () => {
    // istiod under an HPA, scaled by the HPA's controller; a webhook's caBundle as istiod patches it.
    await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: { name: istiod, namespace: istio-system }\nspec:\n  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: istiod }\n  minReplicas: 2\n  maxReplicas: 2\n',
    );
    await kubectl(['patch', 'deployment', 'istiod', '-n', 'istio-system', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":2}}']);
    const hooks = await json<{ items: { metadata: { name: string } }[] }>(['get', 'validatingwebhookconfigurations', '-l', 'app=istiod']);
    const validator = hooks.items[0]!.metadata.name;
    await kubectl([
      'patch',
      'validatingwebhookconfiguration',
      validator,
      '--type=json',
      '-p',
      '[{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"Y2E="}]',
    ]);
    // A person's choice meshup must not undo: an annotated object, then changed.
    await kubectl(['annotate', 'deployment', 'grafana', '-n', 'istio-system', 'meshup.dev/leave-alone=true']);
    await kubectl(['set', 'image', 'deployment/grafana', 'grafana=docker.io/grafana/grafana:0.0.2', '-n', 'istio-system']);
    const p = await plan();
    expect(p.exitCode, p.stdout).toBe(0);
    expect(p.stdout).toContain('note: left alone (annotated meshup.dev/leave-alone: "true"): deployment istio-system/grafana');
    // Undo the marks, so what follows starts converged.
    await kubectl(['delete', 'hpa', 'istiod', '-n', 'istio-system']);
    await kubectl(['annotate', 'deployment', 'grafana', '-n', 'istio-system', 'meshup.dev/leave-alone-']);
    expect((await meshup(['up', ...UP, '--yes'])).exitCode).toBe(0);
    expect((await plan()).exitCode).toBe(0);
  });

  it('health: istiod at 0 replicas without an HPA is a problem status names, with a non-zero exit', async () => {
    await kubectl(['scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=0']);
    const s = await meshup(['status']);
    expect(s.exitCode, s.stdout).toBe(1);
    expect(s.stdout).toContain('! istiod has no ready pod (0/0 ready)');
    expect((await meshup(['up', ...UP, '--yes'])).exitCode).toBe(0);
    expect((await meshup(['status'])).exitCode).toBe(0);
  });

  it('never blind: with the cluster stopped, plan cannot read it (not 10), and up starts it and changes nothing else', async () => {
    const before = await kubectl(['get', 'configmap', 'meshup', '-n', 'kube-public', '-o', 'jsonpath={.data.spec}']);
    await execa('kwokctl', ['stop', 'cluster', '--name', name], { env, extendEnv: false });
    const p = await plan();
    expect(p.exitCode, `${p.stdout}\n${p.stderr}`).toBe(3);
    expect(p.stderr).toContain('Cannot plan');
    expect(p.stdout).not.toMatch(/remove addon|install Istio|record the applied spec/);
    const up = await meshup(['up', ...UP, '--yes']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(up.stderr).toMatch(/[Ss]tart kwok cluster|[Rr]epair kwok cluster/);
    // Read again once it answered: the mesh was there, as it was; nothing else was applied.
    expect(up.stderr).toContain('Verified');
    expect(await kubectl(['get', 'configmap', 'meshup', '-n', 'kube-public', '-o', 'jsonpath={.data.spec}'])).toBe(before);
    expect((await plan()).exitCode).toBe(0);
  });
});
