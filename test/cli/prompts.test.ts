// The questions meshup asks in a terminal, rendered by @inquirer/testing and answered with
// keypresses: what each offers, how the answers become the plan (they are the top layer of the
// spec), that nothing is asked what flags, the environment, the config file or --yes decide, and
// that Ctrl-C at any question exits 130 with nothing changed.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessOptions, runInProcess } from '../helpers/inprocess.js';
import { type Questions, questions } from '../helpers/questions.js';
import { releaseServerFor } from '../helpers/release.js';
import { mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
let q: Questions;
const server = releaseServerFor({ '1.31.1': {} });
beforeEach(() => {
  w = sealed();
  w.env.MESHUP_ISTIO_MIRROR = server().url;
  q = questions();
});
afterEach(() => w.cleanup());

/** meshup at a terminal, answering with q's prompts. */
const atTerminal = (args: string[], o: InProcessOptions = {}) => runInProcess(w, args, { ...o, tty: true, prompts: q.prompts });
const recorded = () =>
  JSON.parse(w.readState().clusters['kind-meshup'].objects['configmap/kube-public/meshup'].data.spec) as { profile: string; addons: string[] };
const setUp = async (...args: string[]) => expect((await w.run(['up', '--provider', 'kind', '--yes', ...args])).exitCode).toBe(0);
/** The addons a checkbox screen shows ticked. */
const ticked = (screen: string) => [...screen.matchAll(/◉ (\w+) - /g)].map((m) => m[1]);

describe('meshup up at a terminal', () => {
  it('asks for provider, profile and addons, offering the installed providers, the default profile and its addons; the answers are the plan', async () => {
    const running = atTerminal(['up', '--dry-run']);

    const provider = await q.next(running);
    expect(provider.message).toBe('Which cluster provider?');
    expect(provider.getScreen()).toMatch(/❯ minikube\n\s+kind/);
    provider.press('down', 'enter');

    const profile = await q.next(running);
    expect(profile.message).toBe('Which profile? (Docker has 8 CPUs, 16 GiB)');
    const screen = profile.getScreen();
    expect(screen).toMatch(/❯ default\s+4 CPUs, 8 GiB/);
    expect(screen).toMatch(/ demo\s+2 CPUs, 4 GiB/);
    expect(screen).toMatch(/ minimal\s+2 CPUs, 3 GiB/);
    profile.press('down', 'enter');

    // demo's own addons are ticked once demo is the answer.
    const addons = await q.next(running);
    expect(addons.kind).toBe('checkbox');
    expect(ticked(addons.getScreen())).toEqual(['grafana', 'jaeger', 'kiali', 'prometheus']);
    addons.press('space', 'down', 'space', 'enter'); // untick grafana and jaeger

    const r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(q.asked).toHaveLength(3);
    expect(r.stdout).toContain('Plan for kind cluster "meshup"');
    expect(r.stdout).toMatch(/\+ create kind cluster meshup \(\d+ CPUs/);
    expect(r.stdout).toContain('+ install Istio 1.31.1 (demo profile)');
    expect(r.stdout).toContain('+ apply addon prometheus');
    expect(r.stdout).toContain('+ apply addon kiali');
    expect(r.stdout).not.toMatch(/apply addon (grafana|jaeger)/);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('answers are applied and recorded like flags', async () => {
    const running = atTerminal(['up']);
    (await q.next(running)).press('down', 'enter'); // kind
    (await q.next(running)).press('down', 'down', 'enter'); // minimal
    const addons = await q.next(running);
    expect(ticked(addons.getScreen())).toEqual([]); // minimal has none
    addons.press('down', 'down', 'space', 'enter'); // kiali
    const r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    // kiali brings prometheus, which it needs.
    expect(recorded()).toMatchObject({ profile: 'minimal', addons: ['prometheus', 'kiali'] });
    expect(w.readState().kind.clusters.meshup).toBeDefined();
  });

  it('asks nothing that a flag, the environment or the config file decides', async () => {
    // Provider from a flag, profile from the environment: only the addons are left.
    let running = atTerminal(['up', '--dry-run', '--provider', 'kind'], { env: { MESHUP_PROFILE: 'minimal' } });
    const addons = await q.next(running);
    expect(addons.message).toBe('Which addons?');
    addons.press('enter');
    let r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(q.asked).toHaveLength(1);
    expect(r.stdout).toContain('+ install Istio 1.31.1 (minimal profile)');

    // Everything from the config file: no question at all.
    writeFileSync(join(w.dir, 'work', 'meshup.yaml'), 'provider: kind\nprofile: minimal\naddons: []\n');
    running = atTerminal(['up', '--dry-run']);
    r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(q.asked).toHaveLength(1);
  });

  it('asks nothing with --yes or --json', async () => {
    for (const flag of ['--yes', '--json']) {
      const r = await atTerminal(['up', '--dry-run', '--addons', '', flag]);
      expect(r.exitCode, `${flag}: ${r.stderr}`).toBe(0);
    }
    expect(q.asked).toEqual([]);
  });

  it('on a cluster meshup set up, offers what it recorded, so Enter keeps the mesh as it is', async () => {
    await setUp('--profile', 'demo', '--addons', 'prometheus');
    const before = w.calls().length;
    const running = atTerminal(['up']);
    // The provider is the cluster meshup last used: not asked.
    const profile = await q.next(running);
    expect(profile.message).toMatch(/^Which profile\?/);
    expect(profile.getScreen()).toMatch(/❯ demo /);
    profile.press('enter');
    const addons = await q.next(running);
    expect(ticked(addons.getScreen())).toEqual(['prometheus']);
    addons.press('enter');
    const r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Verified \d+ parts of the mesh: nothing to change/);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    expect(recorded()).toMatchObject({ profile: 'demo', addons: ['prometheus'] });
  });

  it('an answer that changes the recorded profile offers that profile’s addons, and the plan follows', async () => {
    await setUp('--profile', 'demo', '--addons', 'prometheus');
    const running = atTerminal(['up', '--dry-run']);
    (await q.next(running)).press('down', 'enter'); // demo → minimal
    const addons = await q.next(running);
    expect(ticked(addons.getScreen())).toEqual([]);
    addons.press('enter');
    const r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('reconfigure Istio 1.31.1 (profile minimal');
    expect(r.stdout).toMatch(/- remove addon prometheus/);
  });
});

describe('Ctrl-C at a question', () => {
  it.each([
    ['the provider', 0],
    ['the profile', 1],
    ['the addons', 2],
  ])('at %s: exit 130, nothing changed or remembered', async (_what, at) => {
    const running = atTerminal(['up']);
    for (let i = 0; i < at; i++) (await q.next(running)).press('enter');
    (await q.next(running)).interrupt();
    const r = await running;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('error: Interrupted');
    expect(r.stderr).not.toMatch(/failed unexpectedly|\n\s+at .+:\d+:\d+/);
    expect(q.asked).toHaveLength(at + 1);
    expect(mutatingCalls(w.calls())).toEqual([]);
    expect(w.readState().kind?.clusters ?? {}).toEqual({});
    expect(existsSync(join(w.env.XDG_STATE_HOME!, 'meshup'))).toBe(false);
  });

  it('at down’s confirmation: exit 130, the cluster is kept', async () => {
    await setUp('--profile', 'minimal');
    const before = w.calls().length;
    const running = atTerminal(['down']);
    const confirm = await q.next(running);
    expect(confirm.message).toBe('Delete the kind cluster "meshup" and everything in it?');
    expect(confirm.getScreen()).toContain('(y/N)');
    confirm.interrupt();
    const r = await running;
    expect(r.exitCode).toBe(130);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    expect(Object.keys(w.readState().kind.clusters)).toEqual(['meshup']);
  });
});

describe('meshup addons enable at a terminal', () => {
  it('offers every addon, ticked as the cluster has them; the ticks become the addons', async () => {
    await setUp('--profile', 'demo', '--addons', 'prometheus');
    const running = atTerminal(['addons', 'enable']);
    const box = await q.next(running);
    expect(box.kind).toBe('checkbox');
    expect(box.getScreen()).toMatch(/grafana[\s\S]*jaeger[\s\S]*kiali[\s\S]*prometheus/);
    expect(ticked(box.getScreen())).toEqual(['prometheus']);
    box.press('down', 'down', 'space', 'enter'); // kiali
    const r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(recorded().addons).toEqual(['prometheus', 'kiali']);
    expect(w.readState().clusters['kind-meshup'].objects['deployment/istio-system/kiali']).toBeDefined();
  });

  it('Ctrl-C at the checkbox: exit 130, nothing changed', async () => {
    await setUp('--profile', 'demo', '--addons', 'prometheus');
    const before = w.calls().length;
    const running = atTerminal(['addons', 'enable']);
    (await q.next(running)).interrupt();
    const r = await running;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('error: Interrupted');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    expect(recorded().addons).toEqual(['prometheus']);
  });

  it('without a terminal, names are needed and nothing is asked', async () => {
    await setUp('--profile', 'minimal');
    const r = await runInProcess(w, ['addons', 'enable'], { prompts: q.prompts });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Name the addons to enable');
    expect(q.asked).toEqual([]);
  });
});
