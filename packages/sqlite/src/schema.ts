import type Database from 'better-sqlite3';
import { AUDIT_SQL } from './audit.js';
import { USAGE_SCHEMA_SQL } from './usage.js';

/** Schema step 1: keys, buckets, quota windows and the meta table. */
const KEYS_SQL = `
CREATE TABLE IF NOT EXISTS keyward_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS keyward_keys (
  id                       TEXT PRIMARY KEY,
  environment              TEXT NOT NULL CHECK (environment IN ('live', 'test')),
  name                     TEXT NOT NULL,
  owner_id                 TEXT,
  hash                     TEXT NOT NULL,
  previous_hash            TEXT,
  previous_hash_expires_at INTEGER,
  scopes                   TEXT NOT NULL,
  ips                      TEXT,
  referrers                TEXT,
  rate_capacity            REAL,
  rate_refill_per_second   REAL,
  quota_limit              INTEGER,
  quota_period             TEXT,
  expires_at               INTEGER,
  disabled                 INTEGER NOT NULL,
  revoked_at               INTEGER,
  revoked_reason           TEXT,
  metadata                 TEXT,
  created_at               INTEGER NOT NULL,
  updated_at               INTEGER NOT NULL,
  rotated_at               INTEGER,
  version                  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS keyward_keys_owner ON keyward_keys (owner_id, id);
CREATE INDEX IF NOT EXISTS keyward_keys_environment ON keyward_keys (environment, id);

CREATE TABLE IF NOT EXISTS keyward_buckets (
  name       TEXT PRIMARY KEY,
  tokens     REAL NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS keyward_quotas (
  name         TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  used         REAL NOT NULL
) WITHOUT ROWID;
`;

/**
 * Schema step 5: partial indexes in id order for `listKeys({ status })` (one per state, the
 * usable one carrying `expires_at` for active/expired), and one in id order holding every column
 * a list filters on, so a search (a substring: no index can seek it) reads that index instead of
 * every row, and fetches only the rows of its page. Only indexes, and idempotent: it runs again
 * whenever an earlier step is applied after it (see {@link SchemaStep.reapply}).
 */
const LIST_INDEXES_SQL = `
CREATE INDEX IF NOT EXISTS keyward_keys_revoked ON keyward_keys (id) WHERE revoked_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS keyward_keys_disabled ON keyward_keys (id)
  WHERE revoked_at IS NULL AND disabled = 1;
CREATE INDEX IF NOT EXISTS keyward_keys_usable ON keyward_keys (id, expires_at)
  WHERE revoked_at IS NULL AND disabled = 0;
CREATE INDEX IF NOT EXISTS keyward_keys_list ON keyward_keys
  (id, name, owner_id, environment, revoked_at, disabled, expires_at);
`;

/** One schema step. */
export interface SchemaStep {
  readonly step: number;
  readonly sql: string;
  /**
   * Idempotent and run again when an earlier step is applied after it: a file at steps 1,3,4,5
   * that gets step 2 later (which may rebuild the key table, dropping its indexes) gets step 5's
   * indexes back.
   */
  readonly reapply?: boolean;
}

/**
 * The schema as ordered, idempotent steps: 1 keys, 2 key types and routes (#14, not here yet:
 * it goes between 1 and 3), 3 usage and last use, 4 the audit trail, 5 the list indexes. A file
 * records the steps it has had (`schema_steps`, e.g. `1,3,4,5`) and the number of the last
 * (`schema_version`); opening it applies the steps it has not had, whatever their order, so a
 * file that skipped one (a release with steps 1, 3, 4 and 5, then one with 1 to 5) gets it in
 * place, and steps marked `reapply` after it run again.
 */
export const SCHEMA_STEPS: readonly SchemaStep[] = [
  { step: 1, sql: KEYS_SQL },
  // { step: 2, sql: KEY_TYPES_SQL }, (#14)
  { step: 3, sql: USAGE_SCHEMA_SQL },
  { step: 4, sql: AUDIT_SQL },
  { step: 5, sql: LIST_INDEXES_SQL, reapply: true },
];

/** `schema_steps` of a file up to date with `steps`. */
const stepList = (steps: readonly SchemaStep[]) => steps.map(({ step }) => step).join(',');

/**
 * The schema version this package writes (the number of its last schema step); stored in
 * `keyward_meta` under `schema_version`, beside `schema_steps` (the steps applied, `1,3,4`).
 *
 * @example
 * ```ts
 * db.prepare("SELECT value FROM keyward_meta WHERE name = 'schema_version'").get(); // { value: '4' }
 * ```
 */
export const SCHEMA_VERSION: number = SCHEMA_STEPS[SCHEMA_STEPS.length - 1]!.step;

/**
 * Every table SqliteStore creates on open: all schema steps in order. Every statement is
 * idempotent (`IF NOT EXISTS`), so running it on an existing file changes nothing. Times are
 * integer ms since the epoch; list-valued and object-valued fields are JSON text; absent optional
 * fields are NULL.
 *
 * @example
 * ```ts
 * // create the tables ahead of time, e.g. in your own migration tool
 * db.exec(SCHEMA_SQL);
 * ```
 */
export const SCHEMA_SQL: string = SCHEMA_STEPS.map(({ sql }) => sql).join('');

/**
 * Applies the schema steps a file has not had yet (all of them to a new file), then again every
 * `reapply` step after the first one applied, and records the steps, in one IMMEDIATE transaction so processes opening the same file at once do not
 * race. A file from before steps were recorded (no `schema_steps`) runs every step again: each
 * is idempotent. Refuses a file written by a newer schema version, or one that had a step this
 * package does not know.
 */
export function ensureSchema(
  db: Database.Database,
  steps: readonly SchemaStep[] = SCHEMA_STEPS,
): void {
  const version = steps[steps.length - 1]!.step;
  const all = stepList(steps);
  db.transaction(() => {
    const hasMeta = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyward_meta'")
      .get();
    const meta = new Map<string, string>();
    if (hasMeta) {
      const rows = db
        .prepare<[], { name: string; value: string }>(
          "SELECT name, value FROM keyward_meta WHERE name IN ('schema_version', 'schema_steps')",
        )
        .all();
      for (const { name, value } of rows) meta.set(name, value);
    }
    const stored = meta.get('schema_version');
    const current = stored === undefined ? 0 : Number(stored);
    const applied = stepsApplied(meta.get('schema_steps'));
    const unknown = [...applied].find((step) => !steps.some((s) => s.step === step));
    if (!(current <= version) || unknown !== undefined) {
      throw new Error(
        `this database has keyward schema version ${stored} (steps ${meta.get('schema_steps') ?? '?'}); this @keyward/sqlite supports up to ${version} (steps ${all}; upgrade @keyward/sqlite)`,
      );
    }
    let appliedNow = false;
    for (const { step, sql, reapply } of steps) {
      if (!applied.has(step) || (reapply === true && appliedNow)) {
        db.exec(sql);
        appliedNow = true;
      }
    }
    if (stored !== String(version) || meta.get('schema_steps') !== all) {
      const upsert = db.prepare<[string, string]>(
        'INSERT INTO keyward_meta (name, value) VALUES (?, ?) ' +
          'ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      );
      upsert.run('schema_version', String(version));
      upsert.run('schema_steps', all);
    }
  }).immediate();
}

/** The steps a `schema_steps` value lists; none when it is absent (every step runs again). */
function stepsApplied(value: string | undefined): Set<number> {
  if (value === undefined) return new Set();
  return new Set(value.split(',').map(Number));
}
