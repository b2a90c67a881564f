// Inputs checked before the first change, and hostile files (issue 24): expose's host and path as
// the Gateway API's HTTPRoute validation and Istio's judge them, files that are not regular files,
// YAML that multiplies or nests without end, Helm templates that parse as YAML, and the
// directories meshup's files come from (HOME, TMPDIR, MESHUP_KWOK_BIN_DIR). The bad-input table
// (test/cli/bad-input.test.ts) runs the same through the CLI; this pins the rules themselves.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkManifest } from '../../src/commands/inject.js';
import { parseYaml, readTextFile } from '../../src/config/load.js';
import { cacheDir, home, stateDir, usableTempDir } from '../../src/config/paths.js';
import { routeHost, routePath } from '../../src/config/validate.js';
import { ConfigError, MeshupError, PreflightError, UsageError } from '../../src/errors.js';
import { checkKwokBinDir } from '../../src/providers/kwok.js';
import { yamlStream } from '../../src/util/yaml.js';

const dir = mkdtempSync(join(tmpdir(), 'meshup-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): MeshupError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MeshupError);
    return e as MeshupError;
  }
  throw new Error('accepted');
}

const bomb = (levels: number) => {
  let text = 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i <= levels; i++)
    text += `l${i}: &l${i} [${Array(9)
      .fill(`*l${i - 1}`)
      .join(', ')}]\n`;
  return text;
};

describe('expose --host: the HTTPRoute hostname rule (RFC 1123, one leading "*." label, no IP), and Istio\'s', () => {
  const from = { label: '--host' };
  it.each(['*', 'web.local', 'web', '*.example.com', 'a-b.c1.io', 'xn--caf-dma.local', '10.0.0.1.nip.io', `${'a'.repeat(63)}.local`])('accepts %s', (host) => {
    expect(routeHost(host, from)).toBe(host);
  });
  it('accepts a name of exactly 253 characters', () => {
    const host = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(host.length).toBe(253);
    expect(routeHost(host, from)).toBe(host);
  });
  it.each([
    ['a b', 'it contains a space'],
    ['Web.local', 'uppercase letters'],
    ['', 'it is empty'],
    ['web\u0000local', 'control character'],
    ['web\nlocal', 'control character'],
    ['web\u00a0local', 'it contains a space'],
    ['192.0.2.1', 'it is an IP address'],
    ['::1', 'it is an IP address'],
    ['[2001:db8::1]', 'it is an IP address'],
    ['web.local:80', 'it has a port'],
    ['https://web.local', 'it is a URL'],
    ['web.local/api', 'contains "/"'],
    ['web.*.local', 'wildcard may only be the whole first label'],
    ['*web.local', 'wildcard may only be the whole first label'],
    ['*.', 'empty label'],
    ['web..local', 'empty label'],
    ['.web', 'empty label'],
    ['web.local.', 'empty label'],
    ['-web.local', 'is not a DNS label'],
    ['web-.local', 'is not a DNS label'],
    ['web_1.local', 'is not a DNS label'],
    ['café.local', 'is not a DNS label'],
    [`${'a'.repeat(64)}.local`, 'a label has at most 63'],
    [`${'a.'.repeat(127)}ab`, 'a host name has at most 253'],
    ['web.123', 'last label is all digits'],
  ])('refuses %j: %s', (host, why) => {
    const e = refusal(() => routeHost(host, from));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(why);
    expect(e.message).toMatch(/\(from --host\)$/);
    expect(e.fix.length).toBeGreaterThan(0);
    // Quoted as JSON: no raw control character reaches the terminal.
    expect([...e.message].some((c) => c.codePointAt(0)! < 0x20)).toBe(false);
  });
  it('suggests the lowercase name when that one is valid', () => {
    expect(refusal(() => routeHost('Web.Local', from)).fix).toEqual(['Write it in lowercase: --host web.local (host names match in any case)']);
  });
});

