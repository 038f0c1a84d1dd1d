import type Database from 'better-sqlite3';
import { USAGE_SCHEMA_SQL } from './usage.js';

/**
 * The schema version this package writes; stored in `keyward_meta` under `schema_version`.
 *
 * @example
 * ```ts
 * db.prepare("SELECT value FROM keyward_meta WHERE name = 'schema_version'").get(); // { value: '1' }
 * ```
 */
export const SCHEMA_VERSION = 3;

/**
 * The tables SqliteStore creates on open. Every statement is idempotent (`IF NOT EXISTS`), so
 * opening an existing file changes nothing. Times are integer ms since the epoch; list-valued
 * and object-valued fields are JSON text; absent optional fields are NULL.
 *
 * @example
 * ```ts
 * // create the tables ahead of time, e.g. in your own migration tool
 * db.exec(SCHEMA_SQL);
 * ```
 */
export const SCHEMA_SQL = `
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
 * The schema as ordered, idempotent steps; `schema_version` is the number of the last step
 * applied. Step 1 is the first release's schema (SCHEMA_SQL), step 3 adds usage.
 */
const STEPS: readonly { readonly version: number; readonly sql: string }[] = [
  { version: 1, sql: SCHEMA_SQL },
  { version: 3, sql: USAGE_SCHEMA_SQL },
];

/**
 * Creates the tables (if missing) and applies every step newer than the file's schema version,
 * then records the version, in one IMMEDIATE transaction so processes opening the same file at
 * once do not race. Refuses a file written by a newer schema version.
 */
export function ensureSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS keyward_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
    );
    const row = db
      .prepare<[], { value: string }>(
        "SELECT value FROM keyward_meta WHERE name = 'schema_version'",
      )
      .get();
    const stored = Number(row?.value);
    const current = Number.isSafeInteger(stored) ? stored : 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `this database has keyward schema version ${row?.value}; this @keyward/sqlite supports up to ${SCHEMA_VERSION} (upgrade @keyward/sqlite)`,
      );
    }
    for (const step of STEPS) if (step.version > current) db.exec(step.sql);
    db.prepare(
      "INSERT INTO keyward_meta (name, value) VALUES ('schema_version', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    ).run(String(SCHEMA_VERSION));
  }).immediate();
}
