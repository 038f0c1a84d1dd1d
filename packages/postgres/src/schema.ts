import { AUDIT_STEP, auditTableNames } from './audit.js';
import { DEFAULT_TABLE, parseTableName, relatedTable, type TableName } from './table-name.js';

/** Schema step 1: the key table and its indexes. */
function keysStep({ sql, name }: TableName): string {
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
 * The schema as ordered, idempotent steps. Steps 2 and 3 belong to other features and are added
 * by them; the version recorded is the number of the last step.
 */
const SCHEMA_STEPS: readonly {
  readonly step: number;
  readonly sql: (table: TableName) => string;
}[] = [
  { step: 1, sql: keysStep },
  { step: AUDIT_STEP, sql: (table) => auditTableNames(table).ddl },
];

/** The schema version this package writes: the number of its last step. */
export const SCHEMA_VERSION: number = SCHEMA_STEPS[SCHEMA_STEPS.length - 1]!.step;

/**
 * The DDL that creates (or brings up to date) keyward's tables for `table` (default
 * `keyward_keys`; `name` or `schema.name`): a `<table>_meta` table holding `schema_version`,
 * every schema step in order (the key table, the `<table>_audit` trail), then the version.
 * Idempotent: every statement is `IF NOT EXISTS`, and a database of a newer schema version is
 * refused. Times are integer milliseconds since the epoch (BIGINT); restrictions and metadata are
 * JSONB. Throws a TypeError for an invalid table name.
 *
 * @example
 * ```ts
 * import { migrationSql } from '@keyward/postgres';
 * await fs.writeFile('migrations/001_keyward.sql', migrationSql('auth.api_keys'));
 * ```
 */
export function migrationSql(table: string = DEFAULT_TABLE): string {
  const parsed = parseTableName(table);
  const meta = relatedTable(parsed, 'meta').sql;
  const current = `(SELECT value FROM ${meta} WHERE name = 'schema_version')`;
  return `CREATE TABLE IF NOT EXISTS ${meta} (
  name  text PRIMARY KEY,
  value text NOT NULL
);
DO $keyward$ BEGIN
  IF ${current}::integer > ${SCHEMA_VERSION} THEN
    RAISE EXCEPTION 'this database has keyward schema version %; this @keyward/postgres supports up to ${SCHEMA_VERSION} (upgrade @keyward/postgres)', ${current};
  END IF;
END $keyward$;
${SCHEMA_STEPS.map(({ sql }) => sql(parsed)).join('')}INSERT INTO ${meta} (name, value) VALUES ('schema_version', '${SCHEMA_VERSION}')
  ON CONFLICT (name) DO UPDATE SET value = excluded.value;
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
