import { AUDIT_STEP, auditTableNames } from './audit.js';
import { DEFAULT_TABLE, parseTableName, relatedTable, type TableName } from './table-name.js';
import { USAGE_STEP, usageStepSql } from './usage.js';

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
 * Schema step 2: key types and routes. Adds `type` (a row of an earlier release is a secret key)
 * and `routes`, and drops the CHECK that limited `environment` to live/test, whatever name it
 * has (PostgreSQL names it `<table>_environment_check`, cut to 63 bytes). Adding a column with a
 * constant default rewrites no row (PostgreSQL 11+).
 */
function keyTypesStep({ sql }: TableName): string {
  return `ALTER TABLE ${sql} ADD COLUMN IF NOT EXISTS type text NOT NULL DEFAULT 'secret';
ALTER TABLE ${sql} ADD COLUMN IF NOT EXISTS routes jsonb;
DO $keyward_environment_check$
DECLARE
  check_name name;
BEGIN
  FOR check_name IN
    SELECT conname FROM pg_constraint
    WHERE conrelid = '${sql}'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid)
        LIKE '%(environment = ANY (ARRAY[''live''::text, ''test''::text]))%'
  LOOP
    EXECUTE format('ALTER TABLE ${sql} DROP CONSTRAINT %I', check_name);
  END LOOP;
END
$keyward_environment_check$;
`;
}

/**
 * Schema step 5: partial indexes in id order for `listKeys({ status })`, one per state, the usable
 * one carrying `expires_at` for active/expired. A search (a substring: no B-tree index can seek
 * it) is a sequential scan with a top-N sort, which the planner picks by itself (see
 * docs/postgres.md). Only indexes, and idempotent: it runs again whenever an earlier step is
 * applied after it.
 */
function listIndexesStep({ sql, name }: TableName): string {
  return `CREATE INDEX IF NOT EXISTS "${name}_revoked_idx" ON ${sql} (id) WHERE revoked_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS "${name}_disabled_idx" ON ${sql} (id)
  WHERE revoked_at IS NULL AND disabled;
CREATE INDEX IF NOT EXISTS "${name}_usable_idx" ON ${sql} (id, expires_at)
  WHERE revoked_at IS NULL AND NOT disabled;
`;
}

/** One schema step. */
export interface SchemaStep {
  readonly step: number;
  readonly sql: (table: TableName) => string;
  /**
   * Idempotent and run again when an earlier step is applied after it: a database at steps
   * 1,3,4,5 that gets step 2 later (which may rebuild what step 5 indexes) gets step 5 again.
   */
  readonly reapply?: boolean;
}

/**
 * The schema as ordered, idempotent steps: 1 keys, 2 key types and routes, 3 usage and last use,
 * 4 the audit trail, 5 the list indexes. A database records the steps it has had
 * (`schema_steps`, e.g. `1,2,3,4,5`) and the number of the last
 * (`schema_version`); a migration applies the steps it has not had, whatever their order, so a
 * database that skipped one (a release with steps 1, 3, 4 and 5, then one with 1 to 5) gets it in
 * place, and steps marked `reapply` after it run again.
 */
export const SCHEMA_STEPS: readonly SchemaStep[] = [
  { step: 1, sql: keysStep },
  { step: 2, sql: keyTypesStep },
  { step: USAGE_STEP, sql: usageStepSql },
  { step: AUDIT_STEP, sql: (table) => auditTableNames(table).ddl },
  { step: 5, sql: listIndexesStep, reapply: true },
];

/** The schema version this package writes: the number of its last step. */
export const SCHEMA_VERSION: number = SCHEMA_STEPS[SCHEMA_STEPS.length - 1]!.step;

/**
 * The DDL that creates (or brings up to date) keyward's tables for `table` (default
 * `keyward_keys`; `name` or `schema.name`): a `<table>_meta` table holding `schema_version` and
 * `schema_steps`, then, in one block, every schema step the database has not had (the key table,
 * its `type` and `routes` columns, `<table>_usage` and `<table>_last_used`, the `<table>_audit`
 * trail, the list indexes), then what it now has. A
 * database from before steps were recorded runs every step again (each is idempotent, `IF NOT
 * EXISTS`); one of a newer schema version, or with a step this package does not know, is
 * refused. Times are integer milliseconds since the epoch (BIGINT); restrictions and metadata
 * are JSONB. Throws a TypeError for an invalid table name.
 *
 * @example
 * ```ts
 * import { migrationSql } from '@keyward/postgres';
 * await fs.writeFile('migrations/001_keyward.sql', migrationSql('auth.api_keys'));
 * ```
 */
export function migrationSql(table: string = DEFAULT_TABLE): string {
  return stepsSql(parseTableName(table), SCHEMA_STEPS);
}

/** {@link migrationSql} of any list of steps (tests add a later step 2 with it). */
export function stepsSql(parsed: TableName, schemaSteps: readonly SchemaStep[]): string {
  const version = schemaSteps[schemaSteps.length - 1]!.step;
  const all = schemaSteps.map(({ step }) => step).join(',');
  const meta = relatedTable(parsed, 'meta').sql;
  const known = `ARRAY[${all}]`;
  const steps = schemaSteps
    .map(({ step, sql, reapply }, i) => {
      const earlier = schemaSteps.slice(0, i).map((s) => s.step);
      const again =
        reapply === true && earlier.length > 0 ? ` OR NOT (ARRAY[${earlier}] <@ applied)` : '';
      return `  IF NOT (${step} = ANY (applied))${again} THEN
    EXECUTE $keyward_step_${step}$${sql(parsed)}$keyward_step_${step}$;
  END IF;
`;
    })
    .join('');
  return `CREATE TABLE IF NOT EXISTS ${meta} (
  name  text PRIMARY KEY,
  value text NOT NULL
);
DO $keyward$
DECLARE
  version text := (SELECT value FROM ${meta} WHERE name = 'schema_version');
  steps   text := (SELECT value FROM ${meta} WHERE name = 'schema_steps');
  applied integer[] := coalesce(string_to_array(steps, ',')::integer[], '{}');
BEGIN
  IF coalesce(version::integer, 0) > ${version} OR NOT (applied <@ ${known}) THEN
    RAISE EXCEPTION 'this database has keyward schema version % (steps %); this @keyward/postgres supports up to ${version} (steps ${all}; upgrade @keyward/postgres)', version, steps;
  END IF;
${steps}  INSERT INTO ${meta} (name, value) VALUES ('schema_version', '${version}'), ('schema_steps', '${all}')
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;
END
$keyward$;
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
