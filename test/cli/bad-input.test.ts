// The bad-input table: every user mistake meshup knows about, run in-process against main()
// in a sealed world with fake tools. Each row is argv (+ env, files, stdin) → exit code and a
// message fragment; every row also gets the same checks: a "fix:" line, no stack trace and no
// "failed unexpectedly", stdout and stderr each under 64 KiB, nothing on stdout but (under
// --json) exactly one JSON error document, and no changing call in the fake tools' log.
//
// Adding a case is one line: row(name, argv, exitCode, fragment, { files, env, input }).
// In argv, env values and file names, $WORK is the world's working directory (the cwd).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runInProcess } from '../helpers/inprocess.js';
import { mutatingCalls, sealed } from '../helpers/sealed.js';

interface Extra {
  /** Files to create, relative to $WORK; a value of null makes a directory. */
  files?: Record<string, string | Buffer | null>;
  env?: Record<string, string>;
  input?: string | Buffer;
  /** The fake tools' world (merged into their state.json), for faults and existing clusters. */
  state?: Record<string, unknown>;
}

interface Case extends Extra {
  name: string;
  argv: string[];
  exit: number;
  fragment: string | RegExp;
}

const cases: Case[] = [];
const row = (name: string, argv: string[], exit: number, fragment: string | RegExp, extra: Extra = {}) => cases.push({ name, argv, exit, fragment, ...extra });

const KiB = 1024;
const big = (n: number, c = 'x') => c.repeat(n);
const profileYaml = (cluster: string) =>
  `name: mine\ndescription: x\nistio: { profile: demo }\ncluster: ${cluster}\naddons: []\ninjection: { namespaces: [] }\ngateway: { ingress: true, egress: false, httpNodePort: 30080, httpsNodePort: 30443, hostHttpPort: 8080, hostHttpsPort: 8443 }\n`;
const deployment =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  template:\n    spec:\n      containers: [{ name: web, image: web:1 }]\n';
const cfg = (text: string | Buffer) => ({ files: { 'meshup.yaml': text } });
const UP = ['up', '--yes'];

