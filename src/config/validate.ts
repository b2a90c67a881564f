// One check per kind of value, used for every source (flag, environment, config file, recorded
// spec, answer), so a value is refused the same way wherever it came from. Each message names
// the source and the value, and says what would be accepted.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { DEFAULT_ISTIO_VERSION, MIN_ISTIO_MINOR, parseIstioVersion } from './versions.js';

/** Where a value came from, as a user would name it: "--name", "MESHUP_CLUSTER_NAME", "meshup.yaml (clusterName)". */
export interface From {
  label: string;
  /** A config file's values are ConfigErrors (same exit code, but the fix points at the file). */
  file?: boolean;
}

const MAX_SHOWN = 60;

/** User input quoted in a message, never longer than a short excerpt. */
export function shown(value: string): string {
  const s = JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
  return s;
}

function refuse(from: From, message: string, fix: string | string[]): never {
  const text = `${message} (from ${from.label})`;
  throw from.file ? new ConfigError(text, { fix }) : new UsageError(text, { fix });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name that must be a DNS label (a waypoint, a Service port name). */
export function dnsLabel(value: string, from: From): string {
  if (!DNS_LABEL.test(value) || value.length > 63) {
    refuse(from, `${shown(value)} is not a valid name`, 'Use a lowercase DNS label: letters, digits and dashes, at most 63 characters');
  }
  return value;
}

export function clusterName(value: string, from: From): string {
  if (!DNS_LABEL.test(value) || value.length > 63) {
    refuse(
      from,
      `${shown(value)} is not a valid cluster name`,
      'Use a lowercase DNS label: letters, digits and dashes, at most 63 characters, e.g. meshup or shop-dev',
    );
  }
  return value;
}

/** Namespaces meshup never labels for injection: Kubernetes' own, and Istio's. */
const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system'] as const;

function namespace(value: string, from: From): string {
  if (!DNS_LABEL.test(value) || value.length > 63) {
    refuse(
      from,
      `${shown(value)} is not a valid namespace name`,
      'Namespace names are lowercase DNS labels: letters, digits and dashes, at most 63 characters',
    );
  }
  if ((SYSTEM_NAMESPACES as readonly string[]).includes(value)) {
    refuse(from, `Sidecars are never injected in ${value}`, 'Choose application namespaces, e.g. default or shop');
  }
  return value;
}

export function namespaces(values: readonly string[], from: From): string[] {
  const out: string[] = [];
  for (const v of values) if (!out.includes(namespace(v, from))) out.push(v);
  return out;
}

/** One of a fixed set of words (--dataplane, --platform), with a did-you-mean. */
export function oneOf<T extends string>(what: string, allowed: readonly T[]) {
  return (value: string, from: From): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    const near = closest(value, allowed);
    return refuse(
      from,
      `${shown(value)} is not a ${what}; expected one of ${allowed.join(', ')}`,
      near ? `Did you mean ${near}?` : `Use one of: ${allowed.join(', ')}`,
    );
  };
}

/** "v1.31.1" and "1.31.1" are the same release; meshup uses the form without "v" everywhere. */
export function istioVersion(value: string, from: From): string {
  const v = value.trim().replace(/^v/, '');
  const parsed = parseIstioVersion(v);
  if (!parsed) refuse(from, `${shown(value)} is not an Istio version`, `Use a release number such as ${DEFAULT_ISTIO_VERSION}`);
  if (parsed.major !== 1 || parsed.minor < MIN_ISTIO_MINOR) {
    refuse(from, `Istio ${v} is too old for meshup (it needs 1.${MIN_ISTIO_MINOR} or later)`, `Use ${DEFAULT_ISTIO_VERSION}`);
  }
  return v;
}

/** Kubernetes versions as kind and minikube take them, normalised to "v1.33.1". */
export function kubernetesVersion(value: string, from: From): string {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) refuse(from, `${shown(value)} is not a Kubernetes version`, 'Use a release such as v1.33.1 (or 1.33.1)');
  return `v${m[1]}.${m[2]}${m[3] === undefined ? '' : `.${m[3]}`}`;
}

