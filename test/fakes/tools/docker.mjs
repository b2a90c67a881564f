// Fake docker. Source of truth: shared/notes/field-notes.md (minikube section: limits read from
// `docker system info --format '{{json .}}'`: NCPU, MemTotal in bytes, OperatingSystem
// "Docker Desktop") and the docker CLI's own messages for a stopped daemon.
// kind's node containers (NAME-control-plane) answer `inspect --format` for their state and their
// published ports as docker does (`{{.State.Status}}`: running|exited|paused; `{{json
// .HostConfig.PortBindings}}`: {"30080/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],...}; a
// missing container: "Error: No such object", exit 1), and `start` them: the formats kind v0.33.0's
// docker driver reads, as test/realtools' Docker stand-in serves them to the real kind.
// State: state.docker = { running, ncpu, memBytes, os, infoText }; state.kind.clusters[name].nodeState.
import { parse } from 'yaml';

const DOWN = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';

/** @param {import('../lib.mjs').Call} t */
export default async function docker(t) {
  const args = t.args;
  t.record('docker', args);
  const d = { running: true, ncpu: 8, memBytes: 16 * 1024 ** 3, os: 'Docker Desktop', ...(t.load().docker ?? {}) };
  if (args[0] === '--version') t.out('Docker version 28.2.2, build e6534b4');
  else if (args.join(' ') === 'system info --format {{json .}}') {
    if (!d.running) t.fail(DOWN);
    // A docker that is not the Docker CLI (a wrapper, another tool) answers with text.
    if (d.infoText) {
      t.out(d.infoText);
      t.exit(0);
    }
    t.out(JSON.stringify({ NCPU: d.ncpu, MemTotal: d.memBytes, OperatingSystem: d.os, ServerVersion: '28.2.2', Architecture: 'x86_64' }));
  } else if (args[0] === 'inspect' || args[0] === 'start') {
    if (!d.running) t.fail(DOWN);
    const s = t.load();
    const container = args[args.length - 1];
    const name = container.replace(/-control-plane$/, '');
    const cluster = s.kind?.clusters?.[name];
    if (!cluster) t.fail(`Error: No such object: ${container}`);
    if (args[0] === 'start') {
      cluster.nodeState = 'running';
      t.save(s);
      t.out(container);
    } else if (args[2] === '{{.State.Status}}') t.out(cluster.nodeState ?? 'running');
    else if (args[2] === '{{json .HostConfig.PortBindings}}') {
      const cfg = cluster.config ? parse(cluster.config) : {};
      const bindings = { '6443/tcp': [{ HostIp: '127.0.0.1', HostPort: '40001' }] };
      for (const m of cfg?.nodes?.[0]?.extraPortMappings ?? []) {
        bindings[`${m.containerPort}/${(m.protocol ?? 'TCP').toLowerCase()}`] = [{ HostIp: m.listenAddress ?? '0.0.0.0', HostPort: String(m.hostPort) }];
      }
      t.out(JSON.stringify(bindings));
    } else t.unexpected();
  } else t.unexpected();
}