// ---- 1. config, profile and addon files: "expected X, found Y", bounded reads, excerpts ----
row('config: a string where a list belongs', UP, 2, /meshup\.yaml:1:9: addons: expected a list .*found the string "kiali"/, cfg('addons: kiali\n'));
row('config: cpus as a word', UP, 2, 'resources.cpus: expected a number, found the string "four"', cfg('resources: { cpus: four }\n'));
row('config: cpus overflowing to infinity', UP, 2, 'resources.cpus: expected a number, found a number too large to use', cfg('resources: { cpus: 1e400 }\n'));
row('config: cpus out of range', UP, 2, 'resources.cpus: expected a number at most 1024, found the number 99999', cfg('resources: { cpus: 99999 }\n'));
row('config: cpus zero', UP, 2, 'resources.cpus: expected a number at least 1, found the number 0', cfg('resources: { cpus: 0 }\n'));
row('config: cpus not whole', UP, 2, 'resources.cpus: expected a whole number, found the number 2.5', cfg('resources: { cpus: 2.5 }\n'));
row(
  'config: memory overflowing to infinity',
  UP,
  2,
  'resources.memory: expected a number or a string, found a number too large to use',
  cfg('resources: { memory: 1e400 }\n'),
);
row('config: memory as a word', UP, 2, /resources\.memory: must be a size .*found the string "lots"/, cfg('resources: { memory: lots }\n'));
row('config: namespaces as a number', UP, 2, 'namespaces: expected a list such as [a, b], found the number 5', cfg('namespaces: 5\n'));
row('config: a list where a map belongs', UP, 2, 'gateway: expected a map of key: value lines, found a list of 2', cfg('gateway: [a, b]\n'));
row('config: the whole file a list', UP, 2, 'meshup.yaml:1:1: expected a map of config file settings', cfg('- provider: kind\n'));
row('config: the whole file a string', UP, 2, 'expected a map of config file settings (key: value lines), found the string "kind"', cfg('kind\n'));
row('config: a boolean where a string belongs', UP, 2, 'istioVersion: expected a string, found true', cfg('istioVersion: true\n'));
row('config: a map where a string belongs', UP, 2, 'driver: expected a string, found a map', cfg('driver: { a: 1 }\n'));
row('config: null where a list belongs', UP, 2, 'allowContexts: expected a list such as [a, b], found an empty value', cfg('allowContexts: ~\n'));
row(
  'config: unknown provider, with did-you-mean',
  UP,
  2,
  'provider: expected one of minikube, kind, existing, kwok, found the string "kindd" (did you mean kind?)',
  cfg('provider: kindd\n'),
);
row('config: unknown mtls mode', UP, 2, 'mtls: expected one of strict, permissive, found the string "strictt" (did you mean strict?)', cfg('mtls: strictt\n'));
row('config: misspelt key, with did-you-mean', UP, 2, 'meshup.yaml:1:1: unknown key "provdier" (did you mean "provider"?)', cfg('provdier: kind\n'));
row('config: misspelt nested key', UP, 2, 'unknown key "cpu" (did you mean "cpus"?)', cfg('resources: { cpu: 2 }\n'));
row('config: an addon name that is not a DNS label', UP, 2, /addons\.0: must be a lowercase DNS label.*found the string "Kiali"/, cfg('addons: [Kiali]\n'));
row(
  'config: port out of range',
  UP,
  2,
  'gateway.hostHttpPort: expected a number at most 65535, found the number 70000',
  cfg('gateway: { hostHttpPort: 70000 }\n'),
);
row('config: mirror that is not a URL', UP, 2, 'istioMirror: ', cfg('istioMirror: not a url\n'));
row('config: Gateway API mirror that is not a URL', UP, 2, 'gatewayApiMirror: ', cfg('gatewayApiMirror: not a url\n'));
row('config: gatewayApi that is not a boolean', UP, 2, 'gatewayApi: expected true or false, found the string "sometimes"', cfg('gatewayApi: sometimes\n'));
row(
  'flag: Gateway API mirror that is not http(s)',
  [...UP, '--gateway-api-mirror', 'ftp://m.example/gw'],
  2,
  'is not an http(s) URL (from --gateway-api-mirror)',
);
row('config: YAML syntax error', UP, 2, /meshup\.yaml:\d+:\d+: /, cfg('provider: kind\naddons: [kiali\nprofile: demo\n'));
row('config: duplicate key', UP, 2, /meshup\.yaml:2:1: .*[Uu]nique/, cfg('provider: kind\nprovider: minikube\n'));
row('config: tab indentation', UP, 2, /meshup\.yaml:\d+:\d+: /, cfg('resources:\n\tcpus: 2\n'));
row('config: a binary file', UP, 2, 'it is not a text file (a zero byte at offset 0)', cfg(Buffer.from([0, 1, 2, 3, 0xff])));
row('config: not UTF-8', UP, 2, 'it is not a text file (it is not valid UTF-8)', cfg(Buffer.from('provider: \xff\xfe\n', 'latin1')));
row('config: far too large', UP, 2, 'larger than any config file (at most 1.0 MiB)', cfg(`# ${big(2 * KiB * KiB)}\n`));
row('config: a directory', ['up', '--yes', '--config', 'conf'], 2, 'it is a directory', { files: { conf: null } });
row('config: --config names a missing file', ['up', '--yes', '--config', 'nope.yaml'], 2, 'Cannot read config file $WORK/nope.yaml: no such file');
row('config: MESHUP_CONFIG names a missing file', UP, 2, 'no such file', { env: { MESHUP_CONFIG: '$WORK/gone.yaml' } });
row('config: --config /dev/zero never ends', ['up', '--yes', '--config', '/dev/zero'], 2, /not a text file|larger than any config file/);
row(
  'config: the fix names meshup schema config and the docs page',
  UP,
  2,
  'fix: `meshup schema config` prints the format; docs/configuration.md explains it',
  cfg('addons: kiali\n'),
);
row('config: a huge value is quoted as an excerpt', UP, 2, /addons: expected a list .*found the string "x{20,}…x+"/, cfg(`addons: ${big(100 * KiB)}\n`));
row('config: a huge key is quoted as an excerpt', UP, 2, /unknown key "y+…y+"/, cfg(`? ${big(100 * KiB, 'y')}\n: 1\n`));
row('config: a huge file name is shortened', ['up', '--yes', '--config', `${big(3000, 'z')}.yaml`], 2, /Cannot read config file …z+\.yaml: /);
row('config: many problems are cut to a bounded list', UP, 2, /and \d+ more/, cfg(Array.from({ length: 60 }, (_, i) => `k${i}: 1`).join('\n')));
row('profile: an empty file', ['up', '--yes', '--profile', './empty.yaml'], 2, 'expected a map of profile settings, found an empty file', {
  files: { 'empty.yaml': '' },
});
row('profile: comments only', ['up', '--yes', '--profile', './c.yaml'], 2, 'found an empty file', { files: { 'c.yaml': '# nothing here\n' } });
row(
  'profile: a number where a map belongs',
  ['up', '--yes', '--profile', './mine.yaml'],
  2,
  'cluster: expected a map of key: value lines, found the number 4',
  { files: { 'mine.yaml': profileYaml('4') } },
);
row('profile: memory as a word', ['up', '--yes', '--profile', './mine.yaml'], 2, /mine\.yaml:4:\d+: cluster\.memory: must be a size/, {
  files: { 'mine.yaml': profileYaml('{ cpus: 2, memory: lots, disk: 10g }') },
});
row('profile: required key missing', ['up', '--yes', '--profile', './mine.yaml'], 2, 'cluster.disk: is required', {
  files: { 'mine.yaml': profileYaml('{ cpus: 2, memory: 4g }') },
});
row('profile: the fix names meshup schema profile', ['up', '--yes', '--profile', './empty.yaml'], 2, 'fix: `meshup schema profile` prints the format', {
  files: { 'empty.yaml': '' },
});
row(
  'profiles show: a 100 MB binary gives a short error',
  ['profiles', 'show', process.execPath],
  2,
  /Cannot read profile .*node: it is [\d.]+ MiB, larger than any profile/,
);
row('profiles show: /dev/zero', ['profiles', 'show', '/dev/zero'], 2, /not a text file|larger than any profile/);
row('profiles show: a directory', ['profiles', 'show', '$WORK/sub/'], 2, 'it is a directory', { files: { sub: null } });
row('profiles show: a missing file', ['profiles', 'show', './missing.yaml'], 2, 'no such file');
row('profiles show: a binary profile file', ['profiles', 'show', './bin.yaml'], 2, 'not a text file', {
  files: { 'bin.yaml': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]) },
});

