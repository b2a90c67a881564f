// Fake kind: reproduces kind v0.33.0. Every output meshup parses is checked against the real
// binary (built by test/cluster/build, run against test/realtools' Docker stand-in) in
// test/realtools/fidelity.test.ts. What it reproduces: `get clusters` prints a name a line,
// none → "No kind clusters found." on stderr with exit 0, Docker down → exit 1; `create
// cluster` on an existing name fails with "node(s) already exist for a cluster with the name";
// delete is idempotent; `export kubeconfig` restores a deleted kind-<name> context; contexts are
// kind-<name> and creation switches current-context.
// State: state.kind.clusters = { name: { config } }; state.docker.running = false for Docker down.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addContext, removeContext } from '../lib.mjs';

/** @param {import('../lib.mjs').Call} t */
export default async function kind(t) {
  const args = t.args;
  const s = t.load();
  s.kind ??= { clusters: {} };
  const flag = (n) => {
    const i = args.indexOf(n);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const cmd = args.slice(0, 2).join(' ');
  if (args[0] === 'version') {
    t.record('kind', args);
    t.out('kind v0.33.0 go1.26.8 linux/amd64');
  } else if (cmd === 'get clusters') {
    t.record('kind', args);
    if (s.docker?.running === false) {
      t.fail(
        `ERROR: failed to list clusters: command "docker ps -a --filter label=io.x-k8s.kind.cluster --format '{{.Label "io.x-k8s.kind.cluster"}}'" failed with error: exit status 1\n\nCommand Output: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`,
      );
    }
    const names = Object.keys(s.kind.clusters);
    if (!names.length) t.err('No kind clusters found.\n');
    else t.out(names.join('\n'));
  } else if (cmd === 'get nodes') {
    t.record('kind', args);
    const name = flag('--name') ?? 'kind';
    if (!s.kind.clusters[name]) t.err(`No kind nodes found for cluster "${name}".\n`);
    else t.out(`${name}-control-plane`);
  } else if (cmd === 'create cluster') {
    const stdin = flag('--config') === '-' ? t.readStdin() : '';
    t.record('kind', args, stdin);
    const name = flag('--name') ?? 'kind';
    if (s.kind.clusters[name]) t.fail(`ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"`);
    if (s.kind.failCreate) t.fail(`ERROR: failed to create cluster: ${s.kind.failCreate}`);
    if (s.kind.slowCreate) {
      // Stands for a create that takes minutes; tells the test its pid, then waits to be stopped.
      writeFileSync(join(t.dir, 'kind-create.pid'), String(t.pid));
      t.unlock();
      await t.sleep(60_000);
    }
    s.kind.clusters[name] = { config: stdin };
    addContext(s, `kind-${name}`, 'https://127.0.0.1:40001');
    t.save(s);
    t.err(`Creating cluster "${name}" ...\n ✓ Ensuring node image\nSet kubectl context to "kind-${name}"\n`);
  } else if (cmd === 'delete cluster') {
    t.record('kind', args);
    const name = flag('--name') ?? 'kind';
    delete s.kind.clusters[name];
    removeContext(s, `kind-${name}`);
    t.save(s);
    t.err(`Deleting cluster "${name}" ...\n`);
  } else if (cmd === 'export kubeconfig') {
    t.record('kind', args);
    const name = flag('--name') ?? 'kind';
    if (!s.kind.clusters[name]) {
      t.fail(`ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster`);
    }
    addContext(s, `kind-${name}`, 'https://127.0.0.1:40001');
    t.save(s);
    t.err(`Set kubectl context to "kind-${name}"\n`);
  } else {
    t.record('kind', args);
    t.unexpected();
  }
}
