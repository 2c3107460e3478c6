import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, it, vi } from 'vitest';
import { type NotificationRecord, Notifier } from './notify.js';

// The real collector, so the test reproduces what a busy process does to short-lived signals.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

it('gives up on a receiver that never answers after its timeout, even when garbage is collected meanwhile', async () => {
  server = createServer(() => undefined);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const records: NotificationRecord[] = [];
  const notifier = new Notifier([{ url, retries: 1, timeoutMs: 200, backoffMs: 20 }], (r) => records.push(r));
  const collect = setInterval(gc, 10);
  try {
    for (let i = 0; i < 5; i++) notifier.send(`alert_${i}`, {});
    await vi.waitFor(() => expect(records).toHaveLength(5), { timeout: 5_000, interval: 50 });
  } finally {
    clearInterval(collect);
    await notifier.close(0);
  }
  for (const r of records) {
    expect(r).toMatchObject({ delivered: false, attempts: 2, lastError: 'no answer within 200 ms' });
    expect(r.durationMs).toBeLessThan(2_000);
  }
});