// ---- 2. schema and profiles: usage errors with did-you-mean ----
for (const kind of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])
  row(`schema ${kind}`, ['schema', kind], 2, `Unknown schema "${kind}"`);
row('schema: misspelt kind', ['schema', 'confg'], 2, 'fix: Did you mean: meshup schema config');
row('schema: unknown kind lists the valid ones', ['schema', 'kubernetes'], 2, 'valid schemas: profile, addon, config');
row('schema: a huge kind is quoted as an excerpt', ['schema', big(50 * KiB)], 2, /Unknown schema "x+…x+"/);
row('profiles show: misspelt name suggests the command', ['profiles', 'show', 'demoo'], 2, 'fix: Did you mean meshup profiles show demo?');
row('profiles show: unknown name lists the valid ones', ['profiles', 'show', 'nosuch'], 2, 'valid profiles: ambient, default, demo, minimal');
row('profiles show: a huge name is quoted as an excerpt', ['profiles', 'show', big(50 * KiB)], 2, /Unknown profile "x+…x+"/);
row('up --profile: misspelt name suggests the flag', ['up', '--yes', '--profile', 'demoo'], 2, 'fix: Did you mean --profile demo?');

// ---- 3. inject: manifests, -o, stdin ----
const INJ = ['inject', '--provider', 'kind'];
row('inject: no -f', INJ, 2, 'Name the manifest with -f FILE');
row('inject: missing file', [...INJ, '-f', 'nope.yaml'], 2, 'Cannot read manifest $WORK/nope.yaml: no such file');
row('inject: a binary file', [...INJ, '-f', 'app.bin'], 2, 'it is not a text file', { files: { 'app.bin': Buffer.from([1, 2, 0, 4]) } });
row('inject: /dev/zero', [...INJ, '-f', '/dev/zero'], 2, /not a text file|larger than/);
row('inject: a directory', [...INJ, '-f', 'sub'], 2, 'it is a directory', { files: { sub: null } });
row('inject: binary on stdin', [...INJ, '-f', '-'], 2, 'Cannot read manifest <stdin>: it is not a text file', { input: Buffer.from([0, 0, 0]) });
row('inject: YAML syntax error', [...INJ, '-f', 'bad.yaml'], 2, /bad\.yaml:\d+:\d+: /, {
  files: { 'bad.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x\n' },
});
row('inject: kind missing, at its own line after empty documents', [...INJ, '-f', 'k.yaml'], 2, 'k.yaml:13:1: kind: is required', {
  files: { 'k.yaml': `---\n# a comment-only document\n---\n---\n${deployment}---\napiVersion: v1\nmetadata: { name: x }\n---\n` },
});
row('inject: kind missing in the first document', [...INJ, '-f', 'kindless.yaml'], 2, 'kindless.yaml:1:1: kind: is required', {
  files: { 'kindless.yaml': 'apiVersion: v1\nmetadata: { name: x }\n' },
});
row(
  'inject: a list instead of an object',
  [...INJ, '-f', 'l.yaml'],
  2,
  'l.yaml:1:1: expected a Kubernetes object (a map with apiVersion and kind), found a list of 2',
  { files: { 'l.yaml': '- a\n- b\n' } },
);
row('inject: apiVersion a number', [...INJ, '-f', 'n.yaml'], 2, 'apiVersion: expected a non-empty string, found the number 1', {
  files: { 'n.yaml': 'apiVersion: 1\nkind: Pod\n' },
});
row('inject: only empty documents', [...INJ, '-f', 'e.yaml'], 2, 'holds no Kubernetes objects', { files: { 'e.yaml': '---\n# nothing\n---\n---\n' } });
row('inject: an empty file', [...INJ, '-f', 'e.yaml'], 2, 'holds no Kubernetes objects', { files: { 'e.yaml': '' } });
row('inject: the fix names no schema file', [...INJ, '-f', 'kindless.yaml'], 2, /fix: Fix the manifest, then run the command again/, {
  files: { 'kindless.yaml': 'apiVersion: v1\nmetadata: { name: x }\n' },
});
// YAML that is not Kubernetes objects at all, as samples/ of Istio holds (istioctl kube-inject
// passes it through untouched, kubectl apply refuses it): named as such, with what to do instead.
const notManifest = /is not a Kubernetes manifest[\s\S]*fix: Pass Kubernetes objects .*helm template.*kubectl kustomize/;
row('inject: a Helm values file', [...INJ, '-f', 'values.yaml'], 2, notManifest, {
  files: { 'values.yaml': '# Default values\nglobal:\n  hub: docker.io/istio\nreplicaCount: 1\nservice: { type: ClusterIP }\n' },
});
row(
  'inject: a Helm values file, the document named with its keys',
  [...INJ, '-f', 'values.yaml'],
  2,
  'values.yaml:2:1: not a Kubernetes object: no kind and no metadata (its keys: global, replicaCount)',
  {
    files: { 'values.yaml': '# Default values\nglobal:\n  hub: docker.io/istio\nreplicaCount: 1\n' },
  },
);
row(
  'inject: a Helm Chart.yaml (apiVersion, no kind)',
  [...INJ, '-f', 'Chart.yaml'],
  2,
  'Chart.yaml:1:1: not a Kubernetes object: no kind and no metadata (its keys: apiVersion, name, version, description)',
  {
    files: { 'Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\ndescription: a chart\n' },
  },
);
row(
  'inject: a kustomization (apiVersion and kind)',
  [...INJ, '-f', 'kustomization.yaml'],
  2,
  /kustomization\.yaml:1:1: a kustomization \(Kustomization\) is kubectl kustomize's input[\s\S]*fix: .*kubectl kustomize/,
  {
    files: { 'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n' },
  },
);
row('inject: an OpenAPI document', [...INJ, '-f', 'swagger.yaml'], 2, 'swagger.yaml is not a Kubernetes manifest', {
  files: { 'swagger.yaml': 'swagger: "2.0"\ninfo: { title: API, version: 1.0.0 }\npaths: {}\n' },
});
row(
  'inject: objects mixed with other YAML is an invalid manifest',
  [...INJ, '-f', 'mixed.yaml'],
  2,
  /Invalid manifest .*mixed\.yaml[\s\S]*mixed\.yaml:\d+:1: not a Kubernetes object/,
  {
    files: { 'mixed.yaml': `${deployment}---\nreplicaCount: 2\n` },
  },
);
row('inject: -o under /proc', [...INJ, '-f', 'app.yaml', '-o', '/proc/x.yaml'], 2, 'Cannot write -o /proc/x.yaml', { files: { 'app.yaml': deployment } });
row('inject: -o a directory', [...INJ, '-f', 'app.yaml', '-o', 'out'], 2, 'Cannot write -o $WORK/out: it is a directory', {
  files: { 'app.yaml': deployment, out: null },
});
row('inject: -o in a missing directory', [...INJ, '-f', 'app.yaml', '-o', 'no/such/dir/x.yaml'], 2, 'its directory does not exist', {
  files: { 'app.yaml': deployment },
});
row('inject: -o /dev/null-like device', [...INJ, '-f', 'app.yaml', '-o', '/dev/null'], 2, 'it is not a regular file', { files: { 'app.yaml': deployment } });

