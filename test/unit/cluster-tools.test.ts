// The kind and minikube wrappers: exact argument arrays in, canned outputs (taken from the real
// kind v0.33.0 / minikube v1.36.0 against the Docker stand-in, see test/realtools) out.
import { describe, expect, it, vi } from 'vitest';
import { Runner, type RunSpec } from '../../src/exec/runner.js';
import {
  kindCreate,
  kindExportKubeconfig,
  kindNodeState,
  kindPortMappingProblems,
  kindPortMappings,
  parseKindNodeState,
  parseKindPortBindings,
} from '../../src/tools/kind.js';
import { minikubeStatus, parseMinikubeStatus } from '../../src/tools/minikube.js';

/** A runner whose run() answers from a table and records every spec it was given. */
function scripted(answers: { stdout?: string; exitCode?: number }[]) {
  const r = new Runner({ env: {}, log: () => {} });
  const specs: RunSpec[] = [];
  vi.spyOn(r, 'run').mockImplementation(async (spec) => {
    specs.push(spec);
    const a = answers.shift() ?? {};
    return { stdout: a.stdout ?? '', stderr: '', exitCode: a.exitCode ?? 0, skipped: false };
  });
  return { r, specs };
}

describe('kind wrappers', () => {
  it('export kubeconfig restores the context of a named cluster', async () => {
    const { r, specs } = scripted([{}]);
    await kindExportKubeconfig(r, 'meshup');
    expect(specs).toEqual([expect.objectContaining({ tool: 'kind', args: ['export', 'kubeconfig', '--name', 'meshup'] })]);
    // It writes the kubeconfig: a changing call, printed rather than run under --dry-run.
    expect(specs[0]!.readOnly).toBeUndefined();
  });

  it('create is bounded by the given limit, not a fixed one', async () => {
    const { r, specs } = scripted([{}, {}]);
    await kindCreate(r, { name: 'm', portMappings: [] }, 180, 900_000);
    await kindCreate(r, { name: 'm', portMappings: [] });
    expect(specs.map((s) => [s.args, s.timeoutMs])).toEqual([
      [['create', 'cluster', '--name', 'm', '--config', '-', '--wait', '180s'], 900_000],
      [['create', 'cluster', '--name', 'm', '--config', '-', '--wait', '180s'], 480_000],
    ]);
  });

  it("reads the node container's state through docker inspect", async () => {
    const { r, specs } = scripted([{ stdout: 'running' }, { stdout: 'exited' }, { stdout: '', exitCode: 1 }]);
    expect(await kindNodeState(r, 'meshup')).toBe('running');
    expect(await kindNodeState(r, 'meshup')).toBe('stopped');
    expect(await kindNodeState(r, 'meshup')).toBe('absent');
    expect(specs[0]).toMatchObject({ tool: 'docker', args: ['inspect', '--format', '{{.State.Status}}', 'meshup-control-plane'], okExitCodes: [1] });
    expect(parseKindNodeState('paused\n', 0)).toBe('paused');
    expect(parseKindNodeState('restarting\n', 0)).toBe('other');
  });

  it('reads the host ports a cluster really publishes, without the API server port, by host port', async () => {
    // Docker prints the map by key, so 30043 (https) comes before 30080 (http).
    const bindings =
      '{"30043/tcp":[{"HostIp":"127.0.0.1","HostPort":"8443"}],"30080/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"6443/tcp":[{"HostIp":"127.0.0.1","HostPort":"41234"}]}';
    const { r, specs } = scripted([{ stdout: bindings }]);
    expect(await kindPortMappings(r, 'meshup')).toEqual([
      { containerPort: 30080, hostPort: 8080, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30043, hostPort: 8443, listenAddress: '127.0.0.1', protocol: 'TCP' },
    ]);
    expect(specs[0]!.args).toEqual(['inspect', '--format', '{{json .HostConfig.PortBindings}}', 'meshup-control-plane']);
    expect(parseKindPortBindings('{"6443/tcp":[{"HostIp":"127.0.0.1","HostPort":"41234"}]}')).toEqual([]);
    expect(parseKindPortBindings('null')).toEqual([]);
  });

  it("finds the port clashes kind's own validation rejects", () => {
    expect(
      kindPortMappingProblems([
        { containerPort: 30080, hostPort: 8080 },
        { containerPort: 30443, hostPort: 8443 },
      ]),
    ).toEqual([]);
    expect(
      kindPortMappingProblems([
        { containerPort: 30080, hostPort: 8080 },
        { containerPort: 30443, hostPort: 8080 },
      ]),
    ).toEqual(['port mapping with same listen address, port and protocol already configured: 127.0.0.1:8080/TCP']);
    expect(kindPortMappingProblems([{ containerPort: 30080, hostPort: 70000 }])).toEqual(['invalid hostPort: invalid port number: 70000']);
    expect(
      kindPortMappingProblems([
        { containerPort: 30080, hostPort: 0 },
        { containerPort: 30443, hostPort: 0 },
      ]),
    ).toEqual([]);
  });
});

describe('minikube status', () => {
  it('counts `null` (node container gone, or Docker down) as broken, not running', async () => {
    expect(parseMinikubeStatus('null\n', 0)).toBe('broken');
    expect(parseMinikubeStatus('null', 0)).toBe('broken');
    expect(parseMinikubeStatus('', 0)).toBe('broken');
    expect(parseMinikubeStatus('[null]', 0)).toBe('broken');
    const { r, specs } = scripted([{ stdout: 'null', exitCode: 0 }]);
    expect(await minikubeStatus(r, 'meshup')).toBe('broken');
    expect(specs[0]).toMatchObject({ tool: 'minikube', args: ['status', '-p', 'meshup', '-o', 'json'] });
  });
});
