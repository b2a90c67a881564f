// Waiting for a cluster to answer and its nodes to be Ready. kind's --wait exits 0 on timeout and
// minikube's waits vary by version, so meshup checks for itself.
import { MeshupError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import type { NodeInfo } from '../kube/objects.js';
import { getNodes } from '../tools/kubectl.js';
import { sleep } from '../util/time.js';

export async function waitForReadyNodes(runner: Runner, timeoutMs: number, pollMs = 1000): Promise<NodeInfo[]> {
  if (runner.dryRun) return [];
  const deadline = Date.now() + timeoutMs;
  let last = 'the API server did not answer';
  let answered = false;
  for (;;) {
    try {
      const nodes = await getNodes(runner, 15_000);
      answered = true;
      if (nodes.length && nodes.every((n) => n.ready)) return nodes;
      last = nodes.length
        ? `not Ready: ${nodes
            .filter((n) => !n.ready)
            .map((n) => n.name)
            .join(', ')}`
        : 'no nodes registered yet';
    } catch (e) {
      if (!(e instanceof MeshupError) || e.exitCode === 130) throw e;
      last = e.message;
    }
    if (Date.now() >= deadline) {
      // Advice that can work: nodes can be described only when the API server answers.
      throw new MeshupError(`The cluster's nodes were not Ready within ${Math.round(timeoutMs / 1000)}s (${last})`, {
        fix: answered
          ? `Look at the nodes with: kubectl --context ${runner.context ?? '<context>'} describe nodes`
          : 'Its API server never answered: meshup status says what it sees; recreating the cluster (meshup down, then meshup up) helps when it does not come up',
      });
    }
    await sleep(pollMs, runner.signal);
  }
}
