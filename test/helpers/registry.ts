// A real registry pair on 127.0.0.1, from the CNCF distribution registry test/cluster/build builds:
// an "upstream" holding small images the tests push with crane under real image names, a meter in
// front of it that counts the blob bytes it serves, and a pull-through cache (the registry's proxy
// mode) in front of the meter. Storage is a directory, so a cache restarted keeps what it holds.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcp } from 'node:net';
import { join } from 'node:path';
import { c as tarCreate } from 'tar';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createTcp();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface Registry {
  url: string;
  hostPort: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A registry serving `dir`; a pull-through cache of `proxy` when given. */
export async function startRegistry(bin: string, dir: string, proxy?: string): Promise<Registry> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ...(proxy ? ['proxy:', `  remoteurl: ${proxy}`] : []),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}`;
  const reg: Registry = {
    url,
    hostPort: `127.0.0.1:${port}`,
    async start() {
      child = spawn(join(bin, 'registry'), ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr?.on('data', (d) => {
        err += String(d);
      });
      for (let i = 0; i < 100; i++) {
        const ok = await fetch(`${url}/v2/`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        if (child.exitCode !== null) throw new Error(`registry exited: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`registry did not answer on ${url}: ${err}`);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
  await reg.start();
  return reg;
}

/** An HTTP proxy to `target` that counts the bytes of the blobs it serves. */
export async function meter(target: string): Promise<{ url: string; blobBytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.on('data', (chunk: Buffer) => {
        if (req.method === 'GET' && /\/blobs\//.test(req.url ?? '')) bytes += chunk.length;
      });
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return { url: `http://127.0.0.1:${port}`, blobBytes: () => bytes, close: () => new Promise((r) => server.close(() => r(undefined))) };
}

/** Pushes a one-layer image of `size` random bytes as registry/name, with crane. */
export async function pushImage(bin: string, work: string, hostPort: string, name: string, size: number): Promise<void> {
  const dir = join(work, `layer-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'payload'), randomBytes(size));
  const tarball = `${dir}.tar`;
  await tarCreate({ file: tarball, cwd: dir, portable: true }, ['payload']);
  execFileSync(join(bin, 'crane'), ['append', '--insecure', '-f', tarball, '-t', `${hostPort}/${name}`], { stdio: 'pipe' });
}