describe('expose --path: the HTTPRoute PathPrefix rules', () => {
  const from = { label: '--path' };
  it.each(['/', '/api', '/a/b-c_d.e~f', '/a%20b', "/a!$&'()*+,;=:@", '/v1/', `/${'x'.repeat(1023)}`])('accepts %s', (path) => {
    expect(routePath(path, from)).toBe(path);
  });
  it.each([
    ['', 'it is empty'],
    ['api', 'does not start with "/"'],
    ['http://h/api', 'it is a URL'],
    ['/a b', 'it contains a space'],
    ['/a\tb', 'control character'],
    ['/a\u007fb', 'control character'],
    ['/a?b=1', 'query string'],
    ['/a#b', 'fragment'],
    ['/a//b', 'segment'],
    ['/a/./b', 'segment'],
    ['/a/../b', 'segment'],
    ['/a/.', 'segment'],
    ['/a/..', 'segment'],
    ['/a%2fb', 'encoded "/"'],
    ['/a%2Fb', 'encoded "/"'],
    ['/a%', 'not followed by two hex digits'],
    ['/a%g1', 'not followed by two hex digits'],
    ['/café', '"é"'],
    ['/a"b', '"\\""'],
    ['/a<b>', '"<"'],
    ['/a\\b', 'percent-encoded'],
    [`/${'x'.repeat(1024)}`, 'at most 1024'],
  ])('refuses %j: %s', (path, why) => {
    const e = refusal(() => routePath(path, from));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(why);
    expect(e.message).toMatch(/\(from --path\)$/);
  });
});

describe('files that are not regular files', () => {
  it('a FIFO is refused by its stat, without waiting for a writer', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    await expect(readTextFile(fifo, 'config file')).rejects.toThrow(/it is a named pipe \(FIFO\), not a regular file/);
    expect(Date.now() - started).toBeLessThan(2000);
    const e = (await readTextFile(fifo, 'manifest', 1024, 'pass it on stdin: meshup inject -f - < FILE').catch((x: unknown) => x)) as ConfigError;
    expect(e.fix).toEqual(['Name a regular manifest file, or pass it on stdin: meshup inject -f - < FILE']);
  });
  it.each([
    ['/dev/null', 'it is a character device, not a regular file'],
    ['/dev/zero', 'it is a character device, not a regular file'],
  ])('%s: %s', async (file, why) => {
    await expect(readTextFile(file, 'profile')).rejects.toThrow(`Cannot read profile ${file}: ${why}`);
  });
  it('a directory', async () => {
    await expect(readTextFile(dir, 'config file')).rejects.toThrow('it is a directory');
  });
});

