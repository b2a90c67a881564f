// An Istio release mirror on 127.0.0.1 for tests and benchmarks: it answers
// /<version>/<archive> and /<version>/<archive>.sha256 the way the project's GitHub releases do,
// can inject faults, and can pace the archive to a fixed rate so a benchmark pays for a download
// roughly as a real one costs. Plain JavaScript so that bench/ can use it without a build.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** @typedef {{ dir: string, tarball: string, sha256: string, file: string }} Release */
/** @typedef {'none' | 'bad-checksum' | 'truncate' | 'missing' | 'stall'} Fault */
/**
 * @typedef {object} ReleaseMirror
 * @property {string} url
 * @property {string[]} requests paths asked for, in order
 * @property {Fault} fault what goes wrong from the next request on
 * @property {number} rateBytesPerSec pace of archive bodies; 0 means as fast as possible
 * @property {() => Promise<void>} close
 */

const CHUNK = 64 * 1024;

/**
 * Writes body no faster than rate bytes a second: each chunk leaves when the running total would
 * have taken that long. Stops quietly when the client goes away.
 * @param {import('node:http').ServerResponse} res @param {Buffer} body @param {number} rate
 */
async function sendPaced(res, body, rate) {
  const started = performance.now();
  for (let off = 0; off < body.length; off += CHUNK) {
    if (res.destroyed) return;
    const wait = started + (off / rate) * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
    if (res.destroyed) return;
    if (!res.write(body.subarray(off, off + CHUNK))) {
      await new Promise((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve(undefined);
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

/**
 * Serves the releases given, keyed by version, on 127.0.0.1 only.
 * @param {Record<string, Release>} releases
 * @param {{ rateBytesPerSec?: number }} [opts]
 * @returns {Promise<ReleaseMirror>}
 */
export async function serveReleases(releases, opts = {}) {
  /** @type {ReleaseMirror} */
  const state = { url: '', requests: [], fault: 'none', rateBytesPerSec: opts.rateBytesPerSec ?? 0, close: async () => {} };
  /** @type {Map<string, Buffer>} */
  const bodies = new Map();
  const server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const m = /^\/([^/]+)\/([^/]+)$/.exec(req.url ?? '');
    const rel = m ? releases[m[1]] : undefined;
    if (!m || !rel || state.fault === 'missing') {
      res.writeHead(404).end('not found');
      return;
    }
    if (m[2] === `${rel.file}.sha256`) {
      const sum = state.fault === 'bad-checksum' ? '0'.repeat(64) : rel.sha256;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${sum}  ${rel.file}\n`);
      return;
    }
    if (m[2] !== rel.file) {
      res.writeHead(404).end('not found');
      return;
    }
    let body = bodies.get(rel.tarball);
    if (!body) {
      body = readFileSync(rel.tarball);
      bodies.set(rel.tarball, body);
    }
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(body.length) });
    if (state.fault === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.socket?.destroy();
    } else if (state.fault === 'stall') {
      res.write(body.subarray(0, 1024)); // and never finish: the client must give up or be stopped
    } else if (state.rateBytesPerSec > 0) {
      void sendPaced(res, body, state.rateBytesPerSec);
    } else {
      res.end(body);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = server.address();
  state.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
