// A real registry pair on 127.0.0.1, from the CNCF distribution registry test/cluster/build builds:
// an "upstream" holding small images the tests push with crane under real image names, a meter in
// front of it that counts the blob bytes it serves, and a pull-through cache (the registry's proxy
// mode) in front of the meter. Storage is a directory, so a cache restarted keeps what it holds.
// Shared by the tests and bench/images.mjs; the meter can pace what it serves to a laptop's link.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createTcp } from 'node:net';
import { join } from 'node:path';
import { c as tarCreate } from 'tar';

/** @returns {Promise<number>} */
const freePort = () =>
  new Promise((resolve) => {
    const s = createTcp();
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {{ port: number }} */ (s.address());
      s.close(() => resolve(port));
    });
  });

/** @typedef {{ url: string, hostPort: string, stop(): Promise<void>, start(): Promise<void> }} Registry */

/**
 * A registry serving `dir`; a pull-through cache of `proxy` when given.
 * @param {string} bin @param {string} dir @param {string} [proxy]
 * @returns {Promise<Registry>}
 */
export async function startRegistry(bin, dir, proxy) {
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
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  const url = `http://127.0.0.1:${port}`;
  /** @type {Registry} */
  const reg = {
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
      const c = child;
      const exited = new Promise((r) => c.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
  await reg.start();
  return reg;
}

/**
 * An HTTP proxy to `target` that counts the bytes of the blobs it serves; with `rateBytesPerSec`,
 * every blob it serves shares that bandwidth (one link, as a laptop's to the internet).
 * @param {string} target @param {{ rateBytesPerSec?: number }} [opts]
 * @returns {Promise<{ url: string, blobBytes: () => number, close: () => Promise<void> }>}
 */
export async function meter(target, opts = {}) {
  let bytes = 0;
  const rate = opts.rateBytesPerSec ?? 0;
  // The link is free again at this time (ms): each chunk waits for its turn and takes its share.
  let freeAt = 0;
  const t = new URL(target);
  const server = createServer((req, res) => {
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      const blob = req.method === 'GET' && /\/blobs\//.test(req.url ?? '');
      // Each chunk of a paced blob goes out at its turn on the link; the end goes after the last.
      let sent = Promise.resolve();
      r.on('data', (/** @type {Buffer} */ chunk) => {
        if (blob) bytes += chunk.length;
        if (!blob || !rate) return void res.write(chunk);
        const start = Math.max(Date.now(), freeAt);
        freeAt = start + (chunk.length / rate) * 1000;
        const at = freeAt;
        r.pause();
        sent = sent.then(
          () =>
            new Promise((done) =>
              setTimeout(() => {
                res.write(chunk);
                r.resume();
                done(undefined);
              }, at - Date.now()),
            ),
        );
      });
      r.on('end', () => void sent.then(() => res.end()));
    });
    // Either side may hang up mid-blob (a cache that got what it needed): the other is let go.
    up.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    up.on('response', (r) => r.on('error', () => res.destroy()));
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  // The cache keeps connections to it open between blobs: Node's 5 s idle limit would close one
  // just as the cache sends the next request on it, and the cache would drop that blob's client.
  server.keepAliveTimeout = 120_000;
  /** @type {number} */
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(/** @type {{ port: number }} */ (server.address()).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    blobBytes: () => bytes,
    close: () =>
      new Promise((r) => {
        server.close(() => r(undefined));
        server.closeAllConnections();
      }),
  };
}

/**
 * Pushes a one-layer image of `size` random bytes as registry/name, with crane.
 * @param {string} bin @param {string} work @param {string} hostPort @param {string} name @param {number} size
 */
export async function pushImage(bin, work, hostPort, name, size) {
  const dir = join(work, `layer-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'payload'), randomBytes(size));
  const tarball = `${dir}.tar`;
  await tarCreate({ file: tarball, cwd: dir, portable: true }, ['payload']);
  execFileSync(join(bin, 'crane'), ['append', '--insecure', '-f', tarball, '-t', `${hostPort}/${name}`], { stdio: 'pipe' });
}
