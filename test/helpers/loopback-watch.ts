// The network rule, checked from the kernel's side: which TCP sockets the simulated cluster's
// processes and the local istiod hold, read from /proc (Linux). Every remote address must be
// loopback; a socket to a pod, Service or node address of the simulated cluster is a violation.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

interface Socket {
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  state: string;
}

const STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** /proc/net/tcp{,6} hold each address as host-order 32-bit words in hex. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  if (words.length === 1)
    return words[0]!
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .join('.');
  const v6 = words.join('');
  if (v6.startsWith('00000000000000000000FFFF'))
    return v6
      .slice(24)
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .join('.');
  const groups = v6.match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function tcpTable(): Map<string, Socket> {
  const byInode = new Map<string, Socket>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [lAddr, lPort] = f[1]!.split(':') as [string, string];
      const [rAddr, rPort] = f[2]!.split(':') as [string, string];
      byInode.set(f[9]!, {
        local: decodeAddress(lAddr),
        localPort: parseInt(lPort, 16),
        remote: decodeAddress(rAddr),
        remotePort: parseInt(rPort, 16),
        state: STATES[f[3]!] ?? f[3]!,
      });
    }
  }
  return byInode;
}

/** The TCP sockets a process holds open (empty once it has exited). */
function socketsOf(pid: number, table = tcpTable()): Socket[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: Socket[] = [];
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    const s = m && table.get(m[1]!);
    if (s) out.push(s);
  }
  return out;
}

const isLoopback = (a: string) => a.startsWith('127.') || a === '::1';
const isUnspecified = (a: string) => a === '0.0.0.0' || a === '::';

interface Observation {
  process: string;
  socket: Socket;
}

export interface LoopbackReport {
  samples: number;
  /** Sockets whose peer is not loopback: always a breach of the rule. */
  offLoopback: Observation[];
  /** Listeners of the processes named in `loopbackListeners` bound to anything but loopback. */
  openListeners: Observation[];
  /** Every distinct loopback connection seen, as "process -> 127.0.0.1:port". */
  loopbackPeers: Set<string>;
}

/**
 * Samples the sockets of the given processes until stopped. `pids()` is re-read each round,
 * because processes come and go (istiod restarts, the cluster is deleted).
 */
export class LoopbackWatch {
  readonly report: LoopbackReport = { samples: 0, offLoopback: [], openListeners: [], loopbackPeers: new Set() };
  private seen = new Set<string>();

  constructor(
    private readonly pids: () => Record<string, number | undefined>,
    private readonly loopbackListeners: string[],
  ) {}

  sample(): void {
    const table = tcpTable();
    for (const [process, pid] of Object.entries(this.pids())) {
      if (!pid) continue;
      for (const socket of socketsOf(pid, table)) {
        const key = `${process} ${socket.local}:${socket.localPort} ${socket.remote}:${socket.remotePort} ${socket.state}`;
        if (socket.state === 'LISTEN') {
          if (this.loopbackListeners.includes(process) && !isLoopback(socket.local) && !this.seen.has(key)) this.report.openListeners.push({ process, socket });
        } else if (!isUnspecified(socket.remote)) {
          if (isLoopback(socket.remote)) this.report.loopbackPeers.add(`${process} -> ${socket.remote}:${socket.remotePort}`);
          else if (!this.seen.has(key)) this.report.offLoopback.push({ process, socket });
        }
        this.seen.add(key);
      }
    }
    this.report.samples++;
  }
}
