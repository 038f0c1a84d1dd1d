import { DEFAULT_TABLE, parseTableName, type TableName } from './table-name.js';
import { siblingTable, usageStepSql } from './usage.js';

/** The schema version {@link migrate} brings a database to: the number of the last step. */
export const SCHEMA_VERSION = 3;

/** Step 1, the first release's schema: the key table and its indexes. */
function keysStepSql({ sql, name }: TableName): string {
  return `CREATE TABLE IF NOT EXISTS ${sql} (
  id                       text COLLATE "C" PRIMARY KEY,
  environment              text NOT NULL CHECK (environment IN ('live', 'test')),
  name                     text NOT NULL,
  owner_id                 text COLLATE "C",
  hash                     text NOT NULL,
  previous_hash            text,
  previous_hash_expires_at bigint,
  scopes                   jsonb NOT NULL,
  ips                      jsonb,
  referrers                jsonb,
  rate_limit               jsonb,
  quota                    jsonb,
  expires_at               bigint,
  disabled                 boolean NOT NULL DEFAULT false,
  revoked_at               bigint,
  revoked_reason           text,
  metadata                 jsonb,
  created_at               bigint NOT NULL,
  updated_at               bigint NOT NULL,
  rotated_at               bigint,
  version                  integer NOT NULL CHECK (version >= 1)
);
CREATE INDEX IF NOT EXISTS "${name}_owner_idx" ON ${sql} (owner_id, id);
CREATE INDEX IF NOT EXISTS "${name}_environment_idx" ON ${sql} (environment, id);
`;
}

/**
 * The schema as ordered, idempotent steps; a database's `schema_version` (in `<table>_meta`) is
 * the number of the last step applied. Step 1: keys; step 3: usage.
 */
export function schemaSteps(table: TableName): { version: number; sql: string }[] {
  return [
    { version: 1, sql: keysStepSql(table) },
    { version: 3, sql: usageStepSql(table) },
  ];
}

/** `<table>_meta`: name/value pairs, `schema_version` among them. */
export function metaTableSql(table: TableName): string {
  const meta = siblingTable(table, 'meta');
  return `CREATE TABLE IF NOT EXISTS ${meta.sql} (
  name  text COLLATE "C" NOT NULL,
  value text NOT NULL,
  CONSTRAINT "${table.name}_meta_pk" PRIMARY KEY (name)
);
`;
}

/**
 * The DDL of keyward's tables for the key table `table` (default `keyward_keys`; `name` or
 * `schema.name`): the keys, usage and last use, and `<table>_meta` holding the schema version.
 * Idempotent: every statement is `IF NOT EXISTS`, and the recorded version never goes down.
 * Times are integer milliseconds since the epoch (BIGINT); restrictions and metadata are JSONB.
 * Throws a TypeError for an invalid table name.
 *
 * @example
 * ```ts
 * import { migrationSql } from '@keyward/postgres';
 * await fs.writeFile('migrations/001_keyward.sql', migrationSql('auth.api_keys'));
 * ```
 */
export function migrationSql(table: string = DEFAULT_TABLE): string {
  const parsed = parseTableName(table);
  const meta = siblingTable(parsed, 'meta').sql;
  return `${schemaSteps(parsed)
    .map((step) => step.sql)
    .join(
      '',
    )}${metaTableSql(parsed)}INSERT INTO ${meta} AS m (name, value) VALUES ('schema_version', '${SCHEMA_VERSION}')
ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE m.value::integer < excluded.value::integer;
`;
}

/**
 * The migration for the default table `keyward_keys`, as shipped: run it with your own migration
 * tool instead of {@link migrate} if you prefer. Equal to `migrationSql()`.
 *
 * @example
 * ```ts
 * import { MIGRATION_SQL } from '@keyward/postgres';
 * await pool.query(MIGRATION_SQL);
 * ```
 */
export const MIGRATION_SQL: string = migrationSql();
