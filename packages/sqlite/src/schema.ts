import type Database from 'better-sqlite3';

/**
 * The schema version this package writes; stored in `keyward_meta` under `schema_version`.
 *
 * @example
 * ```ts
 * db.prepare("SELECT value FROM keyward_meta WHERE name = 'schema_version'").get(); // { value: '1' }
 * ```
 */
export const SCHEMA_VERSION = 1;

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
 * Creates the tables (if missing) and records the schema version, in one IMMEDIATE transaction
 * so processes opening the same file at once do not race. Refuses a file written by a newer
 * schema version.
 */
export function ensureSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA_SQL);
    const row = db
      .prepare<[], { value: string }>(
        "SELECT value FROM keyward_meta WHERE name = 'schema_version'",
      )
      .get();
    if (row === undefined) {
      db.prepare("INSERT INTO keyward_meta (name, value) VALUES ('schema_version', ?)").run(
        String(SCHEMA_VERSION),
      );
    } else if (Number(row.value) > SCHEMA_VERSION) {
      throw new Error(
        `this database has keyward schema version ${row.value}; this @keyward/sqlite supports up to ${SCHEMA_VERSION} (upgrade @keyward/sqlite)`,
      );
    }
  }).immediate();
}
