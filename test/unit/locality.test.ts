// Which kube API servers are on this machine, decided from the address alone: nothing is sent to
// them and no name is looked up. A table of servers against one machine's interfaces.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertContextAllowed, assertServerLocal, kubeconfigContexts, localServer } from '../../src/context/safety.js';
import { ContextRefusedError, ExitCode } from '../../src/errors.js';

const nic = (cidr: string, internal = false): NetworkInterfaceInfo => {
  const [address] = cidr.split('/') as [string];
  const v6 = address.includes(':');
  return {
    address,
    cidr,
    netmask: '',
    family: v6 ? 'IPv6' : 'IPv4',
    mac: '00:00:00:00:00:00',
    internal,
    ...(v6 ? { scopeid: 0 } : {}),
  } as NetworkInterfaceInfo;
};

/** A Linux laptop with Docker (kind's and minikube's networks), libvirt and VirtualBox, plus the
 * macOS, Podman and Hyper-V bridges that other machines have. */
const MACHINE = {
  lo: [nic('127.0.0.1/8', true), nic('::1/128', true)],
  eth0: [nic('10.0.0.5/24'), nic('fd00::2/64')],
  docker0: [nic('172.17.0.1/16')],
  'br-1a2b3c4d5e6f': [nic('192.168.49.1/24')],
  'br-0f9e8d7c6b5a': [nic('172.18.0.1/16'), nic('fc00:f853:ccd:e793::1/64')],
  virbr1: [nic('192.168.39.1/24')],
  vboxnet0: [nic('192.168.59.1/24')],
  bridge100: [nic('192.168.64.1/24')],
  vmnet8: [nic('172.16.5.1/24')],
  podman1: [nic('10.89.0.1/24')],
  'cni-podman0': [nic('10.88.0.1/16')],
  'vEthernet (Default Switch)': [nic('172.20.16.1/20')],
  tailscale0: [nic('100.100.1.2/32')],
};

const LOCAL: [string, string][] = [
  ['https://127.0.0.1:6443', 'kind, rancher-desktop, orbstack: loopback'],
  ['https://127.0.0.53:443', 'all of 127/8'],
  ['https://localhost:6443', 'localhost'],
  ['https://LOCALHOST.:6443', 'in any case, with the root dot'],
  ['https://[::1]:6443', 'IPv6 loopback'],
  ['https://[::ffff:127.0.0.1]:6443', 'IPv4-mapped loopback'],
  ['https://0.0.0.0:6550', "k3d's default: the unspecified address connects here"],
  ['https://kubernetes.docker.internal:6443', "Docker Desktop's Kubernetes"],
  ['https://host.docker.internal:6443', "Docker Desktop's host name"],
  ['https://api.crc.testing:6443', 'CRC writes it to the hosts file'],
  ['https://kind.localhost:6443', 'the .localhost domain'],
  ['127.0.0.1:6443', 'no scheme: https, as client-go reads it'],
  ['http://127.0.0.1:8080', 'plain http'],
  ['https://192.168.49.2:8443', "minikube's docker network (br-*)"],
  ['https://172.18.0.2:6443', "kind's docker network (br-*)"],
  ['https://[fc00:f853:ccd:e793::2]:6443', "kind's network over IPv6"],
  ['https://172.17.0.3:6443', 'docker0'],
  ['https://192.168.39.10:8443', "minikube's kvm2 VM (virbr*)"],
  ['https://192.168.59.100:8443', "minikube's VirtualBox VM (vboxnet*)"],
  ['https://192.168.64.3:8443', "minikube's VM on macOS (bridge100)"],
  ['https://172.16.5.20:8443', 'a VMware VM (vmnet*)'],
  ['https://10.89.0.2:6443', "minikube's podman network (podman*)"],
  ['https://10.88.0.7:6443', 'a CNI bridge (cni-podman*)'],
  ['https://172.20.20.5:8443', "minikube's Hyper-V VM (vEthernet (Default Switch))"],
  ['https://10.0.0.5:6443', "this machine's own address (minikube --driver=none, k3s)"],
  ['https://[fd00::2]:6443', "this machine's own IPv6 address"],
  ['https://203.0.113.10@127.0.0.1:6443', 'userinfo before the host: the host is loopback'],
];

const REMOTE: [string, string][] = [
  ['https://203.0.113.10:6443', 'a public address'],
  ['https://[2001:db8::1]:6443', 'a public IPv6 address'],
  ['https://10.0.0.9:6443', 'a neighbour on the LAN: private, but not on a virtual bridge'],
  ['https://[fd00::9]:6443', 'a neighbour on the LAN over IPv6'],
  ['https://192.168.50.2:8443', 'private, on no network of this machine'],
  ['https://100.100.7.7:443', 'a tailnet peer: not a bridge'],
  ['https://api.example.com:6443', 'a name'],
  ['https://kind-control-plane:6443', 'a name that sounds local, not a known one'],
  ['https://127.0.0.1.nip.io:6443', 'a name whose DNS says loopback: no name is looked up'],
  ['https://localhost.example.com:6443', 'localhost as a label of another domain'],
  ['https://docker.internal.example.com:6443', "Docker's suffix inside another domain"],
  ['https://127.0.0.1@203.0.113.10:6443', 'loopback as userinfo: the host is remote'],
  ['https://user:secret@203.0.113.10:6443', 'credentials in the URL'],
  ['https://2130706433:6443', "127.0.0.1 as one number: a URL parser's address, Go's name"],
  ['https://0x7f.0.0.1:6443', 'hexadecimal loopback'],
  ['https://127.1:6443', 'shortened loopback'],
  ['https://[::1%25lo]:6443', 'a zone in the address'],
  ['https://', 'no host'],
  ['not a url', 'not a URL'],
  ['', 'empty'],
];

