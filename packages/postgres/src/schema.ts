import { DEFAULT_TABLE, parseTableName } from './table-name.js';

/**
 * The DDL that creates keyward's key table and its indexes for `table` (default
 * `keyward_keys`; `name` or `schema.name`). Idempotent: every statement is `IF NOT EXISTS`.
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
  const { sql, name } = parseTableName(table);
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