describe('YAML that multiplies or nests without end', () => {
  const anything = z.unknown();
  it('a few aliases are fine, in config files and in manifest streams', () => {
    const text = 'base: &b { a: 1 }\nx: *b\ny: *b\n';
    expect(parseYaml(text, '/w/c.yaml', anything, 'config file')).toEqual({ base: { a: 1 }, x: { a: 1 }, y: { a: 1 } });
    expect(yamlStream(`${text}---\nz: 1\n`)).toEqual([{ value: { base: { a: 1 }, x: { a: 1 }, y: { a: 1 } } }, { value: { z: 1 } }]);
  });
  it.each([3, 9, 20])('an alias bomb of %i levels is a ConfigError at its first alias, at once', (levels) => {
    const started = Date.now();
    const e = refusal(() => parseYaml(bomb(levels), '/w/c.yaml', anything, 'config file'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.details).toEqual(['/w/c.yaml:2:10: its aliases (*l0) expand to too many copies: meshup refuses YAML that multiplies like this (an alias bomb)']);
    expect(Date.now() - started).toBeLessThan(2000);
  });
  it('in a manifest stream, the document is reported as broken, not expanded', () => {
    const docs = yamlStream(`a: 1\n---\n${bomb(12)}`);
    expect(docs[0]).toEqual({ value: { a: 1 } });
    expect(docs[1]!.error).toContain('an alias bomb');
  });
  it.each([
    ['flow', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`],
    ['block', `${'- '.repeat(300)}x\n`],
    ['maps', `${'{a: '.repeat(1000)}1${'}'.repeat(1000)}\n`],
  ])('nesting past 200 levels (%s) is refused with its place', (_style, text) => {
    const e = refusal(() => parseYaml(text, '/w/c.yaml', anything, 'config file'));
    expect(e.details[0]).toMatch(/^\/w\/c\.yaml:1:\d+: it nests collections more than 200 levels deep$/);
    expect(yamlStream(text)[0]!.error).toMatch(/more than 200 levels deep \(line 1\)/);
  });
  it('deep nesting behind a syntax error is still a broken document, not a crash', () => {
    const docs = yamlStream(`a: [unclosed\n---\nb: ${'['.repeat(20_000)}\n`);
    expect(docs.every((d) => d.error !== undefined)).toBe(true);
    expect(docs[0]!.error).toMatch(/at line \d+, column \d+$/);
  });
  it('200 levels are read', () => {
    expect(() => parseYaml(`${'['.repeat(150)}${']'.repeat(150)}`, '/w/c.yaml', anything, 'config file')).not.toThrow();
  });
  it('an inject manifest: a bomb and deep nesting are invalid manifests', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata:\n';
    expect(refusal(() => checkManifest(`${cm}${bomb(5).replace(/^/gm, '  ')}`, '/w/m.yaml')).details[0]).toMatch(/^\/w\/m\.yaml:6:\d+: its aliases/);
    expect(refusal(() => checkManifest(`${cm}  x: ${'['.repeat(10_000)}`, '/w/m.yaml')).details[0]).toContain('more than 200 levels deep');
  });
});

describe('Helm templates in inject', () => {
  it.each([
    ['a quoted action', 'metadata:\n  name: "{{ .Values.name }}"\n', '/w/t.yaml:4:10: {{ .Values.name }} is a Helm template action'],
    ['$.Values', 'metadata:\n  name: "{{ $.Values.name }}"\n', '/w/t.yaml:4:10: {{ $.Values.name }} is a Helm template action'],
    [
      'include',
      'metadata:\n  name: x\n  labels:\n    {{- include "x.labels" . | nindent 4 }}\n',
      '/w/t.yaml:6:5: {{- include "x.labels" . | nindent 4 }} is a Helm template action',
    ],
    ['.Chart', 'metadata:\n  name: x\n  labels: { chart: "{{ .Chart.Name }}" }\n', '/w/t.yaml:5:21: {{ .Chart.Name }} is a Helm template action'],
  ])('%s is named as a template', (_what, tail, detail) => {
    const e = refusal(() => checkManifest(`apiVersion: v1\nkind: Service\n${tail}`, '/w/t.yaml'));
    expect(e.message).toBe('/w/t.yaml is a Helm chart template, not a Kubernetes manifest');
    expect(e.details).toEqual([detail]);
    expect(e.exitCode).toBe(2);
  });
  it("other tools' templates in real objects pass, and so does a commented-out action", () => {
    const rule =
      'apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: { name: r }\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: Down\n      annotations:\n        summary: "{{ $labels.instance }} is down ({{ $value }})"\n';
    const alertmanager = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: am }\ndata:\n  tmpl: |\n    text: \'{{ template "slack.default.text" . }}\'\n';
    const argo = 'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: { name: w }\nspec:\n  args: ["{{inputs.parameters.message}}"]\n';
    const commented = '# name: {{ .Values.name }}\napiVersion: v1\nkind: Service\nmetadata: { name: s }\n';
    expect(checkManifest(`${rule}---\n${alertmanager}---\n${argo}---\n${commented}`, '/w/ok.yaml')).toBe(4);
  });
});

describe("HOME, TMPDIR and MESHUP_KWOK_BIN_DIR: this machine's directories", () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  it('HOME unset: the state and cache dirs name it; the XDG variables make it unneeded', () => {
    const e = refusal(() => stateDir({}));
    expect(e).toBeInstanceOf(PreflightError);
    expect(e.message).toBe('HOME is not set: meshup keeps its state and downloads under your home directory');
    expect(e.fix[0]).toContain('XDG_STATE_HOME and XDG_CACHE_HOME');
    expect(refusal(() => cacheDir({ HOME: '' })).exitCode).toBe(3);
    expect(stateDir({ XDG_STATE_HOME: '/x/state' })).toBe('/x/state/meshup');
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/meshup');
  });
  it('HOME a file or a relative path is named even for reading; one that does not exist only where meshup writes', () => {
    expect(refusal(() => home({ HOME: file })).message).toBe(`HOME is ${file}, which is not a directory`);
    expect(refusal(() => home({ HOME: 'rel/home' })).message).toBe('HOME is "rel/home", which is not an absolute path');
    expect(home({ HOME: join(dir, 'gone') })).toBe(join(dir, 'gone'));
    expect(refusal(() => stateDir({ HOME: join(dir, 'gone') })).message).toBe(`HOME is ${join(dir, 'gone')}, which does not exist`);
  });
  it('a HOME meshup cannot create its first directory in', () => {
    expect(refusal(() => stateDir({ HOME: '/sys' })).message).toMatch(/^HOME \(\/sys\) cannot be written \((EACCES|EPERM|EROFS)\)/);
    const fine = join(dir, 'home');
    mkdirSync(fine);
    expect(stateDir({ HOME: fine })).toBe(join(fine, '.local', 'state', 'meshup'));
    expect(cacheDir({ HOME: fine })).toBe(join(fine, '.cache', 'meshup'));
  });
  it('TMPDIR: missing, a file, or not writable, each with its fix', async () => {
    const why = 'for the test';
    await expect(usableTempDir({ TMPDIR: dir }, why)).resolves.toBe(dir);
    await expect(usableTempDir({ TMPDIR: join(dir, 'nope') }, why)).rejects.toThrow(`TMPDIR (${join(dir, 'nope')}) does not exist: for the test`);
    await expect(usableTempDir({ TMPDIR: file }, why)).rejects.toThrow('is not a directory');
    await expect(usableTempDir({ TMPDIR: '/sys' }, why)).rejects.toBeInstanceOf(PreflightError);
  });
  it('MESHUP_KWOK_BIN_DIR must hold every binary it names, executable; what kwokctl is told of otherwise need not be there', () => {
    const bin = join(dir, 'kwok-bin');
    mkdirSync(bin);
    expect(refusal(() => checkKwokBinDir({ MESHUP_KWOK_BIN_DIR: join(dir, 'none') })).message).toMatch(/does not exist \(from MESHUP_KWOK_BIN_DIR\)$/);
    expect(refusal(() => checkKwokBinDir({ MESHUP_KWOK_BIN_DIR: file })).message).toMatch(/is not a directory/);
    expect(refusal(() => checkKwokBinDir({ MESHUP_KWOK_BIN_DIR: bin })).message).toContain(
      'holds no kube-apiserver, kube-controller-manager, kube-scheduler, kwok, etcd',
    );
    for (const b of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']) writeFileSync(join(bin, b), '#!/bin/sh\n');
    expect(refusal(() => checkKwokBinDir({ MESHUP_KWOK_BIN_DIR: bin })).message).toContain('holds no etcd');
    expect(refusal(() => checkKwokBinDir({ MESHUP_KWOK_BIN_DIR: bin, KWOK_ETCD_BINARY: '/opt/etcd' })).message).toContain('is not executable');
    for (const b of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']) chmodSync(join(bin, b), 0o755);
    expect(() => checkKwokBinDir({ MESHUP_KWOK_BIN_DIR: bin, KWOK_ETCD_BINARY: '/opt/etcd' })).not.toThrow();
    expect(() => checkKwokBinDir({})).not.toThrow();
    expect(refusal(() => checkKwokBinDir({ MESHUP_KWOK_BIN_DIR: bin })).exitCode).toBe(2);
  });
});
