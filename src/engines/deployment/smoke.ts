import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { SmokeCheck } from '../../contracts/deployment.js';

const MAX_SMOKE_PATHS = 20;

const OpenApiPaths = z.object({
  paths: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).default({}),
});

/**
 * GET operations without path parameters from the workspace's API document (openapi.yaml or
 * openapi.json): one list endpoint per resource, which a live deployment must answer with 2xx.
 */
export async function smokePathsFromWorkspace(workspace: string): Promise<string[]> {
  for (const name of ['openapi.yaml', 'openapi.yml', 'openapi.json']) {
    let text: string;
    try {
      text = await readFile(join(workspace, name), 'utf8');
    } catch {
      continue;
    }
    let raw: unknown;
    try {
      raw = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch {
      return [];
    }
    const doc = OpenApiPaths.safeParse(raw);
    if (!doc.success) return [];
    return Object.entries(doc.data.paths)
      .filter(([path, ops]) => !path.includes('{') && ops !== null && 'get' in ops)
      .map(([path]) => path)
      .filter((path) => path !== '/health' && path !== '/metrics')
      .slice(0, MAX_SMOKE_PATHS);
  }
  return [];
}

async function check(baseUrl: string, path: string, timeoutMs: number): Promise<SmokeCheck> {
  const began = performance.now();
  try {
    const res = await fetch(new URL(path, baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    const ok = res.status >= 200 && res.status < 300;
    return {
      name: `GET ${path} answers 2xx`,
      method: 'GET',
      path,
      status: res.status,
      ok,
      durationMs: Math.round(performance.now() - began),
      error: ok ? null : `answered ${res.status}`,
      testId: null,
      requirementIds: [],
    };
  } catch (err) {
    return {
      name: `GET ${path} answers 2xx`,
      method: 'GET',
      path,
      status: 0,
      ok: false,
      durationMs: Math.round(performance.now() - began),
      error: (err as Error).message,
      testId: null,
      requirementIds: [],
    };
  }
}

/** `GET healthPath` must answer 200, and each smoke path 2xx, against the live URL. */
export async function runSmokeChecks(
  baseUrl: string,
  smokePaths: string[],
  options: { healthPath?: string; timeoutMs?: number } = {},
): Promise<{ healthStatus: number; checks: SmokeCheck[] }> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const health = await check(baseUrl, options.healthPath ?? '/health', timeoutMs);
  health.name = `GET ${health.path} answers 200`;
  health.ok = health.status === 200;
  const checks = [health];
  for (const path of smokePaths) checks.push(await check(baseUrl, path, timeoutMs));
  return { healthStatus: health.status, checks };
}
