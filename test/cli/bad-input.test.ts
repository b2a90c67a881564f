// The bad-input table: every user mistake meshup knows about, run in-process against main()
// in a sealed world with fake tools. Each row is argv (+ env, files, stdin) → exit code and a
// message fragment; every row also gets the same checks: a "fix:" line, no stack trace and no
// "failed unexpectedly", stdout and stderr each under 64 KiB, nothing on stdout but (under
// --json) exactly one JSON error document, and no changing call in the fake tools' log.
//
// Adding a case is one line: row(name, argv, exitCode, fragment, { files, env, input }).
// In argv, env values and file names, $WORK is the world's working directory (the cwd).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname as lockHost } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { contextLockFile } from '../../src/state/lock.js';
import { runInProcess } from '../helpers/inprocess.js';
import { mutatingCalls, sealed } from '../helpers/sealed.js';

interface Extra {
  /** Files to create, relative to $WORK; a value of null makes a directory. */
  files?: Record<string, string | Buffer | null>;
  env?: Record<string, string>;
  input?: string | Buffer;
  /** The fake tools' world (merged into their state.json), for faults and existing clusters. */
  state?: Record<string, unknown>;
  /** Named pipes (FIFOs) to make, relative to $WORK: opening one for reading waits for a writer. */
  fifos?: string[];
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
row('config: --config /dev/zero never ends', ['up', '--yes', '--config', '/dev/zero'], 2, 'it is a character device, not a regular file');
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
row('profiles show: /dev/zero', ['profiles', 'show', '/dev/zero'], 2, 'Cannot read profile /dev/zero: it is a character device, not a regular file');
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
row('inject: /dev/zero', [...INJ, '-f', '/dev/zero'], 2, 'Cannot read manifest /dev/zero: it is a character device, not a regular file');
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
row(
  'inject: -o /dev/null-like device',
  [...INJ, '-f', 'app.yaml', '-o', '/dev/null'],
  2,
  'Cannot write -o /dev/null: it is a character device, not a regular file',
  {
    files: { 'app.yaml': deployment },
  },
);

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

// ---- 5. locality and newcomers (issue 24: locality and newcomers) ----
// A kubeconfig file in $WORK names each context and its server; the address decides, whatever the name.
const kc = (name: string, server: string, extra = '') => ({
  env: { KUBECONFIG: '$WORK/kubeconfig' },
  files: {
    kubeconfig: `apiVersion: v1\nkind: Config\ncurrent-context: ${name}\ncontexts:\n- name: ${name}\n  context: { cluster: ${name} }\nclusters:\n- name: ${name}\n  cluster: { server: "${server}"${extra} }\n`,
  },
});
const refused = (name: string, server: string) => `Refusing to use context "${name}": its server ${server} is not on this machine`;
const EXISTING = (name: string) => ['--provider', 'existing', '--context', name];
row(
  'locality: kind-* with a remote server',
  ['status', ...EXISTING('kind-prod')],
  4,
  refused('kind-prod', 'https://203.0.113.10:6443'),
  kc('kind-prod', 'https://203.0.113.10:6443'),
);
row(
  'locality: minikube with a remote server',
  [...UP, ...EXISTING('minikube')],
  4,
  refused('minikube', 'https://198.51.100.20:8443'),
  kc('minikube', 'https://198.51.100.20:8443'),
);
row(
  'locality: docker-desktop with a name that is not a known local one',
  ['plan', ...EXISTING('docker-desktop')],
  4,
  refused('docker-desktop', 'https://k8s.example.com:6443'),
  kc('docker-desktop', 'https://k8s.example.com:6443'),
);
row(
  'locality: k3d-* with a remote IPv6 server',
  ['status', ...EXISTING('k3d-dev')],
  4,
  refused('k3d-dev', 'https://[2001:db8::10]:6443'),
  kc('k3d-dev', 'https://[2001:db8::10]:6443'),
);
row(
  'locality: kwok-* with a remote server',
  [...UP, ...EXISTING('kwok-ci')],
  4,
  refused('kwok-ci', 'https://203.0.113.11:32766'),
  kc('kwok-ci', 'https://203.0.113.11:32766'),
);
row(
  'locality: loopback as userinfo, a remote host',
  ['status', ...EXISTING('kind-x')],
  4,
  refused('kind-x', 'https://127.0.0.1@203.0.113.10:6443'),
  kc('kind-x', 'https://127.0.0.1@203.0.113.10:6443'),
);
row(
  'locality: loopback written as one number',
  ['status', ...EXISTING('kind-x')],
  4,
  refused('kind-x', 'https://2130706433:6443'),
  kc('kind-x', 'https://2130706433:6443'),
);
row(
  'locality: a name whose DNS says loopback',
  ['status', ...EXISTING('kind-x')],
  4,
  refused('kind-x', 'https://127.0.0.1.nip.io:6443'),
  kc('kind-x', 'https://127.0.0.1.nip.io:6443'),
);
row(
  'locality: loopback through a remote proxy',
  ['status', ...EXISTING('kind-x')],
  4,
  'its requests go through the proxy socks5://bastion.example.com:1080, which is not on this machine',
  kc('kind-x', 'https://127.0.0.1:6443', ', proxy-url: "socks5://bastion.example.com:1080"'),
);
row(
  'locality: the current context, not named',
  ['status', '--provider', 'existing'],
  4,
  refused('kind-prod', 'https://203.0.113.10:6443'),
  kc('kind-prod', 'https://203.0.113.10:6443'),
);
row(
  'locality: kind-meshup, the context meshup creates, pointing away',
  [...UP, '--provider', 'kind'],
  4,
  refused('kind-meshup', 'https://203.0.113.10:6443'),
  kc('kind-meshup', 'https://203.0.113.10:6443'),
);
row(
  'locality: --json refusal',
  ['status', '--json', ...EXISTING('kind-prod')],
  4,
  refused('kind-prod', 'https://203.0.113.10:6443'),
  kc('kind-prod', 'https://203.0.113.10:6443'),
);
row('newcomer: no tools at all', UP, 3, 'No cluster tool is installed: neither minikube nor kind is on PATH, and Docker is not installed either', {
  env: { PATH: '$WORK/empty' },
});
row('newcomer: no tools at all, status', ['status'], 3, /neither minikube nor kind is on PATH[\s\S]*fix: or, without Docker: meshup up --provider kwok/, {
  env: { PATH: '$WORK/empty' },
});
row('newcomer: no tools at all, dashboard', ['dashboard', 'kiali'], 3, 'No cluster tool is installed', { env: { PATH: '$WORK/empty' } });
row('newcomer: no Docker', UP, 3, /docker: Docker is not running[\s\S]*fix: or, without Docker: meshup up --provider kwok/, {
  state: { docker: { running: false } },
});
row('newcomer: no Docker, ingress', ['ingress'], 1, 'No minikube cluster "meshup" exists and Docker is not running, so there is no gateway to reach', {
  state: { docker: { running: false } },
});
row(
  'newcomer: no cluster, dashboard',
  ['dashboard', 'kiali', '--provider', 'kind'],
  1,
  'No kind cluster "meshup" exists, so there is no kiali dashboard to open',
);
row(
  'newcomer: Docker stopped under a minikube profile, dashboard',
  ['dashboard', 'kiali'],
  1,
  'The minikube cluster "meshup" cannot run: Docker is not running',
  {
    state: { docker: { running: false }, minikube: { profiles: { meshup: { status: 'Running', cpus: 4, memory: 8192 } } } },
  },
);

// ---- 6. one writer per cluster, and where meshup writes (issue 24: locks and faults) ----
// A live holder: pid 1 always runs. Its lock sits where meshup keeps the lock of kind-meshup, in
// a state dir under $WORK.
const LOCK_STATE = { XDG_STATE_HOME: '$WORK/state' };
const heldLock = (holder: Record<string, unknown> = {}) => ({
  env: LOCK_STATE,
  files: {
    [relative('$WORK', contextLockFile(LOCK_STATE, 'kind-meshup'))]: JSON.stringify({
      pid: 1,
      command: 'meshup up --provider kind',
      startedAt: new Date().toISOString(),
      hostname: lockHost(),
      token: 'held',
      ...holder,
    }),
  },
});
const BUSY = /Another meshup command is changing context kind-meshup: `meshup up --provider kind` \(pid 1, since \d\d:\d\d:\d\d\)/;
const K = ['--provider', 'kind', '--no-wait'];
row('lock: up --no-wait while another meshup changes the cluster', ['up', '--yes', ...K], 5, BUSY, heldLock());
row('lock: up --no-wait --json: one error document', ['up', '--yes', '--json', ...K], 5, BUSY, heldLock());
row('lock: down --no-wait', ['down', '--yes', ...K], 5, BUSY, heldLock());
row('lock: down --keep-cluster --no-wait', ['down', '--keep-cluster', '--yes', ...K], 5, BUSY, heldLock());
row('lock: addons enable --no-wait', ['addons', 'enable', 'kiali', ...K], 5, BUSY, heldLock());
row('lock: addons disable --no-wait', ['addons', 'disable', 'kiali', ...K], 5, BUSY, heldLock());
row('lock: injection enable --no-wait', ['injection', 'enable', 'shop', ...K], 5, BUSY, heldLock());
row('lock: expose --no-wait', ['expose', 'web', ...K], 5, BUSY, heldLock());
row('lock: expose --delete --no-wait', ['expose', '--delete', 'web', ...K], 5, BUSY, heldLock());
row('lock: waypoint apply --no-wait', ['waypoint', 'apply', ...K], 5, BUSY, heldLock());
row(
  'lock: held from another host, which cannot be asked',
  ['up', '--yes', ...K],
  5,
  '(pid 1 on host elsewhere.invalid, since',
  heldLock({ hostname: 'elsewhere.invalid' }),
);
row('state dir: a file where it belongs (up)', ['up', '--yes', '--provider', 'kind'], 3, 'meshup cannot write to $WORK/state-file/meshup (ENOTDIR)', {
  env: { XDG_STATE_HOME: '$WORK/state-file' },
  files: { 'state-file': '' },
});
row(
  'state dir: read-only (up)',
  ['up', '--yes', '--provider', 'kind'],
  3,
  /meshup cannot write to \/sys\/meshup-test\/meshup \((EPERM|EACCES|EROFS|ENOENT)\)/,
  {
    env: { XDG_STATE_HOME: '/sys/meshup-test' },
  },
);
row('state dir: read-only (addons enable)', ['addons', 'enable', 'kiali', '--provider', 'kind'], 3, 'meshup cannot write to $WORK/state-file/meshup', {
  env: { XDG_STATE_HOME: '$WORK/state-file' },
  files: { 'state-file': '' },
});
row(
  'state dir: read-only (plan --json, no lock: the preflight)',
  ['plan', '--json', '--provider', 'kind'],
  3,
  /state directory: .*state-file\/meshup cannot be written \(ENOTDIR\)/,
  {
    env: { XDG_STATE_HOME: '$WORK/state-file' },
    files: { 'state-file': '' },
  },
);
row(
  'cache dir: read-only, the Istio release to download',
  ['up', '--yes', '--provider', 'kind'],
  3,
  /cache directory: .*cache-file\/meshup cannot be written \(ENOTDIR\): the Istio [\d.]+ release is downloaded there/,
  {
    env: { XDG_CACHE_HOME: '$WORK/cache-file' },
    files: { 'cache-file': '' },
  },
);
row('cache dir: read-only (up --dry-run shows it too)', ['up', '--yes', '--dry-run', '--provider', 'kind'], 3, /cache directory: .*cannot be written/, {
  env: { XDG_CACHE_HOME: '$WORK/cache-file' },
  files: { 'cache-file': '' },
});

// ---- 7. every input checked before the first change, and hostile files (issue 24: inputs and hostile YAML) ----
// expose: a host or path the API server (or Istio's validation) would refuse is refused before
// anything is read or applied, through either API: the shared gateway is never made for a route
// that cannot follow it.
const EXPOSE = (...a: string[]) => ['expose', 'web', '--provider', 'kind', ...a];
const notHost = (v: string, why: string) => `${JSON.stringify(v)} is not a host name a route can match: ${why} (from --host)`;
const notPath = (v: string, why: string) => `${JSON.stringify(v)} is not a path prefix a route can match: ${why} (from --path)`;
for (const api of ['gateway', 'istio']) {
  const via = ['--api', api];
  row(`expose --api ${api}: --host with a space`, EXPOSE('--host', 'a b', ...via), 2, notHost('a b', 'it contains a space'));
  row(
    `expose --api ${api}: --host in uppercase`,
    EXPOSE('--host', 'Web.Local', ...via),
    2,
    /uppercase letters[\s\S]*fix: Write it in lowercase: --host web\.local/,
  );
  row(
    `expose --api ${api}: --host an IPv4 address`,
    EXPOSE('--host', '192.0.2.10', ...via),
    2,
    notHost('192.0.2.10', 'it is an IP address; a route matches host names'),
  );
  row(`expose --api ${api}: --host with a wildcard inside`, EXPOSE('--host', 'web.*.local', ...via), 2, 'a wildcard may only be the whole first label');
  row(`expose --api ${api}: --host with a control character`, EXPOSE('--host', 'web\u0007.local', ...via), 2, 'it contains a control character (from --host)');
  row(`expose --api ${api}: --host empty`, EXPOSE('--host', '', ...via), 2, notHost('', 'it is empty'));
  row(
    `expose --api ${api}: --path with a space`,
    EXPOSE('--path', '/a b', ...via),
    2,
    /"\/a b" is not a path prefix a route can match: it contains a space[\s\S]*fix: Percent-encode it/,
  );
  row(
    `expose --api ${api}: --path without "/"`,
    EXPOSE('--path', 'api', ...via),
    2,
    /it does not start with "\/" \(from --path\)\nfix: Start it with "\/": --path "\/api"/,
  );
}
row('expose: --host with a label of 64 characters', EXPOSE('--host', `${big(64, 'a')}.local`), 2, 'is 64 characters long; a label has at most 63');
row(
  'expose: --host longer than 253 characters',
  EXPOSE('--host', `${`${big(60, 'a')}.`.repeat(4)}${big(20, 'b')}`),
  2,
  'characters long; a host name has at most 253',
);
row('expose: --host with the wildcard glued to a label', EXPOSE('--host', '*web.local', '--api', 'istio'), 2, 'a wildcard may only be the whole first label');
row('expose: --host with two wildcards', EXPOSE('--host', '*.*.example.com'), 2, 'a wildcard may only be the whole first label');
row('expose: --host an IPv6 address', EXPOSE('--host', '::1'), 2, notHost('::1', 'it is an IP address; a route matches host names'));
row('expose: --host with a port', EXPOSE('--host', 'web.local:8080'), 2, /it has a port[\s\S]*fix: Give the host without the port: --host "web\.local"/);
row('expose: --host a URL', EXPOSE('--host', 'http://web.local/api'), 2, /it is a URL[\s\S]*fix: Give only its host, e\.g\. --host "web\.local"/);
row('expose: --host with an underscore', EXPOSE('--host', 'web_app.local'), 2, 'its label "web_app" is not a DNS label');
row('expose: --host starting with a dash', EXPOSE('--host', '-web.local'), 2, 'its label "-web" is not a DNS label');
row('expose: --host ending in a dot', EXPOSE('--host', 'web.local.'), 2, 'it has an empty label');
row('expose: --host with a tab', EXPOSE('--host', 'web\tlocal'), 2, 'it contains a control character');
row(
  'expose: --host not in ASCII',
  EXPOSE('--host', 'café.local'),
  2,
  /is not a DNS label[\s\S]*fix: Write an international name in its ASCII form \(xn--\.\.\.\)/,
);
row('expose: --host whose last label is all digits', EXPOSE('--host', 'web.123', '--api', 'istio'), 2, 'its last label is all digits, which Istio refuses');
row('expose: --path empty', EXPOSE('--path', ''), 2, notPath('', 'it is empty'));
row('expose: --path with "//"', EXPOSE('--path', '/a//b'), 2, 'it has an empty, "." or ".." segment');
row('expose: --path with a ".." segment', EXPOSE('--path', '/a/../b', '--api', 'istio'), 2, 'it has an empty, "." or ".." segment');
row('expose: --path ending in "/."', EXPOSE('--path', '/a/.'), 2, 'it has an empty, "." or ".." segment');
row('expose: --path with a query string', EXPOSE('--path', '/api?v=1'), 2, 'it contains "?": a path prefix matches the path, not the query string');
row('expose: --path with a fragment', EXPOSE('--path', '/api#top'), 2, 'it contains "#": the fragment never reaches the server');
row('expose: --path with an encoded "/"', EXPOSE('--path', '/a%2Fb'), 2, 'it contains an encoded "/" (%2F)');
row('expose: --path with a broken escape', EXPOSE('--path', '/a%zz'), 2, 'it has a "%" that is not followed by two hex digits');
row('expose: --path with a control character', EXPOSE('--path', '/a\u001bb', '--api', 'istio'), 2, 'it contains a control character (from --path)');
row('expose: --path not in ASCII', EXPOSE('--path', '/café'), 2, 'it contains "é", which a URL path holds only percent-encoded');
row('expose: --path with a quote', EXPOSE('--path', '/a"b'), 2, 'which a URL path holds only percent-encoded');
row('expose: --path longer than 1024 characters', EXPOSE('--path', `/${big(1100)}`), 2, 'a path prefix has at most 1024');
row('expose: --path a URL', EXPOSE('--path', 'http://web.local/api'), 2, /it is a URL[\s\S]*fix: Give only its path/);
row('expose: a Service name in uppercase', ['expose', 'Web', '--provider', 'kind'], 2, '"Web" is not a Service name (from the <service> argument)');
row('expose --delete: a Service name with a space', ['expose', '--delete', 'web app', '--provider', 'kind'], 2, '"web app" is not a Service name');
row('expose: -n not a namespace name', EXPOSE('-n', 'Shop_1'), 2, '"Shop_1" is not a namespace name (from -n)');
row('expose: --port a word', EXPOSE('--port', 'http'), 2, /"http" is not a port number \(from --port\)\nfix: Give the Service port as a number/);
row('expose: --port out of range', EXPOSE('--port', '70000'), 2, '"70000" is not a port number (from --port)');
row('expose --json: --host with a space', EXPOSE('--host', 'a b', '--json'), 2, notHost('a b', 'it contains a space'));

// Files that are not files: only a regular file is read, by its stat before it is opened
// (opening a FIFO waits for a writer, past Ctrl-C and SIGTERM).
const FIFO = 'it is a named pipe (FIFO), not a regular file';
row('config: meshup.yaml a FIFO', UP, 2, `Cannot read config file $WORK/meshup.yaml: ${FIFO}`, { fifos: ['meshup.yaml'] });
row('config: --config a FIFO', ['up', '--yes', '--config', 'pipe.yaml'], 2, FIFO, { fifos: ['pipe.yaml'] });
row('config: MESHUP_CONFIG a FIFO', UP, 2, FIFO, { fifos: ['pipe.yaml'], env: { MESHUP_CONFIG: '$WORK/pipe.yaml' } });
row(
  'config: --config /dev/null, a character device',
  ['up', '--yes', '--config', '/dev/null'],
  2,
  'Cannot read config file /dev/null: it is a character device',
);
row('config: meshup.yaml a directory', UP, 2, 'Cannot read config file $WORK/meshup.yaml: it is a directory', { files: { 'meshup.yaml': null } });
row('profile: --profile a FIFO', ['up', '--yes', '--profile', './mine.yaml'], 2, `Cannot read profile $WORK/mine.yaml: ${FIFO}`, { fifos: ['mine.yaml'] });
row('profile: --profile /dev/zero', ['up', '--yes', '--profile', '/dev/zero'], 2, 'Cannot read profile /dev/zero: it is a character device');
row('profile: --profile a directory', ['up', '--yes', '--profile', './p.yaml'], 2, 'Cannot read profile $WORK/p.yaml: it is a directory', {
  files: { 'p.yaml': null },
});
row('profile: a FIFO named by meshup.yaml', UP, 2, FIFO, { files: { 'meshup.yaml': 'profile: ./mine.yaml\n' }, fifos: ['mine.yaml'] });
row('profiles show: a FIFO', ['profiles', 'show', './mine.yaml'], 2, FIFO, { fifos: ['mine.yaml'] });
row(
  'inject: -f a FIFO',
  [...INJ, '-f', 'app.yaml'],
  2,
  new RegExp(`${FIFO.replace(/[()]/g, '\\$&')}\\nfix: Name a regular manifest file, or pass it on stdin: meshup inject -f - < FILE`),
  {
    fifos: ['app.yaml'],
  },
);
row('inject: -f /dev/null, a character device', [...INJ, '-f', '/dev/null'], 2, 'Cannot read manifest /dev/null: it is a character device');
row('inject: -o a FIFO', [...INJ, '-f', 'app.yaml', '-o', 'out.yaml'], 2, `Cannot write -o $WORK/out.yaml: ${FIFO}`, {
  files: { 'app.yaml': deployment },
  fifos: ['out.yaml'],
});
row('inject --json: -f a FIFO', [...INJ, '-f', 'app.yaml', '--json'], 2, FIFO, { fifos: ['app.yaml'] });

// YAML that multiplies (aliases of aliases) or nests without end: a usage error naming the file
// and the line, found before the value is built.
const bomb = (levels: number, indent = '') => {
  let text = `${indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i <= levels; i++)
    text += `${indent}l${i}: &l${i} [${Array(9)
      .fill(`*l${i - 1}`)
      .join(', ')}]\n`;
  return text;
};
const BOMB = /:2:\d+: its aliases \(\*l0\) expand to too many copies: meshup refuses YAML that multiplies like this \(an alias bomb\)/;
const bombManifest = (levels: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata:\n${bomb(levels, '  ')}`;
const DEEP = 'it nests collections more than 200 levels deep';
row('config: an alias bomb of three levels', UP, 2, /Invalid config file .*meshup\.yaml\n.*meshup\.yaml:2:\d+: its aliases/, cfg(bomb(3)));
row('config: an alias bomb of nine levels', UP, 2, BOMB, cfg(bomb(9)));
row('profile: an alias bomb', ['up', '--yes', '--profile', './mine.yaml'], 2, BOMB, { files: { 'mine.yaml': bomb(3) } });
row('profiles show: an alias bomb', ['profiles', 'show', './mine.yaml'], 2, BOMB, { files: { 'mine.yaml': bomb(9) } });
row('inject: an alias bomb in a manifest', [...INJ, '-f', 'bomb.yaml'], 2, /Invalid manifest .*bomb\.yaml\n.*bomb\.yaml:6:\d+: its aliases \(\*l0\) expand/, {
  files: { 'bomb.yaml': bombManifest(3) },
});
row('inject: an alias bomb on stdin', [...INJ, '-f', '-'], 2, '<stdin>:6:', { input: bombManifest(9) });
row(
  'config: nested 5000 levels deep in flow style',
  UP,
  2,
  /meshup\.yaml:1:\d+: it nests collections more than 200 levels deep/,
  cfg(`addons: ${'['.repeat(5000)}${']'.repeat(5000)}\n`),
);
row('config: nested 300 levels deep in block style', UP, 2, DEEP, cfg(`${'- '.repeat(300)}x\n`));
row('profile: nested deep', ['up', '--yes', '--profile', './mine.yaml'], 2, DEEP, {
  files: { 'mine.yaml': `cluster: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n` },
});
row(
  'inject: nested deep',
  [...INJ, '-f', 'deep.yaml'],
  2,
  /Invalid manifest .*deep\.yaml\n.*deep\.yaml:4:\d+: it nests collections more than 200 levels deep/,
  {
    files: { 'deep.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata: ${'['.repeat(200_000)}\n` },
  },
);
row('--json: an alias bomb in meshup.yaml', ['up', '--yes', '--json'], 2, 'expand to too many copies', cfg(bomb(9)));

// A chart's template is no manifest, even when it parses as YAML: named before istioctl sees it.
const TEMPLATE =
  /is a Helm chart template, not a Kubernetes manifest\n.*:\d+:\d+: \{\{.*\}\} is a Helm template action\nfix: This is a Helm template: render the chart with helm template/;
const templated = (line: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${line}\nspec:\n  template:\n    spec:\n      containers: [{ name: web, image: web:1 }]\n`;
row('inject: a Helm template that parses as YAML (quoted)', [...INJ, '-f', 'web.yaml'], 2, TEMPLATE, {
  files: { 'web.yaml': templated('"{{ .Values.name }}"') },
});
row('inject: a Helm template with .Release, unquoted', [...INJ, '-f', 'web.yaml'], 2, /web\.yaml:4:9: \{\{ \.Release\.Name \}\} is a Helm template action/, {
  files: { 'web.yaml': templated('{{ .Release.Name }}-web') },
});
row('inject: a Helm template with include', [...INJ, '-f', 'web.yaml'], 2, TEMPLATE, {
  files: { 'web.yaml': `${templated('web')}  labels:\n    {{- include "web.labels" . | nindent 4 }}\n` },
});
row('inject: a Helm template with toYaml', [...INJ, '-f', 'web.yaml'], 2, TEMPLATE, {
  files: { 'web.yaml': `${templated('web')}resources: '{{ toYaml .Values.resources }}'\n` },
});
row('inject: a Helm template on stdin', [...INJ, '-f', '-'], 2, /<stdin> is a Helm chart template/, { input: templated('"{{ $.Values.name }}"') });

// HOME, TMPDIR and the binaries an environment variable names: this machine's setup, named with
// its fix before anything is written or run.
const NO_HOME = { HOME: '', XDG_STATE_HOME: '', XDG_CACHE_HOME: '' };
const HOME_FIX = /fix: Set HOME to your home directory \(export HOME=\/home\/\$USER\), or point XDG_STATE_HOME and XDG_CACHE_HOME at directories you can write/;
row('HOME: unset (up)', [...UP, '--provider', 'kind'], 3, /HOME is not set: meshup keeps its state and downloads under your home directory\n/, {
  env: NO_HOME,
});
row('HOME: unset, with its fix', [...UP, '--provider', 'kind'], 3, HOME_FIX, { env: NO_HOME });
row('HOME: unset (plan --json)', ['plan', '--json', '--provider', 'kind'], 3, 'HOME is not set', { env: NO_HOME });
row('HOME: unset (addons enable)', ['addons', 'enable', 'kiali', '--provider', 'kind'], 3, 'HOME is not set', { env: NO_HOME });
row('HOME: a file (up)', [...UP, '--provider', 'kind'], 3, 'HOME is $WORK/home-file, which is not a directory', {
  env: { ...NO_HOME, HOME: '$WORK/home-file' },
  files: { 'home-file': '' },
});
row('HOME: a file (expose)', ['expose', 'web', '--provider', 'kind'], 3, 'which is not a directory', {
  env: { ...NO_HOME, HOME: '$WORK/home-file' },
  files: { 'home-file': '' },
});
row('HOME: a file (status, before anything is printed)', ['status', '--provider', 'kind'], 3, 'which is not a directory', {
  env: { HOME: '$WORK/home-file' },
  files: { 'home-file': '' },
});
row('HOME: not writable (up)', [...UP, '--provider', 'kind'], 3, /HOME \(\/sys\) cannot be written \((EACCES|EPERM|EROFS)\)/, {
  env: { ...NO_HOME, HOME: '/sys' },
});
row('HOME: a directory that does not exist', [...UP, '--provider', 'kind'], 3, 'HOME is $WORK/gone, which does not exist', {
  env: { ...NO_HOME, HOME: '$WORK/gone' },
});
row('HOME: a relative path', [...UP, '--provider', 'kind'], 3, 'HOME is "home", which is not an absolute path', { env: { ...NO_HOME, HOME: 'home' } });
const INJECT_APP = { files: { 'app.yaml': deployment } };
row('TMPDIR: missing (inject)', [...INJ, '-f', 'app.yaml'], 3, /TMPDIR \(.*\/nope\) does not exist: meshup inject writes[\s\S]*fix: Create it \(mkdir -p /, {
  ...INJECT_APP,
  env: { TMPDIR: '$WORK/nope' },
});
row(
  'TMPDIR: a file (inject)',
  [...INJ, '-f', 'app.yaml'],
  3,
  /TMPDIR \(.*app\.yaml\) is not a directory[\s\S]*fix: Point TMPDIR at a directory you can write/,
  {
    ...INJECT_APP,
    env: { TMPDIR: '$WORK/app.yaml' },
  },
);
row('TMPDIR: not writable (inject)', [...INJ, '-f', 'app.yaml'], 3, /TMPDIR \(\/sys\) cannot be written/, { ...INJECT_APP, env: { TMPDIR: '/sys' } });
const KWOK = ['up', '--yes', '--provider', 'kwok'];
const KWOK_FIX_LINE = /fix: Point MESHUP_KWOK_BIN_DIR at a directory holding kube-apiserver, kube-controller-manager, kube-scheduler, kwok, etcd/;
row('MESHUP_KWOK_BIN_DIR: missing', KWOK, 2, '"$WORK/nope" does not exist (from MESHUP_KWOK_BIN_DIR)', { env: { MESHUP_KWOK_BIN_DIR: '$WORK/nope' } });
row('MESHUP_KWOK_BIN_DIR: missing, with its fix', KWOK, 2, KWOK_FIX_LINE, { env: { MESHUP_KWOK_BIN_DIR: '$WORK/nope' } });
row('MESHUP_KWOK_BIN_DIR: a file', KWOK, 2, 'is not a directory (from MESHUP_KWOK_BIN_DIR)', {
  env: { MESHUP_KWOK_BIN_DIR: '$WORK/kbin' },
  files: { kbin: '' },
});
row('MESHUP_KWOK_BIN_DIR: a directory without the binaries', KWOK, 2, 'holds no kube-apiserver, kube-controller-manager, kube-scheduler, kwok, etcd', {
  env: { MESHUP_KWOK_BIN_DIR: '$WORK/kbin' },
  files: { kbin: null },
});
row('MESHUP_KWOK_BIN_DIR: some binaries missing', KWOK, 2, 'holds no kube-controller-manager, kube-scheduler, kwok (from MESHUP_KWOK_BIN_DIR)', {
  env: { MESHUP_KWOK_BIN_DIR: '$WORK/kbin' },
  files: { 'kbin/kube-apiserver': '', 'kbin/etcd': '' },
});
row('MESHUP_KWOK_BIN_DIR: binaries that cannot be executed', KWOK, 2, /kbin\/kube-apiserver is not executable[\s\S]*fix: Make it executable: chmod \+x/, {
  env: { MESHUP_KWOK_BIN_DIR: '$WORK/kbin' },
  files: Object.fromEntries(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'etcd'].map((b) => [`kbin/${b}`, ''])),
});
row('MESHUP_KWOK_BIN_DIR: missing (status)', ['status', '--provider', 'kwok'], 2, 'does not exist (from MESHUP_KWOK_BIN_DIR)', {
  env: { MESHUP_KWOK_BIN_DIR: '$WORK/nope' },
});

const sub = (s: string, work: string) => s.split('$WORK').join(work);

// Versions and upgrades (issue 26), images (issue 27).
row(
  '--kubernetes-version: above the Istio release’s range',
  ['up', '--provider', 'kind', '--kubernetes-version', 'v1.37.0', '--yes'],
  2,
  'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; you asked for v1.37.0',
);
row(
  '--kubernetes-version: below it',
  ['up', '--provider', 'kind', '--kubernetes-version', '1.29', '--yes'],
  2,
  'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; you asked for v1.29',
);
row('upgrade: --to with --finish', ['upgrade', '--provider', 'kind', '--to', '1.31.1', '--finish'], 2, '--to and --finish cannot go together');
row('upgrade: --finish with --rollback', ['upgrade', '--provider', 'kind', '--finish', '--rollback'], 2, '--finish and --rollback cannot go together');
row('upgrade: --namespaces with --rollback', ['upgrade', '--provider', 'kind', '--rollback', '--namespaces', 'shop'], 2, 'it does not go with --rollback');
row('upgrade: --in-place without --to', ['upgrade', '--provider', 'kind', '--in-place'], 2, '--in-place needs the version');
row(
  'upgrade: --in-place with --namespaces',
  ['upgrade', '--provider', 'kind', '--to', '1.31.1', '--in-place', '--namespaces', 'shop'],
  2,
  '--in-place replaces the control plane at once',
);
row('images: --prefetch without --cache', ['images', '--provider', 'kind', '--prefetch'], 2, '--prefetch needs the caches to pull through');
row(
  'images: --cache not REGISTRY=URL',
  ['images', '--provider', 'kind', '--prefetch', '--cache', 'localhost:5050'],
  2,
  '--cache localhost:5050 is not REGISTRY=URL',
);
row('images: --cache URL with a path', ['images', '--provider', 'kind', '--prefetch', '--cache', 'docker.io=http://h:5000/v2'], 2, 'is not REGISTRY=URL');
row(
  'cache: an upstream meshup runs no cache for',
  [...UP, '--provider', 'kind'],
  2,
  'meshup runs no cache for "example.com"',
  cfg('cache:\n  upstreams:\n    example.com: https://mirror.example\n'),
);
row(
  'cache: an external cache that is not a URL',
  [...UP, '--provider', 'kind'],
  2,
  /meshup\.yaml:3:16: cache\.external\.docker\.io: expected a valid url, found the string "not a url"/,
  cfg('cache:\n  external:\n    docker.io: not a url\n'),
);
row(
  'local registry: on a cache’s port',
  [...UP, '--provider', 'kind'],
  2,
  "5050 is the port of meshup's docker.io cache",
  cfg('localRegistry: { port: 5050 }\n'),
);
row('local registry: asked of minikube', [...UP, '--provider', 'minikube', '--local-registry'], 2, "minikube's nodes cannot be pointed at one");
row(
  'cache: a container of meshup’s name that is not meshup’s',
  [...UP, '--provider', 'kind', '--addons', ''],
  4,
  "Docker container meshup-registry exists and is not meshup's",
  { state: { docker: { containers: { 'meshup-registry': { state: 'running', labels: {}, networks: ['bridge'], args: [] } } } } },
);
row('ingress: --tunnel on kind', ['ingress', '--provider', 'kind', '--tunnel'], 2, "--tunnel: a kind cluster's gateway is reached without a tunnel");

// A mesh of several clusters.
row('clusters: not a number', [...UP, '--provider', 'kind', '--clusters', 'two'], 2, '--clusters "two" is not a number of clusters from 1 to 4');
row('clusters: too many for a laptop', [...UP, '--provider', 'kind', '--clusters', '9'], 2, '--clusters "9" is not a number of clusters from 1 to 4');
row(
  'clusters: the existing provider with no contexts',
  [...UP, '--provider', 'existing', '--clusters', '2'],
  2,
  'which reaches a cluster only by its kube context, and names none',
);
row('clusters: a name listed twice', UP, 2, 'cluster east is listed twice', {
  files: { 'meshup.yaml': 'clusters:\n  - { name: east }\n  - { name: east }\n' },
});
row('clusters: a list entry with an unknown key', UP, 2, /meshup\.yaml:2:\d+: clusters\.0: /, {
  files: { 'meshup.yaml': 'clusters:\n  - { name: east, size: 3 }\n' },
});
row(
  '--cluster with no mesh here',
  ['status', '--provider', 'kind', '--cluster', 'east'],
  2,
  '--cluster east names one cluster of a set, and there is no set here',
);
row(
  '--cluster naming no cluster of the mesh',
  ['status', '--provider', 'kind', '--cluster', 'meshup-3'],
  2,
  '--cluster meshup-3 is not a cluster of this mesh',
  {
    files: { 'meshup.yaml': 'clusters: 2\n' },
  },
);
row('--rotate-ca on a lone cluster', [...UP, '--provider', 'kind', '--rotate-ca'], 2, "--rotate-ca makes a multi-cluster mesh's shared root again");

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
    for (const f of c.fifos ?? []) {
      mkdirSync(dirname(join(work, f)), { recursive: true });
      execFileSync('mkfifo', [join(work, f)]);
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
