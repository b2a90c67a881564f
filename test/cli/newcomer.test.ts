// A newcomer's machine: no cluster tool, no Docker, no cluster yet. Each command names the real
// cause (the tools missing, Docker not answering, no cluster) with its fix, offers the way without
// Docker (kwok), and in a terminal asks nothing when the command can only fail. Also: at a
// terminal, a context whose server is not local is refused before any question.
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessOptions, runInProcess } from '../helpers/inprocess.js';
import { type Questions, questions } from '../helpers/questions.js';
import { mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
let q: Questions;
beforeEach(() => {
  w = sealed();
  q = questions();
});
afterEach(() => w.cleanup());

const atTerminal = (args: string[], o: InProcessOptions = {}) => runInProcess(w, args, { ...o, tty: true, prompts: q.prompts });
const KWOK = 'fix: or, without Docker: meshup up --provider kwok (needs kwokctl; see docs/kwok.md)';
const noClusterTools = () => {
  w.hide('minikube');
  w.hide('kind');
};

describe('no cluster tool', () => {
  it('up at a terminal asks nothing, and names both causes: the tools missing and whether Docker answers', async () => {
    noClusterTools();
    w.state({ docker: { running: false } });
    const r = await atTerminal(['up']);
    expect(q.asked).toEqual([]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: No cluster tool is installed: neither minikube nor kind is on PATH, and Docker is not running');
    expect(r.stderr).toContain('  docker: not running (Cannot connect to the Docker daemon');
    expect(r.stderr).toContain('fix: Install minikube');
    expect(r.stderr).toContain('fix: Install kind');
    expect(r.stderr).toContain('fix: Start Docker');
    expect(r.stderr).toContain(KWOK);
    expect(w.calls().map((c) => c.tool)).toEqual(['docker']);
  });

  it('with Docker running, says so and still offers kwok', async () => {
    noClusterTools();
    const r = await w.run(['up', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: No cluster tool is installed: neither minikube nor kind is on PATH (Docker is running)');
    expect(r.stderr).toContain('  docker: running (28.2.2)');
    expect(r.stderr).not.toContain('Start Docker');
    expect(r.stderr).toContain(KWOK);
  });

  it('status, ingress and dashboard name the same cause, not a missing context', async () => {
    noClusterTools();
    for (const args of [['status'], ['ingress'], ['dashboard', 'kiali']]) {
      const r = await w.run(args);
      expect(r.exitCode, args.join(' ')).toBe(3);
      expect(r.stderr).toContain('No cluster tool is installed: neither minikube nor kind is on PATH');
      expect(r.stderr).not.toContain('context');
    }
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('the named provider missing, with the other one installed, offers that one', async () => {
    w.hide('kind');
    const r = await atTerminal(['up', '--provider', 'kind']);
    expect(q.asked).toEqual([]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: kind was not found on PATH');
    expect(r.stderr).toContain('fix: or use minikube, which is installed: --provider minikube');
    expect(w.calls()).toEqual([]);
  });
});

describe('no Docker', () => {
  it('up at a terminal asks nothing: Docker must answer first, or kwok', async () => {
    w.state({ docker: { running: false } });
    const r = await atTerminal(['up', '--provider', 'kind']);
    expect(q.asked).toEqual([]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: kind runs in Docker: Docker is not running');
    expect(r.stderr).toContain('fix: Start Docker');
    expect(r.stderr).toContain(KWOK);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('up --yes names Docker and offers kwok (minikube: the preflight says it; kind: listing its clusters does)', async () => {
    w.state({ docker: { running: false } });
    const r = await w.run(['up', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('  docker: Docker is not running');
    expect(r.stderr).toContain(KWOK);
    const kind = await w.run(['up', '--provider', 'kind', '--yes']);
    expect(kind.exitCode).toBe(1);
    expect(kind.stderr).toContain('error: Listing kind clusters: Docker is not running');
    expect(kind.stderr).toContain('fix: Start Docker');
  });

  it('status says no cluster exists and that Docker must be started to make one', async () => {
    w.state({ docker: { running: false } });
    const r = await w.run(['status']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('No minikube cluster "meshup" exists, and Docker is not running. Start Docker');
    expect(r.stdout).toContain('then create it with: meshup up');
    const j = JSON.parse((await w.run(['status', '--json'])).stdout) as { state: string; problem: string; fix: string[] };
    expect(j).toMatchObject({ state: 'absent', problem: 'Docker is not running' });
  });

  it('ingress and dashboard on a minikube profile that Docker no longer runs say Docker, not a missing context', async () => {
    w.state({ docker: { running: false }, minikube: { profiles: { meshup: { status: 'Running', cpus: 4, memory: 8192 } } } });
    for (const args of [['ingress'], ['dashboard', 'kiali']]) {
      const r = await w.run(args);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('error: The minikube cluster "meshup" cannot run: Docker is not running');
      expect(r.stderr).toContain('fix: Start Docker (Docker Desktop, or: sudo systemctl start docker), then: meshup up');
    }
  });
});

describe('no cluster yet', () => {
  it('status, ingress and dashboard say how to create it, with the flags that chose it', async () => {
    const s = await w.run(['status', '--provider', 'kind', '--name', 'dev']);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(s.stdout).toContain('No kind cluster "dev" exists. Create it with: meshup up --provider kind --name dev');
    const i = await w.run(['ingress', '--provider', 'kind']);
    expect(i.exitCode).toBe(1);
    expect(i.stderr).toContain('error: No kind cluster "meshup" exists, so there is no gateway to reach');
    expect(i.stderr).toContain('fix: Create it with: meshup up --provider kind');
    const d = await w.run(['dashboard', 'kiali', '--provider', 'kind']);
    expect(d.exitCode).toBe(1);
    expect(d.stderr).toContain('error: No kind cluster "meshup" exists, so there is no kiali dashboard to open');
    expect(d.stderr).toContain('fix: Create it with: meshup up --provider kind');
    expect(w.calls().filter((c) => c.tool === 'kubectl')).toEqual([]);
  });

  it('dashboard on a stopped cluster says so', async () => {
    w.state({ minikube: { profiles: { meshup: { status: 'Stopped', cpus: 4, memory: 8192 } } } });
    const r = await w.run(['dashboard', 'kiali']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: The minikube cluster "meshup" is stopped, so there is no kiali dashboard to open');
    expect(r.stderr).toContain('fix: Start it with: meshup up');
  });
});

describe('a context whose server is not on this machine, at a terminal', () => {
  it('is refused before any question, from the kubeconfig file alone', async () => {
    writeFileSync(
      w.env.KUBECONFIG!,
      'apiVersion: v1\nkind: Config\ncurrent-context: kind-prod\ncontexts:\n- name: kind-prod\n  context: { cluster: kind-prod }\nclusters:\n- name: kind-prod\n  cluster: { server: "https://203.0.113.10:6443" }\n',
    );
    const r = await atTerminal(['up', '--provider', 'existing', '--context', 'kind-prod']);
    expect(q.asked).toEqual([]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('error: Refusing to use context "kind-prod": its server https://203.0.113.10:6443 is not on this machine');
    expect(w.calls()).toEqual([]);
  });
});