// ---- 4. the command line: did-you-mean, --provider values, --json errors ----
row('misspelt command', ['stauts'], 2, 'fix: Did you mean status?');
row('misspelt subcommand of profiles', ['profiles', 'shwo', 'demo'], 2, "unknown command 'shwo'");
row('misspelt subcommand suggests the right one', ['profiles', 'shwo', 'demo'], 2, 'fix: Did you mean show?');
row('misspelt subcommand of addons', ['addons', 'lsit'], 2, 'fix: Did you mean list?');
row('misspelt subcommand of injection', ['injection', 'enabel', 'shop'], 2, 'fix: Did you mean enable?');
row('unknown subcommand without a near one', ['addons', 'frobnicate'], 2, "unknown command 'frobnicate'");
row('misspelt flag', ['up', '--profle', 'demo'], 2, 'fix: Did you mean --profile?');
row('misspelt global flag', ['profiles', '--jsno'], 2, 'fix: Did you mean --json?');
row('misspelt --provider value', ['up', '--provider', 'kindd', '--yes'], 2, 'fix: Did you mean kind?');
row('docker system info answering text, not JSON', ['up', '--provider', 'kind', '--yes'], 3, 'did not answer with JSON', {
  state: { docker: { infoText: 'podman-compat: unknown format' } },
});
row('ingress with no cluster says so and points at up', ['ingress', '--provider', 'kind'], 1, 'No kind cluster "meshup" exists');
row('unknown --provider value lists the valid ones', ['status', '--provider', 'docker'], 2, 'Valid providers: minikube, kind, existing, kwok');
row('--provider value on doctor', ['doctor', '--provider', 'minikub'], 2, 'fix: Did you mean minikube?');
row('a huge --provider value is quoted as an excerpt', ['up', '--provider', big(50 * KiB)], 2, /argument 'x+…x+' is invalid/);
row('missing argument', ['profiles', 'show'], 2, "missing required argument 'name'");
row('missing argument of dashboard', ['dashboard'], 2, "missing required argument 'addon'");
row('flag without its value', ['up', '--profile'], 2, "option '-p, --profile <name|file>' argument missing");
row('usage errors point at the command help', ['addons', 'lsit'], 2, 'fix: meshup addons --help shows the usage');
row('--json: misspelt command', ['--json', 'stauts'], 2, 'Did you mean status?');
row('--json: misspelt subcommand', ['profiles', 'shwo', '--json'], 2, 'Did you mean show?');
row('--json: unknown profile', ['profiles', 'show', 'demoo', '--json'], 2, 'Unknown profile "demoo"');
row('--json: schema toString', ['schema', 'toString', '--json'], 2, 'Unknown schema');
row('--json: bad --provider', ['up', '--provider', 'kindd', '--json'], 2, 'Did you mean kind?');
row('--json: config error', ['up', '--yes', '--json'], 2, 'addons: expected a list', cfg('addons: kiali\n'));
row('--json: binary profile file', ['profiles', 'show', process.execPath, '--json'], 2, 'larger than any profile');
row('--json: inject without -f', [...INJ, '--json'], 2, 'Name the manifest');
row('--json: inject -o a directory', [...INJ, '-f', 'app.yaml', '-o', 'out', '--json'], 2, 'it is a directory', {
  files: { 'app.yaml': deployment, out: null },
});

