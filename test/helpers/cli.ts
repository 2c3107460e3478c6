import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO, 'dist/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `powerauto` as a real child process with its own POWERAUTO_HOME. */
export function powerauto(
  home: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, POWERAUTO_HOME: home, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export function spawnPowerauto(home: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { ...process.env, POWERAUTO_HOME: home, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** A config that serves the given roles from a fixture engine script over stdio. */
export async function writeStdioEngineConfig(
  home: string,
  script: string,
  roles: string[],
  env: Record<string, string>,
) {
  const config = {
    scheduler: { backoffBaseMs: 50, backoffMaxMs: 200 },
    engines: {
      engines: roles.map((role) => ({
        role,
        transport: {
          type: 'stdio',
          command: process.execPath,
          args: ['--import', 'tsx', join(REPO, script), role],
          env,
          cwd: REPO,
        },
        timeoutMs: 30_000,
      })),
    },
  };
  await writeFile(join(home, 'config.json'), JSON.stringify(config, null, 2));
}

/** Reads the product's database as an outside observer (WAL lets it read while a run writes). */
export function readDb<T>(home: string, query: (db: Database.Database) => T): T {
  const db = new Database(join(home, 'powerauto.db'), { readonly: true, fileMustExist: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined && value !== false) return value;
    } catch {
      // Not there yet (database not created, row missing).
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
