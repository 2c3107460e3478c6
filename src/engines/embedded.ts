import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Role } from '../contracts/models.js';
import { PortTransport } from './port-transport.js';

/** Each role's server module, loaded on demand so an embedded engine costs nothing until used. */
const serverModules: Record<Role, () => Promise<{ createServer(): McpServer }>> = {
  requirements: () => import('./requirements/server.js'),
  architecture: () => import('./architecture/server.js'),
  coding: () => import('./coding/server.js'),
  testing: () => import('./testing/server.js'),
  deployment: () => import('./deployment/server.js'),
  monitoring: () => import('./monitoring/server.js'),
};

/** A fresh MCP server for one role's built-in (offline) engine. */
export async function loadEngineServer(role: Role): Promise<McpServer> {
  const mod = await serverModules[role]();
  return mod.createServer();
}

/** Kept of a worker's stderr, for error messages. */
const STDERR_TAIL_CHARS = 4_000;

/**
 * The role's built-in engine in a worker thread (src/engines/worker.ts), and the client end of
 * its MCP channel. Terminated when the transport closes; the transport closes when it exits.
 */
export function openEngineWorker(role: Role): { transport: PortTransport; stderrTail(): string } {
  const worker = newEngineWorker(role);
  const transport = new PortTransport(worker, () => worker.terminate());
  let tail = '';
  worker.stderr.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  worker.on('error', (err) => transport.onerror?.(err));
  worker.on('exit', () => transport.ended());
  return { transport, stderrTail: () => tail };
}

/**
 * Built, the worker's entry is plain JavaScript. Run from source (vitest, tsx), the thread loads
 * the .ts entry through tsx's API, as the rest of the source is loaded.
 */
function newEngineWorker(role: Role): Worker {
  const options = { workerData: { role }, stderr: true };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  // The ESM build of tsx's API: its CommonJS build cannot load ESM entries from a thread.
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(boot, { ...options, eval: true });
}
