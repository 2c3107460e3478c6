import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldRequests, ownSignalFetch } from './own-signal-fetch.js';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      return; // never ends
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: done\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A full collection, WeakRefs included: they are cleared only once the current job has ended. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

describe('ownSignalFetch', () => {
  it('puts one listener on the connection signal however many requests it carries', async () => {
    const connection = new AbortController();
    const fetchWithOwnSignal = ownSignalFetch();
    for (let i = 0; i < 50; i++) {
      const response = await fetchWithOwnSignal(`${base}/ok`, { signal: connection.signal });
      expect(await response.text()).toBe('data: done\n\n');
    }
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(1);
    // Plain fetch, for contrast: a listener per request, until garbage collection.
    for (let i = 0; i < 5; i++) await (await fetch(`${base}/ok`, { signal: connection.signal })).text();
    expect(getEventListeners(connection.signal, 'abort').length).toBeGreaterThanOrEqual(6);
  });

  it('cancels a stream still open when the connection signal aborts, even after a collection', async () => {
    const connection = new AbortController();
    const response = await ownSignalFetch()(`${base}/hang`, { signal: connection.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    // Nothing but the body keeps the request's controller alive now.
    await collectGarbage();
    connection.abort(new Error('closing'));
    await expect(reader.read()).rejects.toThrow();
  });

  it('forgets finished requests: what a connection holds stays bounded', async () => {
    const connection = new AbortController();
    const fetchWithOwnSignal = ownSignalFetch();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        await (await fetchWithOwnSignal(`${base}/ok`, { signal: connection.signal })).text();
      }
      await collectGarbage();
    }
    // 300 requests; finished ones are swept once collected, so far fewer are held.
    expect(heldRequests(connection.signal)).toBeLessThan(150);
    await (await fetchWithOwnSignal(`${base}/ok`, { signal: connection.signal })).text();
    expect(heldRequests(connection.signal)).toBeGreaterThan(0);
  });
});
