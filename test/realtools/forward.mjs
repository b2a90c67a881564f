// A published port of the Docker stand-in: listens on host:port and pipes every connection to
// a target on loopback (for instance a test API server standing in for a node's port 6443).
// Usage: node forward.mjs 127.0.0.1:LISTEN 127.0.0.1:TARGET
import { createConnection, createServer } from 'node:net';

const [listen, target] = process.argv.slice(2);
const split = (a) => {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
};
const l = split(listen);
const t = split(target);
if (t.host !== '127.0.0.1' && t.host !== 'localhost') {
  process.stderr.write('forward.mjs: targets must be on loopback\n');
  process.exit(2);
}
createServer((client) => {
  const upstream = createConnection(t.port, t.host);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
}).listen(l.port, l.host);
