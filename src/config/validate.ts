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
