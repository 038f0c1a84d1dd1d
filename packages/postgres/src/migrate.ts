import type { PostgresQueryable } from './queryable.js';
import { migrationSql } from './schema.js';
import { DEFAULT_TABLE } from './table-name.js';

/**
 * Options of {@link migrate}.
 *
 * @example
 * ```ts
 * const options: MigrateOptions = { table: 'auth.api_keys' };
 * ```
 */
export interface MigrateOptions {
  /** Table to create: `name` or `schema.name`; default `keyward_keys`. The schema must exist. */
  table?: string | undefined;
}

/**
 * Creates keyward's tables, or brings them up to date in place: it applies the schema steps the
 * database has not had and records them in `<table>_meta` (see {@link migrationSql}); a
 * database of a newer version is refused. Safe to run at every start, twice, or from several
 * processes at once: it runs as one transaction under an advisory lock. Throws a TypeError for
 * an invalid table name.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { migrate } from '@keyward/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * await migrate(pool, { table: 'auth.api_keys' });
 * ```
 */
export async function migrate(
  pool: PostgresQueryable,
  options: MigrateOptions = {},
): Promise<void> {
  if (typeof (pool as { query?: unknown } | null)?.query !== 'function') {
    throw new TypeError('migrate() needs a pg.Pool or pg.Client');
  }
  const ddl = migrationSql(options.table ?? DEFAULT_TABLE);
  // One simple-protocol query with several statements runs as a single implicit transaction, so
  // the transaction-scoped advisory lock serialises concurrent migrations on any pool or client.
  await pool.query({ text: `SELECT pg_advisory_xact_lock(hashtext('keyward:migrate'));\n${ddl}` });
}