// ---- more of the same classes ----
row('config: a profile path that does not exist', UP, 2, /Cannot read profile .*nope\.yaml: no such file/, cfg('profile: ./nope.yaml\n'));
row('config: cluster name not a DNS label', UP, 2, /clusterName: must be a lowercase DNS label.*found the string "Foo_Bar"/, cfg('clusterName: Foo_Bar\n'));
row(
  'config: nodePort below the range',
  UP,
  2,
  'gateway.httpNodePort: expected a number at least 30000, found the number 80',
  cfg('gateway: { httpNodePort: 80 }\n'),
);
row('config: a number where a string belongs', UP, 2, 'kubernetesVersion: expected a string, found the number 1.33', cfg('kubernetesVersion: 1.33\n'));
row(
  'profiles show: a list instead of a profile',
  ['profiles', 'show', './l.yml'],
  2,
  'expected a map of profile settings (key: value lines), found a list of 1',
  { files: { 'l.yml': '- name: x\n' } },
);
row(
  'inject: a bare string document',
  [...INJ, '-f', 's.yaml'],
  2,
  's.yaml:1:1: expected a Kubernetes object (a map with apiVersion and kind), found the string "hello"',
  { files: { 's.yaml': 'hello\n' } },
);
row('inject: kind empty', [...INJ, '-f', 'k.yaml'], 2, 'kind: expected a non-empty string, found an empty string', {
  files: { 'k.yaml': 'apiVersion: v1\nkind: ""\n' },
});
row('extra argument to a command without any', ['up', 'now', '--yes'], 2, "too many arguments for 'up'");
row('extra argument to profiles show', ['profiles', 'show', 'demo', 'extra'], 2, "too many arguments for 'show'");
row('flag value missing at the end', ['dashboard', 'kiali', '--port'], 2, "option '--port <n>' argument missing");

