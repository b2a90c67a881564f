import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
beforeEach(() => {
  w = sealed();
});
afterEach(() => w.cleanup());

describe('meshup CLI basics', () => {
  it('prints its version and help with examples', async () => {
    const v = await w.run(['--version']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const cmd of ['up', 'down', 'status', 'doctor', 'profiles']) {
      const h = await w.run([cmd, '--help']);
      expect(h.exitCode, cmd).toBe(0);
      expect(h.stdout, cmd).toContain('Examples:');
    }
  });

  it('suggests the closest flag and command', async () => {
    const f = await w.run(['up', '--profle', 'demo']);
    expect(f.exitCode).toBe(2);
    expect(f.stderr).toContain('Did you mean --profile?');
    const c = await w.run(['stauts']);
    expect(c.exitCode).toBe(2);
    expect(c.stderr).toContain('Did you mean status?');
  });

  it('lists profiles as a table and as JSON', async () => {
    const t = await w.run(['profiles']);
    expect(t.exitCode).toBe(0);
    expect(t.stdout).toMatch(/^default\s+default\s+4\s+8 GiB/m);
    const j = await w.run(['profiles', '--json']);
    const doc = JSON.parse(j.stdout) as { name: string }[];
    expect(doc.map((p) => p.name)).toEqual(['ambient', 'default', 'demo', 'minimal']);
  });

  it('prints the JSON Schema of config files', async () => {
    const r = await w.run(['schema', 'config']);
    expect(r.exitCode).toBe(0);
    const s = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['provider', 'profile', 'addons', 'allowContexts']));
  });
});

describe('bad input', () => {
  const noTrace = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

  it('rejects an unknown profile, listing the valid ones', async () => {
    const r = await w.run(['up', '--profile', 'nosuch', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown profile "nosuch"');
    expect(r.stderr).toContain('valid profiles: ambient, default, demo, minimal');
    noTrace(r.stderr);
    expect(w.calls()).toEqual([]);
  });

  it('reports malformed YAML in meshup.yaml with line and column', async () => {
    writeFileSync(join(w.dir, 'work', 'meshup.yaml'), 'provider: kind\naddons: [kiali\nprofile: demo\n');
    const r = await w.run(['up', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/meshup\.yaml:\d+:\d+: /);
    noTrace(r.stderr);
    expect(w.calls()).toEqual([]);
  });

  it('reports a schema error in meshup.yaml at the offending key', async () => {
    writeFileSync(join(w.dir, 'work', 'meshup.yaml'), 'provider: kind\nprofile: demo\naddon: [kiali]\n');
    const r = await w.run(['up', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('meshup.yaml:3:1: unknown key "addon"');
    const bad = await w.run(['up', '--yes'], { env: {} });
    expect(bad.exitCode).toBe(2);
  });

  it('reports a bad value with its position in a user profile', async () => {
    writeFileSync(
      join(w.dir, 'work', 'mine.yaml'),
      'name: mine\ndescription: x\nistio: { profile: demo }\ncluster: { cpus: 2, memory: lots, disk: 10g }\naddons: []\ninjection: { namespaces: [] }\ngateway: { ingress: true, egress: false, httpNodePort: 30080, httpsNodePort: 30443, hostHttpPort: 8080, hostHttpsPort: 8443 }\n',
    );
    const r = await w.run(['up', '--profile', './mine.yaml', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/mine\.yaml:4:\d+: cluster\.memory: /);
  });

  it('rejects an unknown addon with a suggestion', async () => {
    const r = await w.run(['up', '--addons', 'kaili', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown addon "kaili"');
    expect(r.stderr).toContain('Did you mean kiali?');
    expect(w.calls()).toEqual([]);
  });

  it('rejects a malformed Istio version and a bad memory size', async () => {
    const v = await w.run(['up', '--istio-version', 'latest', '--yes']);
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toContain('"latest" is not an Istio version (from --istio-version)');
    const m = await w.run(['up', '--memory', 'eight', '--yes']);
    expect(m.exitCode).toBe(2);
    expect(m.stderr).toContain('"eight" is not a size (from --memory)');
  });

  it('reports a missing provider binary with an install hint', async () => {
    w.hide('kind');
    const r = await w.run(['up', '--provider', 'kind', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/kind/);
    expect(r.stderr).toMatch(/Install kind/);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });
});
