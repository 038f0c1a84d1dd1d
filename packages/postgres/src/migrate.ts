import type { PostgresQueryable } from './queryable.js';
import { metaTableSql, SCHEMA_VERSION, schemaSteps } from './schema.js';
import { DEFAULT_TABLE, parseTableName } from './table-name.js';
import { siblingTable } from './usage.js';

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
 * Brings keyward's tables to the current schema: it reads the version recorded in
 * `<table>_meta` and applies every step after it (a database made by an older release is upgraded
 * in place), then records the new version; it refuses a database of a newer version. Safe to run
 * at every start, twice, or from several processes at once: it runs as one transaction under an
 * advisory lock. Throws a TypeError for an invalid table name.
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
  const table = parseTableName(options.table ?? DEFAULT_TABLE);
  const meta = siblingTable(table, 'meta').sql;
  const steps = schemaSteps(table)
    .map(
      ({ version, sql }) =>
        `  IF current < ${version} THEN\n    EXECUTE $keyward_step_${version}$${sql}$keyward_step_${version}$;\n  END IF;\n`,
    )
    .join('');
  // One simple-protocol query with several statements runs as a single implicit transaction, so
  // the transaction-scoped advisory lock serialises concurrent migrations on any pool or client.
  await pool.query({
    text: `SELECT pg_advisory_xact_lock(hashtext('keyward:migrate'));
${metaTableSql(table)}DO $keyward_migrate$
DECLARE current integer;
BEGIN
  SELECT value::integer INTO current FROM ${meta} WHERE name = 'schema_version';
  current := coalesce(current, 0);
  IF current > ${SCHEMA_VERSION} THEN
    RAISE EXCEPTION 'this database has keyward schema version %; this @keyward/postgres supports up to ${SCHEMA_VERSION} (upgrade @keyward/postgres)', current;
  END IF;
${steps}  INSERT INTO ${meta} (name, value) VALUES ('schema_version', '${SCHEMA_VERSION}')
  ON CONFLICT (name) DO UPDATE SET value = excluded.value;
END
$keyward_migrate$;`,
  });
}
