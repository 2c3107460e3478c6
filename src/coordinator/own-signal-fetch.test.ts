import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownSignalFetch } from './own-signal-fetch.js';

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

describe('ownSignalFetch', () => {
  it('leaves no listener on the connection signal once each response body is read', async () => {
    const connection = new AbortController();
    const fetchWithOwnSignal = ownSignalFetch();
    for (let i = 0; i < 50; i++) {
      const response = await fetchWithOwnSignal(`${base}/ok`, { signal: connection.signal });
      expect(await response.text()).toBe('data: done\n\n');
    }
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(0);
    // Plain fetch, for contrast: the listeners stay until garbage collection.
    for (let i = 0; i < 5; i++) await (await fetch(`${base}/ok`, { signal: connection.signal })).text();
    expect(getEventListeners(connection.signal, 'abort').length).toBeGreaterThanOrEqual(5);
  });

  it('still cancels an open stream when the connection signal aborts', async () => {
    const connection = new AbortController();
    const response = await ownSignalFetch()(`${base}/hang`, { signal: connection.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(1);
    connection.abort(new Error('closing'));
    await expect(reader.read()).rejects.toThrow();
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(0);
  });

  it('drops the link when the reader cancels a stream it no longer wants', async () => {
    const connection = new AbortController();
    const response = await ownSignalFetch()(`${base}/hang`, { signal: connection.signal });
    const reader = response.body!.getReader();
    await reader.read();
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(1);
    await reader.cancel();
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(0);
  });
});
