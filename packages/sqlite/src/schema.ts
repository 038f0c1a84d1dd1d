import type Database from 'better-sqlite3';
import { AUDIT_SQL } from './audit.js';

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
 * The schema as ordered, idempotent steps; a file records the number of the last step applied.
 * Steps 2 and 3 belong to other features and are added by them.
 */
const SCHEMA_STEPS: readonly { readonly step: number; readonly sql: string }[] = [
  { step: 1, sql: KEYS_SQL },
  { step: 4, sql: AUDIT_SQL },
];

/**
 * The schema version this package writes (the number of its last schema step); stored in
 * `keyward_meta` under `schema_version`.
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
 * Applies the schema steps a file has not had yet (all of them to a new file) and records the
 * version, in one IMMEDIATE transaction so processes opening the same file at once do not race.
 * Refuses a file written by a newer schema version.
 */
export function ensureSchema(db: Database.Database): void {
  db.transaction(() => {
    const hasMeta = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyward_meta'")
      .get();
    const row = hasMeta
      ? db
          .prepare<[], { value: string }>(
            "SELECT value FROM keyward_meta WHERE name = 'schema_version'",
          )
          .get()
      : undefined;
    const current = row === undefined ? 0 : Number(row.value);
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `this database has keyward schema version ${row?.value}; this @keyward/sqlite supports up to ${SCHEMA_VERSION} (upgrade @keyward/sqlite)`,
      );
    }
    for (const { step, sql } of SCHEMA_STEPS) if (step > current) db.exec(sql);
    if (current !== SCHEMA_VERSION) {
      db.prepare(
        "INSERT INTO keyward_meta (name, value) VALUES ('schema_version', ?) " +
          'ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ).run(String(SCHEMA_VERSION));
    }
  }).immediate();
}