describe('the server address decides whether a cluster is on this machine', () => {
  it.each(LOCAL)('%s is local (%s)', (server) => {
    expect(localServer(server, MACHINE)).toEqual(expect.any(String));
  });
  it.each(REMOTE)('%s is not (%s)', (server) => {
    expect(localServer(server, MACHINE)).toBeUndefined();
  });
  it('without interfaces (a network namespace with none), only loopback and the known names are local', () => {
    expect(localServer('https://127.0.0.1:1', {})).toMatch(/loopback/);
    expect(localServer('https://kubernetes.docker.internal:6443', {})).toMatch(/local name/);
    expect(localServer('https://192.168.49.2:8443', {})).toBeUndefined();
  });
  it('says why', () => {
    expect(localServer('https://192.168.49.2:8443', MACHINE)).toBe("192.168.49.2 is on this machine's virtual network br-1a2b3c4d5e6f (192.168.49.1/24)");
    expect(localServer('https://10.0.0.5:6443', MACHINE)).toBe("10.0.0.5 is this machine's address on eth0");
  });
});

describe('refusing a context', () => {
  const refusal = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return e as ContextRefusedError;
    }
    return undefined;
  };

  it('refuses a local-looking name with a remote server, and says the address decides', () => {
    const e = refusal(() => assertContextAllowed({ name: 'kind-prod', cluster: 'kind-prod', server: 'https://203.0.113.10:6443' }, []));
    expect(e).toBeInstanceOf(ContextRefusedError);
    expect(e!.exitCode).toBe(ExitCode.refused);
    expect(e!.message).toBe('Refusing to use context "kind-prod": its server https://203.0.113.10:6443 is not on this machine');
    expect(e!.fix).toContain('If this really is a disposable cluster, allow it by name: --allow-context kind-prod');
  });

  it('still refuses a remote-looking name whatever its server, as before', () => {
    const e = refusal(() => assertContextAllowed({ name: 'prod', cluster: 'gke_acme_prod', server: 'https://127.0.0.1:6443' }, []));
    expect(e!.message).toContain('does not look like a local cluster');
  });

  it('lets a context allowed by name through both rules', () => {
    expect(
      refusal(() => assertContextAllowed({ name: 'kind-prod', cluster: 'kind-prod', server: 'https://203.0.113.10:6443' }, ['kind-prod'])),
    ).toBeUndefined();
    expect(refusal(() => assertContextAllowed({ name: 'lab', cluster: 'lab', server: 'https://203.0.113.10:6443' }, ['lab']))).toBeUndefined();
  });

  it('refuses a local server reached through a remote proxy, not through a local one', () => {
    const ctx = { name: 'kind-x', cluster: 'kind-x', server: 'https://127.0.0.1:6443' };
    expect(refusal(() => assertServerLocal({ ...ctx, proxyUrl: 'socks5://bastion.example.com:1080' }, [], MACHINE))?.message).toContain(
      'its requests go through the proxy socks5://bastion.example.com:1080',
    );
    expect(refusal(() => assertServerLocal({ ...ctx, proxyUrl: 'http://127.0.0.1:3128' }, [], MACHINE))).toBeUndefined();
  });

  it('judges no context without a server: there is nowhere to send anything', () => {
    expect(refusal(() => assertServerLocal({ name: 'kind-x', cluster: 'kind-x', server: '' }, [], MACHINE))).toBeUndefined();
  });
});

describe('the kubeconfig, read as kubectl merges it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshup-locality-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the first file that names an entry and the first current-context, with each cluster server and proxy', () => {
    writeFileSync(
      join(dir, 'a'),
      'current-context: ""\ncontexts:\n- name: kind-prod\n  context: { cluster: prod, user: u }\nclusters:\n- name: prod\n  cluster: { server: "https://203.0.113.10:6443" }\n',
    );
    writeFileSync(
      join(dir, 'b'),
      [
        'current-context: kind-dev',
        'contexts:',
        '- name: kind-prod',
        '  context: { cluster: dev }',
        '- name: kind-dev',
        '  context: { cluster: dev }',
        '- name: tunnel',
        '  context: { cluster: tunnel }',
        'clusters:',
        '- name: prod',
        '  cluster: { server: "https://127.0.0.1:1" }',
        '- name: dev',
        '  cluster: { server: "https://127.0.0.1:40001" }',
        '- name: tunnel',
        '  cluster: { server: "https://127.0.0.1:6443", proxy-url: "socks5://bastion:1080" }',
        '',
      ].join('\n'),
    );
    const view = kubeconfigContexts({ KUBECONFIG: [join(dir, 'a'), join(dir, 'missing'), join(dir, 'b')].join(delimiter) }, dir);
    expect(view).toEqual({
      current: 'kind-dev',
      contexts: [
        { name: 'kind-prod', cluster: 'prod', server: 'https://203.0.113.10:6443' },
        { name: 'kind-dev', cluster: 'dev', server: 'https://127.0.0.1:40001' },
        { name: 'tunnel', cluster: 'tunnel', server: 'https://127.0.0.1:6443', proxyUrl: 'socks5://bastion:1080' },
      ],
    });
  });

  it('gives up on a file it cannot parse (kubectl is then asked)', () => {
    writeFileSync(join(dir, 'bad'), 'contexts: [\n');
    expect(kubeconfigContexts({ KUBECONFIG: join(dir, 'bad') }, dir)).toBeUndefined();
  });
});
