import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-core.js';
import * as m0002 from './0002-deployments.js';
import * as m0003 from './0003-api-auth.js';
import * as m0004 from './0004-attempt-usage.js';

/** Every migration, in order. Add a file here and a line below; never edit a shipped migration. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-core': m0001,
  '0002-deployments': m0002,
  '0003-api-auth': m0003,
  '0004-attempt-usage': m0004,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
