import { randomBytes } from 'node:crypto';

/** Short random ids with a readable prefix: `run_1a2b3c4d5e6f`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function now(): string {
  return new Date().toISOString();
}
