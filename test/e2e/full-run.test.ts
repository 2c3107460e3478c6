import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { powerauto } from '../helpers/cli.js';

interface Summary {
  runId: string;
  status: string;
  steps: { key: string; status: string }[];
  deployments: { environment: string; url: string; version: string; status: string; pid: number | null }[];
}

let home: string;
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Processes whose command line mentions this test's home: supervisors and released services. */
function processesOf(path: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .filter((line) => line.includes(path) && !line.includes(' ps '))
    .map((line) => line.trim());
}

describe('the full pipeline from the CLI', () => {
  it('ends with a live production URL, listed by deployments, and stop leaves no process behind', async () => {
    home = await mkdtemp(join(tmpdir(), 'powerauto-full-'));
    const result = await powerauto(home, [
      'run',
      'A todo service where users add tasks with a title and a due date. Users list tasks and delete tasks.',
      '--yes',
      '--detach',
      '--json',
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.status).toBe('succeeded');
    expect(summary.steps.map((s) => s.key)).toContain('monitoring');
    expect(summary.steps.every((s) => s.status === 'succeeded')).toBe(true);

    const production = summary.deployments.find((d) => d.environment === 'production');
    expect(production?.status).toBe('running');
    const url = production!.url;
    const health = await fetch(new URL('/health', url));
    expect(health.status).toBe(200);
    // The generated API itself answers on the production URL.
    const created = await fetch(new URL('/tasks', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'ship it', dueDate: '2026-12-01' }),
    });
    expect(created.status).toBe(201);
    const listed = (await (await fetch(new URL('/tasks', url))).json()) as unknown;
    expect(JSON.stringify(listed)).toContain('ship it');

    const listing = await powerauto(home, ['deployments', '--json']);
    const deployments = JSON.parse(listing.stdout) as {
      environment: string;
      url: string;
      live: boolean;
      runId: string;
    }[];
    expect(deployments).toContainEqual(
      expect.objectContaining({ environment: 'production', url, live: true, runId: summary.runId }),
    );
    expect(processesOf(home).length).toBeGreaterThan(0);

    const stopped = await powerauto(home, ['stop', summary.runId]);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopped production ${url}`);
    expect(processesOf(home)).toEqual([]);
    await expect(fetch(new URL('/health', url), { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    const after = JSON.parse((await powerauto(home, ['deployments', '--json'])).stdout) as {
      status: string;
    }[];
    expect(after.every((d) => d.status === 'stopped')).toBe(true);
    // Coding, sandboxed build and tests of a Fastify + Kysely service, the release build, two
    // deployments and monitoring: minutes on a shared 2-core machine.
  }, 300_000);
});
