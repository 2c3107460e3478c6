import { errorCodesWith, PowerAutoError } from '../contracts/errors.js';
import type { RunStatus } from '../contracts/models.js';

/** DESIGN.md section 8: 0 succeeded, 1 failed, 2 bad input or usage, 3 waiting at a gate. */
export const EXIT = { ok: 0, failed: 1, usage: 2, waiting: 3 } as const;

const USAGE_CODES: ReadonlySet<string> = new Set(errorCodesWith('usage'));

export function exitCodeForStatus(status: RunStatus): number {
  if (status === 'succeeded') return EXIT.ok;
  if (status === 'waiting_approval') return EXIT.waiting;
  return EXIT.failed;
}

export function exitCodeForError(err: unknown): number {
  return err instanceof PowerAutoError && USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.failed;
}

/** One line, no stack: what a person needs to fix the call. */
export function describeError(err: unknown): string {
  if (err instanceof PowerAutoError) return err.message;
  if (err instanceof Error && 'code' in err && err.code === 'SQLITE_CORRUPT') {
    return 'the database under POWERAUTO_HOME is corrupt';
  }
  return `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}

/** Wraps a command action so the exit code it returns becomes the process's. */
export function act<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await fn(...args);
  };
}
