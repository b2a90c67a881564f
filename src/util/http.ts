// HTTP GETs of downloads (an Istio release, the Gateway API bundle, image blobs) with node:http,
// not the global fetch: the first fetch() loads undici and compiles its WebAssembly HTTP parser,
// which cost the process 20 to 28 MiB of resident memory (measured in a fresh Node 20), more than
// anything else a cold `meshup up` did. What meshup needs of fetch is here: redirects followed,
// an AbortSignal that stops the request and its body, the status and headers, the body as a
// stream. Nothing is decompressed (no Accept-Encoding is sent), so a Content-Length is the size
// of the body as read.
import { type IncomingMessage, request as plainRequest } from 'node:http';
import { request } from 'node:https';

export interface GetOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  /** A response header (its first value), or undefined. */
  header(name: string): string | undefined;
  /** The body: read it, or cancel it. */
  body: IncomingMessage;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Drops the body unread. */
  cancel(): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** As many as fetch follows. */
const MAX_REDIRECTS = 20;
const IDLE_MS = 120_000;

function once(url: URL, o: GetOptions): Promise<IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error(`unsupported URL scheme: ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? request : plainRequest)(
      url,
      { headers: { 'user-agent': 'meshup', accept: '*/*', ...o.headers }, signal: o.signal },
      resolve,
    );
    req.on('error', reject);
    // A server that accepts and then says nothing (nor sends more of a body) fails the request
    // instead of holding the command forever, as fetch's own limits did.
    req.setTimeout(IDLE_MS, () => req.destroy(new Error(`${url.host} sent nothing for ${IDLE_MS / 1000}s`)));
    req.end();
  });
}

/** A GET, following redirects; rejects when no answer comes (the error's message says why). */
export async function httpGet(url: string, o: GetOptions = {}): Promise<HttpResponse> {
  let at = new URL(url);
  for (let hops = 0; ; hops++) {
    const res = await once(at, o);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location) {
      res.destroy();
      if (hops >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
      at = new URL(location, at);
      continue;
    }
    // The body stops with the request: an abort while it is read ends the read with an error.
    // A body the server cuts off before it is read (or while it waits to be) errors when nobody
    // listens yet; a reader still gets that error from the stream.
    res.on('error', () => undefined);
    const stop = () => res.destroy(o.signal?.reason instanceof Error ? o.signal.reason : new Error('aborted'));
    o.signal?.addEventListener('abort', stop, { once: true });
    res.once('close', () => o.signal?.removeEventListener('abort', stop));
    const text = async () => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    return {
      status,
      ok: status >= 200 && status < 300,
      header: (name) => {
        const v = res.headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      body: res,
      text,
      json: async () => JSON.parse(await text()),
      cancel: () => res.destroy(),
    };
  }
}
