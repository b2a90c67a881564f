// The request through the gateway, against real servers on 127.0.0.1 standing in for the
// gateway's host port: one that answers 404 (Envoy with no route), a closed port, and one that
// accepts the connection and never answers.
import { createServer as createHttp } from 'node:http';
import { createServer as createTcp, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { explainProbe, probeUrl, proveIngress } from '../../src/ingress/probe.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
const listen = (s: Server): Promise<number> =>
  new Promise((resolve) => {
    servers.push(s);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
  });
/** A port nothing listens on: bound, then closed. */
const closedPort = async () => {
  const s = createTcp();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  servers.splice(servers.indexOf(s), 1);
  return port;
};
const kind = { reach: 'host-port-mapping' as const, providerName: 'kind', clusterName: 'meshup', context: 'kind-meshup' };

describe('the gateway probe', () => {
  it('a 404 is the gateway answering: reachable', async () => {
    const port = await listen(
      createHttp((_req, res) => {
        res.writeHead(404, { server: 'istio-envoy' }).end();
      }),
    );
    expect(await probeUrl(`http://127.0.0.1:${port}/`, 2000)).toEqual({ answered: true, status: 404 });
    const proof = await proveIngress({ url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port, nodePort: 30080, reachable: true }, kind);
    expect(proof).toEqual({ answered: true, status: 404 });
  });

  it('a closed port: refused at once, the host port named with how to see what is mapped', async () => {
    const port = await closedPort();
    const started = Date.now();
    const proof = await proveIngress({ url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port, nodePort: 30080, reachable: true }, kind);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(proof!.answered).toBe(false);
    expect(proof!.hop).toBe(`host port ${port}: nothing listens there (the kind cluster maps only the host ports it was created with)`);
    expect(proof!.fix).toContain('docker port meshup-control-plane');
  });

  it('a port that accepts and never answers: bounded, and the hop behind the host port named', async () => {
    const port = await listen(createTcp((s) => sockets.push(s)));
    const started = Date.now();
    const r = await probeUrl(`http://127.0.0.1:${port}/`, 400);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r).toEqual({ answered: false, failure: 'timeout', detail: 'no answer within 0.4s' });
    const { hop, fix } = explainProbe(r as Extract<typeof r, { answered: false }>, { ...kind, host: '127.0.0.1', port, nodePort: 30080 });
    expect(hop).toBe(`host port ${port} → nodePort 30080: the connection got no answer (no answer within 0.4s), so no ready gateway pod serves it`);
    expect(fix).toContain('get pods -l istio=ingressgateway');
  });

  it('minikube: a machine address that does not answer says why the docker driver hides it', () => {
    const { fix } = explainProbe(
      { answered: false, failure: 'unreachable', detail: 'EHOSTUNREACH' },
      { reach: 'machine-address', providerName: 'minikube', clusterName: 'dev', context: 'dev', host: '192.168.49.2', port: 30080 },
    );
    expect(fix).toContain('minikube tunnel -p dev');
  });

  it('not sent on a simulated cluster, or without a URL', async () => {
    expect(await proveIngress({ url: 'http://127.0.0.1:1', host: '127.0.0.1', port: 1, reachable: true }, { ...kind, reach: 'simulated' })).toBeUndefined();
    expect(await proveIngress({ reachable: false }, kind)).toBeUndefined();
  });
});
