import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Deployed services are detached processes by design. A test that deploys must stop what it
 * started; this fails the whole run when one is left behind (and cleans it up), so leaks show.
 */
const SUPERVISOR = 'local-process/supervisor';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function supervisorsYoungerThan(seconds: number): { pid: number; args: string }[] {
  const table = execFileSync('ps', ['-eo', 'pid=,etimes=,args='], { encoding: 'utf8' });
  return table.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    // Only this checkout's supervisors: other checkouts on the machine may be testing at the same time.
    if (match === null || !match[3]!.includes(SUPERVISOR) || !match[3]!.includes(ROOT)) return [];
    return Number(match[2]) <= seconds ? [{ pid: Number(match[1]), args: match[3]! }] : [];
  });
}

export default function setup(): () => void {
  const started = Date.now();
  return () => {
    const leaked = supervisorsYoungerThan(Math.ceil((Date.now() - started) / 1000) + 1);
    for (const { pid } of leaked) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    if (leaked.length > 0) {
      throw new Error(
        `tests left ${leaked.length} deployment supervisor(s) running:\n${leaked.map((l) => l.args).join('\n')}`,
      );
    }
  };
}
