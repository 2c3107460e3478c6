import { randomUUID } from 'node:crypto';

/**
 * Short random ids with a readable prefix: `run_1a2b3c4d5e6f`. The 12 hex digits come from a v4 UUID,
 * ahead of its version digit: randomUUID draws on a cached entropy pool, randomBytes asks the OS each time.
 */
export function newId(prefix: string): string {
  const uuid = randomUUID();
  return `${prefix}_${uuid.slice(0, 8)}${uuid.slice(9, 13)}`;
}

export function now(): string {
  return new Date().toISOString();
}
