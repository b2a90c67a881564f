// Reads straight from the API server: which kubeconfig entries they can use (the rest go through
// kubectl), and what Runner.apiGet and listDirect send and return, against an HTTP server on
// 127.0.0.1 that records each request. The TLS path with client certificates runs against the
// real kube-apiserver in test/e2e/real-release.test.ts; here an HTTPS server with a certificate
// openssl makes checks the CA and the token.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveKubeEndpoint } from '../../src/exec/kube-endpoint.js';
import { Runner } from '../../src/exec/runner.js';
import { deploymentRollout } from '../../src/kube/objects.js';
import { listDirect, servedResourcesDirect } from '../../src/tools/kubeapi.js';
import { apply, getObject, listObjects, waitForRollout } from '../../src/tools/kubectl.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshup-direct-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('resolveKubeEndpoint', () => {
  it('merges KUBECONFIG files as kubectl does (first wins) and resolves relative paths against their file', () => {
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA FROM FILE');
    writeFileSync(join(dir, 'pki', 'token'), 'file-token\n');
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(
      a,
      [
        'contexts: [{ name: kind-x, context: { cluster: kind-x, user: kind-x } }]',
        `clusters: [{ name: kind-x, cluster: { server: "https://127.0.0.1:6443/", certificate-authority: pki/ca.crt } }]`,
        `users: [{ name: kind-x, user: { client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')} } }]`,
      ].join('\n'),
    );
    // b names the same cluster again (ignored: a came first) and a second context with a token file
    // (which beats the inline token, as in client-go).
    writeFileSync(
      b,
      [
        'contexts: [{ name: kind-x, context: { cluster: other } }, { name: kwok-y, context: { cluster: kwok-y, user: tok } }]',
        'clusters: [{ name: kind-x, cluster: { server: "https://10.9.9.9" } }, { name: kwok-y, cluster: { server: "https://127.0.0.1:8080", insecure-skip-tls-verify: true, tls-server-name: api.local } }]',
        'users: [{ name: tok, user: { tokenFile: pki/token, token: inline-token } }]',
      ].join('\n'),
    );
    const env = { KUBECONFIG: [a, join(dir, 'missing'), b].join(':') };
    expect(resolveKubeEndpoint(env, dir, 'kind-x')).toEqual({
      server: 'https://127.0.0.1:6443',
      ca: Buffer.from('CA FROM FILE'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      token: undefined,
      insecure: false,
      serverName: undefined,
    });
    expect(resolveKubeEndpoint(env, dir, 'kwok-y')).toMatchObject({
      server: 'https://127.0.0.1:8080',
      token: 'file-token',
      insecure: true,
      serverName: 'api.local',
    });
    expect(resolveKubeEndpoint(env, dir, 'nope')).toBeUndefined();
    // Without KUBECONFIG: ~/.kube/config of the given home.
    expect(resolveKubeEndpoint({}, dir, 'kind-x')).toBeUndefined();
    mkdirSync(join(dir, '.kube'));
    writeFileSync(
      join(dir, '.kube', 'config'),
      `contexts: [{ name: c, context: { cluster: c } }]\nclusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]\n`,
    );
    expect(resolveKubeEndpoint({}, dir, 'c')).toMatchObject({ server: 'https://127.0.0.1:1', insecure: false });
    // A relative KUBECONFIG entry is relative to the directory kubectl runs in.
    expect(resolveKubeEndpoint({ KUBECONFIG: '.kube/config' }, '/nonexistent', 'c', dir)).toMatchObject({ server: 'https://127.0.0.1:1' });
    // Over plain HTTP, kubectl sends no credentials: neither does meshup.
    writeFileSync(
      join(dir, '.kube', 'config'),
      `contexts: [{ name: c, context: { cluster: c, user: u } }]\nclusters: [{ name: c, cluster: { server: "http://127.0.0.1:1" } }]\nusers: [{ name: u, user: { token: t, client-certificate-data: ${b64('CERT')} } }]\n`,
    );
    expect(resolveKubeEndpoint({}, dir, 'c')).toEqual({ server: 'http://127.0.0.1:1', insecure: false });
  });

  it('leaves to kubectl what needs a program, a proxy or basic auth, and files it cannot read', () => {
    const file = join(dir, 'k');
    const env = { KUBECONFIG: file };
    const config = (cluster: string, user: string) =>
      writeFileSync(
        file,
        `contexts: [{ name: c, context: { cluster: c, user: u } }]\nclusters: [{ name: c, cluster: ${cluster} }]\nusers: [{ name: u, user: ${user} }]\n`,
      );
    config('{ server: "https://127.0.0.1:6443" }', '{ exec: { command: aws, apiVersion: client.authentication.k8s.io/v1 } }');
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
    config('{ server: "https://127.0.0.1:6443" }', '{ auth-provider: { name: oidc } }');
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
    config('{ server: "https://127.0.0.1:6443" }', '{ username: admin, password: secret }');
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
    config('{ server: "https://127.0.0.1:6443", proxy-url: "http://proxy:3128" }', '{ token: t }');
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
    // A proxy in the environment: kubectl would use it for a remote server, never for loopback.
    config('{ server: "https://192.0.2.10:6443" }', '{ token: t }');
    expect(resolveKubeEndpoint({ ...env, HTTPS_PROXY: 'http://proxy:3128' }, dir, 'c')).toBeUndefined();
    expect(resolveKubeEndpoint(env, dir, 'c')).toMatchObject({ server: 'https://192.0.2.10:6443', token: 't' });
    config('{ server: "https://127.0.0.1:6443" }', '{ token: t }');
    expect(resolveKubeEndpoint({ ...env, HTTPS_PROXY: 'http://proxy:3128' }, dir, 'c')).toMatchObject({ token: 't' });
    // What kubectl refuses: a CA together with insecure-skip-tls-verify, a user that is not there.
    config(`{ server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true, certificate-authority-data: ${b64('CA')} }`, '{ token: t }');
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
    writeFileSync(
      file,
      'contexts: [{ name: c, context: { cluster: c, user: nobody } }]\nclusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]\n',
    );
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
    // A certificate file that is not there, and a file that does not parse.
    config('{ server: "https://127.0.0.1:6443", certificate-authority: /nonexistent/ca.crt }', '{ token: t }');
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
    writeFileSync(file, 'contexts: [\n');
    expect(resolveKubeEndpoint(env, dir, 'c')).toBeUndefined();
  });
});

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  method?: string;
  body?: string;
}

