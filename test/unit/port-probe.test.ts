// The host-port check: a port held for a moment (by another check like it, e.g. a second meshup or
// a parallel test) is free; a port something keeps listening on is not. Real sockets, 127.0.0.1.

import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { portFree } from '../../src/preflight/checks.js';
import { freePort } from '../../src/util/ports.js';

describe('portFree', () => {
  it('counts a port held only for a moment as free, and one kept listening as in use', async () => {
    const port = await freePort();
    const brief = createServer().listen({ port, host: '127.0.0.1', exclusive: true });
    await once(brief, 'listening');
    setTimeout(() => brief.close(), 30);
    expect(await portFree(port)).toBe(true);

    const kept = createServer().listen({ port, host: '127.0.0.1', exclusive: true });
    await once(kept, 'listening');
    try {
      expect(await portFree(port)).toBe(false);
    } finally {
      kept.close();
    }
  });
});
