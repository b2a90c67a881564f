// Fake minikube: reproduces minikube v1.36.0. Every output meshup parses is checked against the
// real binary (built by test/cluster/build, run against test/realtools' Docker stand-in) in
// test/realtools/fidelity.test.ts. What it reproduces: `status -p N -o json` prints
// {"Name","Host","Kubelet","APIServer","Kubeconfig","Worker"} with an exit-code bitmask (7 when
// stopped); an unknown profile → JSON event lines and exit 85; a profile whose node container is
// gone, or Docker down → `null` and exit 0; `profile list -o json` prints {"invalid":[],"valid":[...]}
// (exit 0 even with none; with -l every Status is "Skipped"); `delete` of a missing profile exits 0;
// `start` on an existing profile ignores new sizes; the context is named after the profile.
// `service -p P -n NS NAME --url` prints one URL a line, one per port of the Service: with
// state.minikube.tunnel = "stays" (the docker driver on macOS and Windows) they are 127.0.0.1
// ports it serves (here an HTTP server answering 404, as Envoy does for an unrouted path) and it
// runs until stopped, or exits after tunnelExitMs; otherwise the node's address, and it exits.
// State: state.minikube.profiles = { name: { status: Running|Stopped|Gone, cpus, memory, driver } };
// state.docker.running = false for Docker down.
import { addContext, removeContext } from '../lib.mjs';

/** @param {import('../lib.mjs').Call} t */
export default async function minikube(t) {
  const args = t.args;
  t.record('minikube', args);
  const s = t.load();
  s.minikube ??= { profiles: {} };
  const flag = (n) => {
    const i = args.indexOf(n);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const profile = flag('-p') ?? 'minikube';
  const p = s.minikube.profiles[profile];
  switch (args[0]) {
    case 'version':
      t.out(args.includes('--short') ? 'v1.36.0' : 'minikube version: v1.36.0\ncommit: ');
      break;
    case 'status': {
      if (!p) {
        if (flag('-o') === 'json') {
          const ev = (message) =>
            JSON.stringify({
              specversion: '1.0',
              id: '00000000-0000-0000-0000-000000000000',
              source: 'https://minikube.sigs.k8s.io/',
              type: 'io.k8s.sigs.minikube.info',
              datacontenttype: 'application/json',
              data: { message },
            });
          t.out(
            `${ev(`Profile "${profile}" not found. Run "minikube profile list" to view all profiles.`)}\n${ev(`To start a cluster, run: "minikube start -p ${profile}"`)}`,
          );
        } else
          t.out(
            `* Profile "${profile}" not found. Run "minikube profile list" to view all profiles.\n  To start a cluster, run: "minikube start -p ${profile}"`,
          );
        t.exit(85);
      }
      // Node container gone, or Docker down: minikube finds no status at all and prints null.
      if (p.status === 'Gone' || s.docker?.running === false) {
        t.write('null');
        t.exit(0);
      }
      const st = p.status;
      t.out(JSON.stringify({ Name: profile, Host: st, Kubelet: st, APIServer: st, Kubeconfig: st === 'Running' ? 'Configured' : 'Stopped', Worker: false }));
      t.exit(st === 'Running' ? 0 : 7);
      break;
    }
    case 'profile':
      t.write(
        JSON.stringify({
          invalid: [],
          valid: Object.entries(s.minikube.profiles).map(([n, v]) => ({
            Name: n,
            Status: args.includes('-l') ? 'Skipped' : v.status,
            Config: {
              CPUs: v.cpus,
              Memory: v.memory,
              Driver: v.driver ?? 'docker',
              KubernetesConfig: { KubernetesVersion: 'v1.33.1' },
              Nodes: [{ IP: '192.168.49.2', Port: 8443 }],
            },
          })),
        }),
      );
      break;
    case 'start': {
      if (s.minikube.failStart) t.fail(s.minikube.failStart, 2);
      if (p) {
        if (flag('--cpus') || flag('--memory'))
          t.err('❗  You cannot change the memory size for an existing minikube cluster. Please first delete the cluster.\n');
        p.status = 'Running';
      } else {
        s.minikube.profiles[profile] = {
          status: 'Running',
          cpus: Number(flag('--cpus') ?? 2),
          memory: parseInt(flag('--memory') ?? '2048', 10),
          driver: flag('--driver') ?? 'docker',
        };
      }
      addContext(s, profile, 'https://192.168.49.2:8443');
      t.save(s);
      t.out(`🏄  Done! kubectl is now configured to use "${profile}" cluster and "default" namespace by default`);
      break;
    }
    case 'delete':
      if (!p) t.err(`! "${profile}" profile does not exist, trying anyways.\n`);
      delete s.minikube.profiles[profile];
      removeContext(s, profile);
      t.save(s);
      t.out(`🔥  Deleting "${profile}" in docker ...`);
      break;
    case 'service': {
      if (!p) t.fail(`🤷  Profile "${profile}" not found.`, 85);
      const ports = 3;
      if (s.minikube.tunnel !== 'stays') {
        t.out(Array.from({ length: ports }, (_, i) => `http://192.168.49.2:${30000 + i}`).join('\n'));
        break;
      }
      s.minikube.tunnelStarts = (s.minikube.tunnelStarts ?? 0) + 1;
      t.save(s);
      const { createServer } = await import('node:http');
      const server = createServer((_req, res) => res.writeHead(404).end());
      const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
      t.out(Array.from({ length: ports }, () => `http://127.0.0.1:${port}`).join('\n'));
      t.unlock();
      try {
        await t.sleep(s.minikube.tunnelExitMs ?? 60_000);
      } finally {
        server.close();
        server.closeAllConnections();
      }
      break;
    }
    case 'ip':
      if (!p) t.fail(`🤷  Profile "${profile}" not found.`, 85);
      t.out('192.168.49.2');
      break;
    default:
      t.unexpected();
  }
}
