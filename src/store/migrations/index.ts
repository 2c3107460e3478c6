import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-core.js';

/** Every migration, in order. Add a file here and a line below; never edit a shipped migration. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-core': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
