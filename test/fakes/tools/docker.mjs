// Fake docker. Source of truth: shared/notes/field-notes.md (minikube section: limits read from
// `docker system info --format '{{json .}}'`: NCPU, MemTotal in bytes, OperatingSystem
// "Docker Desktop") and the docker CLI's own messages for a stopped daemon.
// kind's node containers (NAME-control-plane) answer `inspect --format` for their state and their
// published ports as docker does (`{{.State.Status}}`: running|exited|paused; `{{json
// .HostConfig.PortBindings}}`: {"30080/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],...}; a
// missing container: "Error: No such object", exit 1), and `start` them: the formats kind v0.33.0's
// docker driver reads, as test/realtools' Docker stand-in serves them to the real kind.
// Registry containers (meshup's caches and local registry) are kept as `docker run` made them:
// `ps --all --filter name=X --format '{{json .}}'` prints a row a container with Names, State,
// Networks (comma-separated) and Labels (k=v,...), as the docker CLI's json format does; `start`,
// `rm --force`, `network connect` (an already connected container: "endpoint with name X already
// exists in network Y", exit 1, as dockerd says), `volume rm --force`. In kind's nodes, `exec`
// runs `mkdir -p`, `cp /dev/stdin PATH` (kind's own local-registry recipe) and `cat PATH` (exit 1
// and "No such file or directory" when absent) against the node's files.
// State: state.docker = { running, ncpu, memBytes, os, infoText, containers: { name: { state,
// labels, networks, args } }, volumes: [] }; state.kind.clusters[name].nodeState and .files.
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
  } else if (['ps', 'run', 'rm', 'network', 'volume', 'exec'].includes(args[0]) || (args[0] === 'start' && t.load().docker?.containers?.[args[1]])) {
    if (!d.running) t.fail(DOWN);
    registries(t);
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

const valued = new Set(['--name', '--label', '--publish', '--volume', '--env', '--filter', '--format', '--restart']);

/** @param {import('../lib.mjs').Call} t */
function registries(t) {
  const args = t.args;
  const s = t.load();
  s.docker ??= {};
  s.docker.containers ??= {};
  const containers = s.docker.containers;
  const values = (flag) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
  const words = args.filter((a, i) => !a.startsWith('-') && !valued.has(args[i - 1]));
  if (args[0] === 'ps') {
    const names = values('--filter').flatMap((f) => (f.startsWith('name=') ? [f.slice(5)] : []));
    const labels = values('--filter').flatMap((f) => (f.startsWith('label=') ? [f.slice(6)] : []));
    const rows = Object.entries(containers)
      .filter(([n, c]) => (!names.length || names.some((x) => n.includes(x))) && labels.every((l) => l in c.labels))
      .map(([n, c]) =>
        JSON.stringify({
          Names: n,
          State: c.state,
          Networks: c.networks.join(','),
          Labels: Object.entries(c.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        }),
      );
    t.out(rows.join('\n'));
  } else if (args[0] === 'run') {
    const name = values('--name')[0];
    if (containers[name])
      t.fail(`docker: Error response from daemon: Conflict. The container name "/${name}" is already in use by container "0123456789ab".`, 125);
    const labels = Object.fromEntries(values('--label').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    containers[name] = { state: 'running', labels, networks: ['bridge'], args };
    s.docker.volumes = [...new Set([...(s.docker.volumes ?? []), ...values('--volume').map((v) => v.split(':')[0])])];
    t.save(s);
    t.out('0123456789abcdef');
  } else if (args[0] === 'start') {
    containers[args[1]].state = 'running';
    t.save(s);
    t.out(args[1]);
  } else if (args[0] === 'rm') {
    for (const n of words.slice(1)) delete containers[n];
    t.save(s);
    t.out(words.slice(1).join('\n'));
  } else if (args[0] === 'volume' && args[1] === 'rm') {
    s.docker.volumes = (s.docker.volumes ?? []).filter((v) => !words.slice(2).includes(v));
    t.save(s);
    t.out(words.slice(2).join('\n'));
  } else if (args[0] === 'network' && args[1] === 'connect') {
    const [, , net, name] = words;
    const c = containers[name];
    if (!c) t.fail(`Error response from daemon: No such container: ${name}`);
    if (c.networks.includes(net)) t.fail(`Error response from daemon: endpoint with name ${name} already exists in network ${net}`);
    c.networks.push(net);
    t.save(s);
  } else if (args[0] === 'exec') {
    const [, node, cmd, ...rest] = words;
    if (containers[node] && cmd === 'du') return t.out(`${containers[node].kib ?? 1234}\t/var/lib/registry`);
    const cluster = s.kind?.clusters?.[node.replace(/-control-plane$/, '')];
    if (!cluster) t.fail(`Error response from daemon: No such container: ${node}`);
    cluster.files ??= {};
    if (cmd === 'mkdir') return;
    if (cmd === 'cp' && rest[0] === '/dev/stdin') {
      cluster.files[rest[1]] = t.readStdin();
      t.save(s);
    } else if (cmd === 'cat') {
      if (cluster.files[rest[0]] === undefined) t.fail(`cat: ${rest[0]}: No such file or directory`);
      t.out(cluster.files[rest[0]]);
    } else t.unexpected();
  } else t.unexpected();
}
