import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiServer, type ApiServerOptions, startApiServer } from '../../src/api/server.js';
import { loadConfig } from '../../src/config/index.js';
import { type Runtime, startRuntime } from '../../src/orchestrator/runtime.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface Harness {
  home: string;
  runtime: Runtime;
  server: ApiServer;
  url: string;
  close(): Promise<void>;
}

/**
 * A real runtime (temp POWERAUTO_HOME, SQLite, embedded engines) behind a real server on port 0.
 * A second harness alive at the same time must share the first one's `home`: in-process engines
 * serve one home per process.
 */
export async function startHarness(options: ApiServerOptions = {}, sharedHome?: string): Promise<Harness> {
  const home = sharedHome ?? mkdtempSync(join(tmpdir(), 'powerauto-api-'));
  const runtime = await startRuntime(loadConfig({ POWERAUTO_HOME: home }));
  const server = await startApiServer(runtime, {
    host: '127.0.0.1',
    port: 0,
    adminPassword: ADMIN_PASSWORD,
    ...options,
  });
  return {
    home,
    runtime,
    server,
    url: server.url,
    async close() {
      await server.close();
      // Deployed services are detached on purpose; a test home must not leave any behind.
      if (sharedHome === undefined) {
        for (const deployment of await runtime.orchestrator.operations.deployments()) {
          if (deployment.runId !== null) await runtime.orchestrator.operations.stop(deployment.runId, 'test');
        }
      }
      await runtime.close();
      if (sharedHome === undefined) rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface Client {
  token: string;
  get(path: string): Promise<Response>;
  post(path: string, body?: unknown): Promise<Response>;
  json<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
}

export async function login(url: string, username: string, password: string): Promise<Client> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return client(url, token);
}

export function client(url: string, token: string): Client {
  const headers = { authorization: `Bearer ${token}` };
  const request = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  return {
    token,
    get: (path) => request(path),
    post: (path, body) => request(path, { method: 'POST', body: body ?? {} }),
    async json<T>(path: string, init?: { method?: string; body?: unknown }) {
      const res = await request(path, init);
      if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