// ---- environment: the same mistakes through MESHUP_* variables ----
row('env: misspelt MESHUP_PROVIDER', UP, 2, 'Unknown provider "kindd" (from MESHUP_PROVIDER)', { env: { MESHUP_PROVIDER: 'kindd' } });
row('env: misspelt MESHUP_PROFILE', UP, 2, 'fix: Did you mean --profile demo?', { env: { MESHUP_PROFILE: 'demoo' } });
row('env: MESHUP_CPUS as a word', UP, 2, '"four" is not a whole number from 1 to 1024 (from MESHUP_CPUS)', { env: { MESHUP_CPUS: 'four' } });
row('env: MESHUP_MEMORY as a word', UP, 2, '"lots" is not a size (from MESHUP_MEMORY)', { env: { MESHUP_MEMORY: 'lots' } });
row('env: MESHUP_TIMEOUT not a duration', UP, 2, '"banana" is not a duration', { env: { MESHUP_TIMEOUT: 'banana' } });
row('env: MESHUP_ADDONS misspelt', UP, 2, 'fix: Did you mean kiali?', { env: { MESHUP_ADDONS: 'kaili' } });
row('env: MESHUP_PROFILE a binary file', UP, 2, 'larger than any profile', { env: { MESHUP_PROFILE: process.execPath } });
row('flags: --cpus as a word', ['up', '--yes', '--cpus', 'four'], 2, 'fix: Give a whole number, e.g. 4');

const sub = (s: string, work: string) => s.split('$WORK').join(work);

describe('bad input: argv, env and files → exit code, message, fix; bounded, no trace, nothing changed', () => {
  it('has a row for every documented mistake', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name', async (c) => {
    const w = sealed();
    // Each world goes as its row ends: removing 130 at once in an afterAll hook took more than
    // its 10 s on a machine busy with disk I/O.
    onTestFinished(() => w.cleanup());
    const work = join(w.dir, 'work');
    for (const [f, content] of Object.entries(c.files ?? {})) {
      const path = join(work, f);
      mkdirSync(dirname(path), { recursive: true });
      if (content === null) mkdirSync(path, { recursive: true });
      else writeFileSync(path, content);
    }
    if (c.state) w.state(c.state);
    const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, sub(v, work)]));
    const r = await runInProcess(
      w,
      c.argv.map((a) => sub(a, work)),
      { env, input: c.input },
    );
    const fragment = typeof c.fragment === 'string' ? sub(c.fragment, work) : c.fragment;

    expect(r.exitCode, r.stderr).toBe(c.exit);
    if (typeof fragment === 'string') expect(r.stderr).toContain(fragment);
    else expect(r.stderr).toMatch(fragment);
    expect(r.stderr).toMatch(/^fix: \S/m);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(r.stderr).not.toContain('failed unexpectedly');
    expect(Buffer.byteLength(r.stdout)).toBeLessThan(64 * KiB);
    expect(Buffer.byteLength(r.stderr)).toBeLessThan(64 * KiB);
    // No line quotes more than an excerpt of what the user gave.
    for (const line of r.stderr.split('\n')) expect(line.length).toBeLessThanOrEqual(400);
    if (c.argv.includes('--json')) {
      const doc = JSON.parse(r.stdout) as { error: { message: string; details: string[]; fix: string[]; exitCode: number } };
      expect(Object.keys(doc)).toEqual(['error']);
      expect(doc.error.exitCode).toBe(c.exit);
      expect(typeof doc.error.message).toBe('string');
      expect(Array.isArray(doc.error.details)).toBe(true);
      expect(doc.error.fix.length).toBeGreaterThan(0);
    } else {
      expect(r.stdout).toBe('');
    }
    expect(mutatingCalls(w.calls())).toEqual([]);
  });
});