export function mirror(value: string, from: From): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse(from, `${shown(value)} is not a URL`, 'Give the base URL of a release mirror, e.g. https://mirror.example/istio/releases');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    refuse(from, `${shown(value)} is not an http(s) URL`, 'Give the base URL of a release mirror, e.g. https://mirror.example/istio/releases');
  }
  return value.replace(/\/+$/, '');
}

/** An extracted release: a directory whose bin/istioctl can be executed. */
export function istioDir(value: string, from: From): string {
  let isDir = false;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    refuse(from, `${shown(value)} does not exist`, 'Point --istio-dir at an extracted Istio release (the directory holding bin/ and samples/)');
  }
  if (!isDir) refuse(from, `${shown(value)} is not a directory`, 'Point --istio-dir at an extracted Istio release (the directory holding bin/ and samples/)');
  const bin = join(value, 'bin', 'istioctl');
  try {
    statSync(bin);
  } catch {
    refuse(
      from,
      `${shown(value)} is not an extracted Istio release: it has no bin/istioctl`,
      'Point --istio-dir at the directory that holds bin/istioctl and samples/',
    );
  }
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    refuse(from, `${bin} is not executable`, `Make it executable: chmod +x ${bin}`);
  }
  return value;
}

/** A directory that must hold these programs, each a file that can be executed (MESHUP_KWOK_BIN_DIR). */
export function binDir(value: string, names: readonly string[], from: From, fix: string | string[]): string {
  let isDir = false;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    refuse(from, `${shown(value)} does not exist`, fix);
  }
  if (!isDir) refuse(from, `${shown(value)} is not a directory`, fix);
  const missing = names.filter((n) => {
    try {
      return !statSync(join(value, n)).isFile();
    } catch {
      return true;
    }
  });
  if (missing.length) refuse(from, `${shown(value)} holds no ${missing.join(', ')}`, fix);
  for (const n of names) {
    try {
      accessSync(join(value, n), constants.X_OK);
    } catch {
      refuse(from, `${join(value, n)} is not executable`, `Make it executable: chmod +x ${join(value, n)}`);
    }
  }
  return value;
}

const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 24 * 3_600_000;

export function duration(value: string, from: From): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(value.trim());
  if (!m) refuse(from, `${shown(value)} is not a duration`, 'Use a number with a unit: 90s, 10m, 1h');
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS)
    refuse(from, `${shown(value)} is outside the range meshup accepts (1s to 24h)`, 'Use a duration between 1s and 24h, e.g. 10m');
  return ms;
}

export function positiveInt(value: string, from: From, max = 1024): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
    refuse(from, `${shown(value)} is not a whole number from 1 to ${max}`, 'Give a whole number, e.g. 4');
  return n;
}

export interface PortSettings {
  httpNodePort: number;
  httpsNodePort: number;
  hostHttpPort: number;
  hostHttpsPort: number;
}

/** Host ports must differ (kind refuses two mappings on one port) and so must nodePorts. */
export function ports(p: PortSettings, from: From): void {
  for (const [k, v] of Object.entries(p)) {
    const range = k.includes('Node') ? [30000, 32767] : [1, 65535];
    if (!Number.isInteger(v) || v < range[0]! || v > range[1]!)
      refuse(from, `gateway.${k} ${v} is outside ${range[0]}-${range[1]}`, `Choose a port from ${range[0]} to ${range[1]}`);
  }
  if (p.hostHttpPort === p.hostHttpsPort) {
    refuse(
      from,
      `gateway.hostHttpPort and gateway.hostHttpsPort are both ${p.hostHttpPort}`,
      'Give the http and https host ports different values, e.g. 8080 and 8443',
    );
  }
  if (p.httpNodePort === p.httpsNodePort) {
    refuse(
      from,
      `gateway.httpNodePort and gateway.httpsNodePort are both ${p.httpNodePort}`,
      'Give the http and https nodePorts different values, e.g. 30080 and 30043',
    );
  }
}

