// One HTTP request through the gateway before its URL is called reachable: any answer counts (an
// Envoy 404 for a path no route matches is the gateway answering). When none comes, which hop
// failed and what to do, for the way this provider's gateway is reached.
import { request } from 'node:http';
import type { IngressReach } from '../providers/types.js';

export type ProbeResult = { answered: true; status: number } | { answered: false; failure: 'refused' | 'timeout' | 'reset' | 'unreachable'; detail: string };

/** GET url, bounded by timeoutMs (connecting and answering together). */
export function probeUrl(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = request(url, { method: 'GET', headers: { 'user-agent': 'meshup-probe' }, signal }, (res) => {
      res.resume();
      done({ answered: true, status: res.statusCode ?? 0 });
    });
    const timer = setTimeout(() => done({ answered: false, failure: 'timeout', detail: `no answer within ${Math.round(timeoutMs / 100) / 10}s` }), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      const failure = e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : 'unreachable';
      done({ answered: false, failure, detail: e.code ?? e.message });
    });
    req.end();
  });
}

export interface ProbeFacts {
  reach: IngressReach;
  host: string;
  port: number;
  nodePort?: number;
  providerName: string;
  clusterName: string;
  context: string;
}

/** Which hop did not answer, and the fix, for a probe that failed. */
export function explainProbe(r: Extract<ProbeResult, { answered: false }>, f: ProbeFacts): { hop: string; fix: string } {
  const pods = `kubectl --context ${f.context} -n istio-system get pods -l istio=ingressgateway`;
  const forward = `kubectl --context ${f.context} -n istio-system port-forward svc/istio-ingressgateway 8080:80 reaches it through the API server meanwhile`;
  if (f.reach === 'host-port-mapping') {
    if (r.failure === 'refused') {
      return {
        hop: `host port ${f.port}: nothing listens there (the ${f.providerName} cluster maps only the host ports it was created with)`,
        fix: `See what it maps: docker port ${f.clusterName}-control-plane; ${forward}`,
      };
    }
    return {
      hop: `host port ${f.port} → nodePort ${f.nodePort ?? '?'}: the connection ${r.failure === 'timeout' ? 'got no answer' : 'was dropped'} (${r.detail}), so no ready gateway pod serves it`,
      fix: `Look at the gateway's pods: ${pods}`,
    };
  }
  if (f.reach === 'machine-address') {
    return {
      hop: `${f.host}:${f.port}, the ${f.providerName} machine's address and the nodePort: ${r.detail} from this machine`,
      fix: `With minikube's docker driver on macOS or Windows the machine's address cannot be reached: run minikube tunnel -p ${f.clusterName}, or ${forward}; otherwise look at the gateway's pods: ${pods}`,
    };
  }
  return {
    hop: `${f.host}:${f.port}, a node's address and the nodePort: ${r.detail}`,
    fix: `Check that this machine reaches the node and that a gateway pod is ready: ${pods}; ${forward}`,
  };
}

/** What a probe found, as `up` and `ingress` report it. */
export interface Proof {
  answered: boolean;
  status?: number;
  hop?: string;
  fix?: string;
}

const PROBE_MS = 3000;

/** Sends the one request when the gateway's pods really run (not on a simulated cluster) and there
 * is a URL; undefined otherwise. */
export async function proveIngress(
  r: { url?: string; host?: string; port?: number; nodePort?: number; reachable: boolean },
  f: Omit<ProbeFacts, 'host' | 'port' | 'nodePort'>,
  signal?: AbortSignal,
): Promise<Proof | undefined> {
  if (f.reach === 'simulated' || !r.reachable || !r.url || !r.host || !r.port) return undefined;
  const p = await probeUrl(r.url, PROBE_MS, signal);
  if (p.answered) return { answered: true, status: p.status };
  return { answered: false, ...explainProbe(p, { ...f, host: r.host, port: r.port, nodePort: r.nodePort }) };
}

/** One line on the probe: the answer, or the hop that gave none. */
export const proofLine = (p: Proof) =>
  p.answered ? `answered: HTTP ${p.status}${p.status === 404 ? ' (the gateway, with no route for /)' : ''}` : `not answering: ${p.hop}`;
