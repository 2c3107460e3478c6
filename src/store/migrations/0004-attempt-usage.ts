import type { Kysely } from 'kysely';

// A failed attempt has no artifact to carry its metrics, but its model calls were billed: the LLM
// usage the engine reported with the failure is kept with the attempt, so the budgets count it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('step_attempts').addColumn('metrics', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('step_attempts').dropColumn('metrics').execute();
}