// ---- meshup expose: what the route is made of, as the API server and Istio will judge it ----

/** A control character (C0, DEL or C1): a terminal would act on it rather than show it. */
const hasControl = (s: string) => [...s].some((c) => c.codePointAt(0)! < 0x20 || (c.codePointAt(0)! >= 0x7f && c.codePointAt(0)! <= 0x9f));
const SPACE = /\s/u;

/** A Service's or namespace's name: a DNS label, as Kubernetes names them. */
export function objectName(what: 'Service' | 'namespace', value: string, from: From): string {
  const fix = `${what === 'Service' ? 'Service' : 'Namespace'} names are lowercase DNS labels: letters, digits and dashes, at most 63 characters (kubectl get ${what === 'Service' ? 'services' : 'namespaces'} lists them)`;
  if (value === '') refuse(from, `The ${what} name is empty`, fix);
  if (hasControl(value)) refuse(from, `${shown(value)} is not a ${what} name: it contains a control character`, fix);
  if (!DNS_LABEL.test(value) || value.length > 63) refuse(from, `${shown(value)} is not a ${what} name`, fix);
  return value;
}

/** A Service port: a whole number from 1 to 65535. */
export function portNumber(value: string, from: From): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value.trim()) || n < 1 || n > 65535)
    refuse(from, `${shown(value)} is not a port number`, 'Give the Service port as a number from 1 to 65535, e.g. --port 8080');
  return n;
}

const HOST_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_FIX = 'Give a DNS name such as web.local or *.example.com (lowercase letters, digits, "-" and "."), or leave out --host to match any host';

/**
 * A host a route matches, as both ways in accept it: "*" (any host), or an RFC 1123 DNS name,
 * lowercase, at most 253 characters of labels of at most 63, optionally with a single leading
 * "*." label (the Gateway API's HTTPRoute hostname pattern, in the gateway.networking.k8s.io CRDs),
 * and not an IP address (the Gateway API rules them out; Istio refuses a name whose last label is
 * all digits).
 */
export function routeHost(value: string, from: From): string {
  if (value === '*') return value;
  const no = (why: string, fix = HOST_FIX): never => refuse(from, `${shown(value)} is not a host name a route can match: ${why}`, fix);
  if (value === '') no('it is empty');
  if (hasControl(value)) no('it contains a control character');
  if (SPACE.test(value)) no('it contains a space');
  if (value.length > 253) no(`it is ${value.length} characters long; a host name has at most 253`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) no('it is a URL', `Give only its host, e.g. --host ${shown(hostOfUrl(value))}; the path goes in --path`);
  if (/[A-Z]/.test(value)) {
    const lower = value.toLowerCase();
    no(
      'it has uppercase letters, which Kubernetes refuses in a host name',
      isHostName(lower) ? `Write it in lowercase: --host ${lower} (host names match in any case)` : HOST_FIX,
    );
  }
  if (/^\[?[0-9a-f:.]*:[0-9a-f:.]*\]?$/i.test(value) && value.split(':').length > 2)
    no(
      'it is an IP address; a route matches host names',
      'Leave out --host to match any host (requests to the IP address then reach it too), or give a DNS name',
    );
  if (value.includes(':')) no('it has a port', `Give the host without the port: --host ${shown(value.split(':')[0]!)}`);
  if (value.includes('/')) no('it contains "/"', 'Give only the host, e.g. web.local; a path goes in --path');
  const labels = value.split('.');
  if (value.includes('*') && !(labels[0] === '*' && labels.length > 1 && !labels.slice(1).some((l) => l.includes('*'))))
    no(
      'a wildcard may only be the whole first label, as in *.example.com',
      'Write the wildcard as the first label on its own: *.example.com (or "*" alone, or no --host, for any host)',
    );
  const rest = labels[0] === '*' ? labels.slice(1) : labels;
  if (rest.some((l) => l === '')) no('it has an empty label (a dot at its start or end, or two dots in a row)');
  const long = rest.find((l) => l.length > 63);
  if (long) no(`its label ${shown(long)} is ${long.length} characters long; a label has at most 63`);
  const bad = rest.find((l) => !HOST_LABEL.test(l));
  if (bad)
    no(
      `its label ${shown(bad)} is not a DNS label (lowercase letters, digits and "-", starting and ending with a letter or digit)`,
      [...bad].some((c) => c.codePointAt(0)! > 0x7f) ? 'Write an international name in its ASCII form (xn--...), as DNS carries it' : HOST_FIX,
    );
  if (/^\d+$/.test(rest[rest.length - 1]!))
    no(
      rest.length === 4 && rest.every((l) => /^\d+$/.test(l))
        ? 'it is an IP address; a route matches host names'
        : 'its last label is all digits, which Istio refuses',
      'Leave out --host to match any host (requests to the IP address then reach it too), or give a DNS name',
    );
  return value;
}