describe('Runner.apiGet, Runner.apiApply and the calls made with them', () => {
  let server: Server;
  let seen: Seen[];
  let answer: (url: string, method: string) => { status: number; body: unknown };
  let logs: string[];
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    seen = [];
    logs = [];
    answer = () => ({ status: 200, body: { items: [] } });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, method: req.method, body: Buffer.concat(chunks).toString('utf8') });
        const a = answer(req.url ?? '', req.method ?? 'GET');
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      join(dir, 'kubeconfig'),
      `contexts: [{ name: kwok-a, context: { cluster: a, user: a } }]\nclusters: [{ name: a, cluster: { server: "http://127.0.0.1:${port}" } }]\nusers: [{ name: a, user: { token: sesame } }]\n`,
    );
    env = { KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir };
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  const runner = (extra: NodeJS.ProcessEnv = {}, verbose = false) => {
    return new Runner({ env: { ...env, ...extra }, log: (l) => logs.push(l), verbose }).forContext('kwok-a');
  };

  it('sends the token and the Accept header, returns any status, and records a read', async () => {
    answer = (url) => (url.endsWith('/missing') ? { status: 404, body: { kind: 'Status' } } : { status: 200, body: { ok: true } });
    const r = runner({}, true);
    expect(await r.apiGet({ path: '/api/v1/namespaces', accept: 'application/x-test' })).toEqual({ status: 200, body: '{"ok":true}' });
    expect(await r.apiGet({ path: '/api/v1/missing' })).toMatchObject({ status: 404 });
    // Plain HTTP: the token stays home (see the HTTPS test for where it goes).
    expect(seen.map((s) => [s.url, s.headers.accept, s.headers.authorization])).toEqual([
      ['/api/v1/namespaces', 'application/x-test', undefined],
      ['/api/v1/missing', 'application/json', undefined],
    ]);
    expect(r.history.map((h) => [h.command.replace(/:\d+/, ':PORT'), h.mutates, h.exitCode])).toEqual([
      ['GET http://127.0.0.1:PORT/api/v1/namespaces', false, 200],
      ['GET http://127.0.0.1:PORT/api/v1/missing', false, 404],
    ]);
    expect(logs[0]).toMatch(/^\$ GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces$/);
  });

  it('gives way to kubectl: when told to, before a context is known, and when nothing answers', async () => {
    expect(await runner({ MESHUP_DIRECT_API: '0' }).apiGet({ path: '/api/v1/nodes' })).toBeUndefined();
    const unpinned = new Runner({ env, log: () => {} });
    await expect(unpinned.apiGet({ path: '/api/v1/nodes' })).rejects.toThrow(/before a kube context was pinned/);
    const r = runner();
    await new Promise<void>((res) => server.close(() => res()));
    expect(await r.apiGet({ path: '/api/v1/nodes' })).toBeUndefined();
    // Once something answers at the (re-read) address again, reads go direct again.
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.end('{}');
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      join(dir, 'kubeconfig'),
      `contexts: [{ name: kwok-a, context: { cluster: a } }]\nclusters: [{ name: a, cluster: { server: "http://127.0.0.1:${port}" } }]\n`,
    );
    expect(await r.apiGet({ path: '/api/v1/nodes' })).toEqual({ status: 200, body: '{}' });
  });

  it('lists kinds in one round, metadata only where asked, each item with its kind; any refusal means kubectl', async () => {
    answer = (url) =>
      url.includes('/deployments')
        ? { status: 200, body: { items: [{ metadata: { name: 'istiod', namespace: 'istio-system' }, status: { readyReplicas: 1 } }] } }
        : {
            status: 200,
            body: { kind: 'PartialObjectMetadataList', items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'x' } }] },
          };
    const kinds = [
      { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true },
      { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, metadataOnly: true },
    ];
    const r = runner();
    expect(await listDirect(r, kinds, { namespace: 'istio-system' }, 'Reading')).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istiod', namespace: 'istio-system' }, status: { readyReplicas: 1 } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } },
    ]);
    expect(seen.map((s) => [s.url, s.headers.accept])).toEqual([
      ['/apis/apps/v1/namespaces/istio-system/deployments', 'application/json'],
      ['/api/v1/namespaces', 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'],
    ]);
    answer = (url) => (url.includes('/namespaces') && !url.includes('deployments') ? { status: 403, body: {} } : { status: 200, body: { items: [] } });
    expect(await listDirect(r, kinds, { namespace: 'istio-system' }, 'Reading')).toBeUndefined();
  });

  it('getObject reads one built-in object directly: undefined when the API server says it does not exist', async () => {
    answer = (url) => (url.endsWith('/meshup') ? { status: 200, body: { metadata: { name: 'meshup' }, data: { spec: '{}' } } } : { status: 404, body: {} });
    const r = runner({ PATH: join(dir, 'no-tools') });
    expect(await getObject(r, 'configmap', 'meshup', 'kube-public')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'meshup' },
      data: { spec: '{}' },
    });
    expect(await getObject(r, 'configmap', 'other', 'kube-public')).toBeUndefined();
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/namespaces/kube-public/configmaps/meshup', '/api/v1/namespaces/kube-public/configmaps/other']);
    // Any other answer, and a namespaced kind without a namespace, are kubectl's (not on this PATH).
    answer = () => ({ status: 500, body: {} });
    await expect(getObject(r, 'configmap', 'meshup', 'kube-public')).rejects.toThrow(/kubectl was not found/);
    await expect(getObject(r, 'configmap', 'meshup')).rejects.toThrow(/kubectl was not found/);
    expect(seen).toHaveLength(3);
  });

  it('reads served resources from aggregated discovery; a server without it leaves them to kubectl', async () => {
    answer = () => ({
      status: 200,
      body: {
        kind: 'APIGroupDiscoveryList',
        items: [
          { metadata: { name: 'apps' }, versions: [{ version: 'v1', resources: [{ resource: 'deployments' }, { resource: 'statefulsets' }] }] },
          {
            metadata: { name: 'networking.istio.io' },
            versions: [
              { version: 'v1', resources: [{ resource: 'virtualservices' }] },
              { version: 'v1beta1', resources: [{ resource: 'virtualservices' }, { resource: 'sidecars' }] },
            ],
          },
        ],
      },
    });
    const r = runner();
    expect([...(await servedResourcesDirect(r, 'Waiting'))!].sort()).toEqual([
      'deployments.apps',
      'sidecars.networking.istio.io',
      'statefulsets.apps',
      'virtualservices.networking.istio.io',
    ]);
    expect(seen.map((s) => [s.url, s.headers.accept?.split(',')[0]])).toEqual([
      ['/apis', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'],
    ]);
    answer = () => ({ status: 200, body: { kind: 'APIGroupList', groups: [] } });
    expect(await servedResourcesDirect(r, 'Waiting')).toBeUndefined();
  });

  it('listObjects reads built-in kinds directly, with the selector; the rest, and a namespaced kind without a namespace, through kubectl', async () => {
    const r = runner({ PATH: join(dir, 'no-tools') });
    expect(await listObjects(r, 'deployments,statefulsets.apps', { namespace: 'istio-system', selector: 'meshup.dev/addon' })).toEqual([]);
    expect(await listObjects(r, 'pods', { allNamespaces: true, selector: 'app=istiod' })).toEqual([]);
    expect(await listObjects(r, 'clusterroles')).toEqual([]);
    expect(seen.map((s) => s.url)).toEqual([
      '/apis/apps/v1/namespaces/istio-system/deployments?labelSelector=meshup.dev%2Faddon',
      '/apis/apps/v1/namespaces/istio-system/statefulsets?labelSelector=meshup.dev%2Faddon',
      '/api/v1/pods?labelSelector=app%3Distiod',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    ]);
    // kubectl is not on this PATH: these calls reaching for it is what shows they were not direct.
    await expect(listObjects(r, 'pods')).rejects.toThrow(/kubectl was not found/);
    await expect(listObjects(r, 'gateways.gateway.networking.k8s.io', { allNamespaces: true })).rejects.toThrow(/kubectl was not found/);
    expect(seen).toHaveLength(4);
  });

  it('waits for a Deployment rollout by reading it again until kubectl would call it done', async () => {
    let reads = 0;
    const istiod = (status: Record<string, unknown>) => ({ metadata: { name: 'istiod', generation: 2 }, spec: { replicas: 1 }, status });
    answer = (url) => {
      if (!url.endsWith('/deployments/istiod')) return { status: 404, body: {} };
      reads++;
      return {
        status: 200,
        body:
          reads === 1
            ? istiod({ observedGeneration: 1 })
            : reads === 2
              ? istiod({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 0 })
              : istiod({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
      };
    };
    const r = runner({ PATH: join(dir, 'no-tools') });
    await waitForRollout(r, 'istio-system', ['deployment/istiod'], 10);
    expect(reads).toBe(3);
    expect(new Set(seen.map((s) => s.url))).toEqual(new Set(['/apis/apps/v1/namespaces/istio-system/deployments/istiod']));
    // A Deployment that is not there, and a kind other than Deployment: kubectl's to say (not on this PATH).
    await expect(waitForRollout(r, 'istio-system', ['deployment/missing'], 10)).rejects.toThrow(/kubectl was not found/);
    await expect(waitForRollout(r, 'istio-system', ['daemonset/ztunnel'], 10)).rejects.toThrow(/kubectl was not found/);
    // Past its progress deadline: failed at once, as kubectl fails.
    answer = () => ({
      status: 200,
      body: { ...istiod({ observedGeneration: 2, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] }) },
    });
    await expect(waitForRollout(r, 'istio-system', ['deployment/istiod'], 10, { step: 'Waiting for istiod' })).rejects.toThrow(
      'Waiting for istiod: deployment "istiod" exceeded its progress deadline',
    );
    // Never available: a time-out that says what it was waiting for.
    answer = () => ({ status: 200, body: istiod({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 0 }) });
    const e = await waitForRollout(r, 'istio-system', ['deployment/istiod'], 1).catch((x: unknown) => x);
    expect(e).toMatchObject({ message: 'Waiting for deployment/istiod in istio-system: not rolled out after 1s' });
    expect((e as { details: string[] }).details).toContain('  deployment istiod: 0 of 1 updated replicas are available');
  });

  describe('apply: a server-side apply sent as PATCHes, else kubectl', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } };
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.test.meshup.dev' }, spec: {} };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'grafana', namespace: 'istio-system' }, data: { a: '1' } };
    const gw = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'web', namespace: 'shop' }, spec: {} };
    const discovery = {
      kind: 'APIGroupDiscoveryList',
      items: [
        {
          metadata: { name: 'networking.istio.io' },
          versions: [{ version: 'v1', resources: [{ resource: 'gateways', scope: 'Namespaced', responseKind: { kind: 'Gateway' } }] }],
        },
      ],
    };
    const patches = () => seen.filter((x) => x.method === 'PATCH');

    it('sends each object as kubectl would (its manager, conflicts forced, strict fields); namespaces and CRDs before the rest', async () => {
      answer = (url, method) => (method === 'GET' && url === '/apis' ? { status: 200, body: discovery } : { status: 201, body: {} });
      const r = runner({ PATH: join(dir, 'no-tools') }, true);
      await apply(r, [cm, gw, ns, crd], 'Applying', 'istio-operator');
      const query = '?fieldManager=istio-operator&force=true&fieldValidation=Strict';
      expect(seen.filter((x) => x.method === 'GET').map((x) => x.url)).toEqual(['/apis']);
      const sent = patches();
      expect(
        sent
          .slice(0, 2)
          .map((x) => x.url)
          .sort(),
      ).toEqual([`/api/v1/namespaces/shop${query}`, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.meshup.dev${query}`]);
      expect(
        sent
          .slice(2)
          .map((x) => x.url)
          .sort(),
      ).toEqual([`/api/v1/namespaces/istio-system/configmaps/grafana${query}`, `/apis/networking.istio.io/v1/namespaces/shop/gateways/web${query}`]);
      for (const x of sent) expect(x.headers['content-type']).toBe('application/apply-patch+yaml');
      expect(sent.map((x) => JSON.parse(x.body!)).sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([cm, crd, gw, ns]);
      // Each PATCH changes the cluster: recorded as changing, echoed under --verbose.
      expect(r.history.filter((h) => h.command.startsWith('PATCH ')).every((h) => h.mutates)).toBe(true);
      expect(logs.filter((l) => l.startsWith('$ PATCH http://127.0.0.1:'))).toHaveLength(4);
    });

    it('reads a manifest it is given as text; a List or a document that does not parse is left to kubectl', async () => {
      answer = () => ({ status: 200, body: {} });
      const r = runner({ PATH: join(dir, 'no-tools') });
      await apply(r, '# built-in kinds only: no discovery\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\n', 'Applying');
      expect(seen.map((x) => `${x.method} ${x.url.split('?')[0]}`)).toEqual(['PATCH /api/v1/namespaces/x/configmaps/a']);
      await expect(apply(r, 'apiVersion: v1\nkind: List\nitems: []\n', 'Applying')).rejects.toThrow(/kubectl was not found/);
      await expect(apply(r, 'kind: [\n', 'Applying')).rejects.toThrow(/kubectl was not found/);
      expect(seen).toHaveLength(1);
    });

    // kubectl is not on PATH in these: an apply reaching for it is one that was not sent direct.
    it.each([
      ['an object whose kind the server does not serve', [cm, { ...gw, kind: 'Sidecar' }], 0],
      ['a namespaced object without a namespace (only kubectl knows the default one)', [{ ...cm, metadata: { name: 'x' } }], 0],
      ['a cluster-scoped object with a namespace', [{ ...ns, metadata: { name: 'n', namespace: 'shop' } }], 0],
      ['an object without a name', [{ ...cm, metadata: { namespace: 'x' } }], 0],
    ])('leaves to kubectl %s, sending nothing', async (_what, objects, sent) => {
      answer = (url) => (url === '/apis' ? { status: 200, body: discovery } : { status: 200, body: {} });
      await expect(apply(runner({ PATH: join(dir, 'no-tools') }), objects, 'Applying')).rejects.toThrow(/kubectl was not found/);
      expect(patches()).toHaveLength(sent);
    });

    it('gives the whole apply to kubectl when the API server refuses an object, and never sends under --dry-run or when told not to', async () => {
      answer = (url) => (url.includes('/configmaps/') ? { status: 422, body: { kind: 'Status', reason: 'Invalid' } } : { status: 200, body: {} });
      await expect(apply(runner({ PATH: join(dir, 'no-tools') }), [ns, cm], 'Applying')).rejects.toThrow(/kubectl was not found/);
      // The namespace went first and was applied; kubectl then applies both again, which is harmless.
      expect(patches().map((x) => x.url.split('?')[0])).toEqual(['/api/v1/namespaces/shop', '/api/v1/namespaces/istio-system/configmaps/grafana']);
      seen = [];
      await expect(apply(runner({ PATH: join(dir, 'no-tools'), MESHUP_DIRECT_API: '0' }), [ns], 'Applying')).rejects.toThrow(/kubectl was not found/);
      const dry = new Runner({ env: { ...env, PATH: join(dir, 'no-tools') }, log: (l) => logs.push(l), dryRun: true }).forContext('kwok-a');
      await apply(dry, [ns], 'Applying');
      expect(seen).toEqual([]);
      // Under --dry-run the command shown is kubectl's, with the objects it would send.
      expect(dry.history.map((h) => [h.command.split('\n')[0], h.skipped])).toEqual([
        ["kubectl --context kwok-a apply --server-side --field-manager=meshup --force-conflicts -f - <<'MESHUP_EOF'", true],
      ]);
      expect(dry.history[0]!.command).toContain(JSON.stringify(ns));
    });
  });
});

describe('deploymentRollout (kubectl rollout status for a Deployment)', () => {
  const d = (generation: number, spec: Record<string, unknown>, status: Record<string, unknown>) => ({ metadata: { name: 'web', generation }, spec, status });
  it.each([
    ['spec not observed yet', d(3, { replicas: 2 }, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), false],
    ['new replicas not all updated', d(1, { replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }), false],
    ['old replicas pending termination', d(1, { replicas: 2 }, { observedGeneration: 1, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }), false],
    ['updated replicas not available', d(1, { replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), false],
    ['rolled out', d(1, { replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), true],
    ['scaled to zero', d(4, { replicas: 0 }, { observedGeneration: 4 }), true],
    ['no replicas in its spec, all available', d(1, {}, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), true],
    ['no replicas in its spec, none available', d(1, {}, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0 }), false],
  ])('%s', (_what, dep, done) => {
    const state = deploymentRollout(dep);
    expect(state.done).toBe(done);
    expect(state.failed).toBeUndefined();
  });
  it('past its progress deadline: failed, once the spec is observed', () => {
    const conditions = [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }];
    expect(deploymentRollout(d(2, { replicas: 1 }, { observedGeneration: 2, conditions }))).toEqual({
      done: false,
      failed: 'deployment "web" exceeded its progress deadline',
    });
    expect(deploymentRollout(d(3, { replicas: 1 }, { observedGeneration: 2, conditions })).failed).toBeUndefined();
  });
});

/** A throwaway self-signed certificate (cert.pem, key.pem in dir) for a name, and for 127.0.0.1 when
 * that is the name; openssl is a Debian package CI has. */
function selfSigned(at: string, name: string): void {
  const san = name === '127.0.0.1' ? ['-addext', 'subjectAltName=IP:127.0.0.1'] : [];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      ...san,
      '-days',
      '1',
      '-keyout',
      join(at, 'key.pem'),
      '-out',
      join(at, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
}

describe('Runner.apiGet over HTTPS', () => {
  let server: HttpsServer;
  let seen: Seen[];
  let cert: string;
  let port: number;
  beforeEach(async () => {
    seen = [];
    selfSigned(dir, '127.0.0.1');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.end('{"kind":"Status"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  const runnerWith = (ca: string) => {
    writeFileSync(
      join(dir, 'kubeconfig'),
      `contexts: [{ name: kwok-a, context: { cluster: a, user: a } }]\nclusters: [{ name: a, cluster: { server: "https://127.0.0.1:${port}", certificate-authority-data: ${b64(ca)} } }]\nusers: [{ name: a, user: { token: sesame } }]\n`,
    );
    return new Runner({ env: { KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir }, log: () => {} }).forContext('kwok-a');
  };

  it('checks the server against the kubeconfig CA and sends the token', async () => {
    expect(await runnerWith(cert).apiGet({ path: '/version' })).toEqual({ status: 200, body: '{"kind":"Status"}' });
    expect(seen.map((s) => [s.url, s.headers.authorization])).toEqual([['/version', 'Bearer sesame']]);
  });

  it('a server its CA does not vouch for gets no token, and the context is read with kubectl from then on', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    selfSigned(other, 'other');
    const r = runnerWith(readFileSync(join(other, 'cert.pem'), 'utf8'));
    expect(await r.apiGet({ path: '/version' })).toBeUndefined();
    // Fixing the kubeconfig does not matter to this runner any more: it decided for kubectl.
    runnerWith(cert);
    expect(await r.apiGet({ path: '/version' })).toBeUndefined();
    expect(seen).toEqual([]);
    expect(r.history.map((h) => h.command)).toEqual([`GET https://127.0.0.1:${port}/version`]);
  });
});