function isHostName(value: string): boolean {
  const labels = value.split('.');
  const rest = labels[0] === '*' ? labels.slice(1) : labels;
  return value.length <= 253 && rest.length > 0 && rest.every((l) => l.length <= 63 && HOST_LABEL.test(l)) && !/^\d+$/.test(rest[rest.length - 1]!);
}

function hostOfUrl(value: string): string {
  try {
    return new URL(value).hostname || 'web.local';
  } catch {
    return 'web.local';
  }
}

/** The characters an HTTPRoute's PathPrefix may hold unencoded (its CRD's validation rule). */
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
const PATH_FIX = 'Give a path prefix such as /api or /shop/v1: it starts with "/", and other characters are percent-encoded (a space is %20)';

/**
 * A path prefix a route matches, as the Gateway API's HTTPRoute validation judges a PathPrefix
 * (its CRD's x-kubernetes-validations): it starts with "/", is at most 1024 characters, holds no
 * "//", "/./" or "/../", does not end in "/." or "/..", has no "#" and no encoded "/" (%2F), and
 * only characters a URL path holds unencoded. Istio's VirtualService takes the same prefix.
 */
export function routePath(value: string, from: From): string {
  const no = (why: string, fix = PATH_FIX): never => refuse(from, `${shown(value)} is not a path prefix a route can match: ${why}`, fix);
  if (value === '') no('it is empty', 'Give a path prefix such as /api, or leave out --path for every path (/)');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) no('it is a URL', 'Give only its path, e.g. --path /api; the host goes in --host');
  if (!value.startsWith('/')) no('it does not start with "/"', `Start it with "/": --path ${shown(`/${value}`)}`);
  if (value.length > 1024) no(`it is ${value.length} characters long; a path prefix has at most 1024`);
  if (hasControl(value)) no('it contains a control character');
  if (SPACE.test(value)) no('it contains a space', 'Percent-encode it (a space is %20), or leave it out');
  if (value.includes('?')) no('it contains "?": a path prefix matches the path, not the query string', 'Leave out the "?" and what follows it');
  if (value.includes('#')) no('it contains "#": the fragment never reaches the server', 'Leave out the "#" and what follows it');
  if (/\/\/|\/\.\.?(\/|$)/.test(value))
    no('it has an empty, "." or ".." segment ("//", "/./" or "/../"), which Kubernetes refuses', 'Write the path in its plain form, e.g. /api/v1');
  if (/%2f/i.test(value)) no('it contains an encoded "/" (%2F), which Kubernetes refuses', 'Write "/" as it is');
  if (/%(?![0-9a-fA-F]{2})/.test(value)) no('it has a "%" that is not followed by two hex digits', 'Encode "%" itself as %25');
  if (!PATH_CHARS.test(value)) {
    const c = [...value].find((ch) => !PATH_CHARS.test(ch) && ch !== '%')!;
    no(`it contains ${shown(c)}, which a URL path holds only percent-encoded`, PATH_FIX);
  }
  return value;
}
