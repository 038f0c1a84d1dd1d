import {
  type AuditDraft,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  type BucketState,
  countQuota,
  DuplicateKeyIdError,
  InvalidOptionsError,
  KEY_STATUSES,
  type KeyListQuery,
  type KeyPage,
  type KeyRecord,
  type KeyStatus,
  type KeyStore,
  keySearchLikePattern,
  type LimitResult,
  type LimitStore,
  type Quota,
  type QuotaState,
  type RateLimit,
  takeToken,
  type UsageQuery,
  type UsageRetentionDays,
  type UsageRow,
  type UsageStore,
  type UsageTotal,
  usageRetention,
} from '@keyward/core';
import Database from 'better-sqlite3';
import { SqliteAudit } from './audit.js';
import { createPrivateFile } from './private-file.js';
import { fromRow, type KeyParams, type KeyRow, toParams } from './record-row.js';
import { ensureSchema } from './schema.js';
import { SqliteUsage } from './usage.js';

/**
 * Options of {@link SqliteStore}: a file `path` the store opens (and closes), or a better-sqlite3
 * `database` you already have (the store never closes it).
 *
 * @example
 * ```ts
 * new SqliteStore({ path: './keyward.db' });
 * new SqliteStore({ database: new Database('./app.db') });
 * ```
 */
export type SqliteStoreOptions =
  | {
      /**
       * The database file; created if missing, with mode 0600 (owner only), and so are its
       * `-wal` and `-shm` files. An existing file's mode is left as it is.
       */
      path: string;
      /** How long a write waits for another connection's lock; default 1000 ms. */
      busyTimeoutMs?: number | undefined;
      /** How long usage is kept per granularity; default minute 7, hour 90, day 1095 days. */
      usageRetentionDays?: UsageRetentionDays | undefined;
      database?: undefined;
    }
  | {
      /** An open better-sqlite3 database. Its pragmas (journal mode…) are left as you set them. */
      database: Database.Database;
      path?: undefined;
      busyTimeoutMs?: undefined;
      /** How long usage is kept per granularity; default minute 7, hour 90, day 1095 days. */
      usageRetentionDays?: UsageRetentionDays | undefined;
    };

const COLUMNS = [
  'id',
  'environment',
  'name',
  'owner_id',
  'hash',
  'previous_hash',
  'previous_hash_expires_at',
  'scopes',
  'ips',
  'referrers',
  'rate_capacity',
  'rate_refill_per_second',
  'quota_limit',
  'quota_period',
  'expires_at',
  'disabled',
  'revoked_at',
  'revoked_reason',
  'metadata',
  'created_at',
  'updated_at',
  'rotated_at',
  'version',
] as const;

const INSERT_SQL = `INSERT INTO keyward_keys (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`;
const UPDATE_SQL = `UPDATE keyward_keys SET ${COLUMNS.filter((c) => c !== 'id')
  .map((c) => `${c} = @${c}`)
  .join(', ')} WHERE id = @id AND version = @expected_version`;

interface ListParams {
  owner_id?: string;
  environment?: string;
  now?: number;
  search?: string;
  pattern?: string;
  cursor: string;
  limit: number;
}

/**
 * SQL of each status, written as the partial indexes of schema step 5 are (literal `0`/`1`), so
 * SQLite can prove a query implies an index's WHERE.
 */
const STATUS_SQL: Readonly<Record<KeyStatus, string>> = {
  revoked: 'revoked_at IS NOT NULL',
  disabled: 'revoked_at IS NULL AND disabled = 1',
  expired: 'revoked_at IS NULL AND disabled = 0 AND expires_at <= @now',
  active: 'revoked_at IS NULL AND disabled = 0 AND (expires_at IS NULL OR expires_at > @now)',
};

/** Status filters are only valid as one of these; anything else would be spliced into SQL. */
function statusSql(status: unknown): string {
  if (!KEY_STATUSES.includes(status as KeyStatus)) {
    throw new InvalidOptionsError(`status must be one of ${KEY_STATUSES.join(', ')}`);
  }
  return STATUS_SQL[status as KeyStatus];
}

type Statement<P, R = unknown> = Database.Statement<[P], R>;
type UpdateParams = KeyParams & { expected_version: number };

function isDuplicate(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Keys, token buckets, quota windows, usage and the audit trail in one SQLite file
 * (better-sqlite3, WAL mode). Every method answers synchronously, so keyward's `verify` stays synchronous even on a cache miss.
 * Several processes may share the file: each take runs in one IMMEDIATE transaction and updates
 * use optimistic concurrency on `version`. The schema is created on open (see `docs/sqlite.md`).
 *
 * @example
 * ```ts
 * import { createKeyward } from '@keyward/core';
 * import { SqliteStore } from '@keyward/sqlite';
 *
 * const store = new SqliteStore({ path: './keyward.db' });
 * const keyward = createKeyward({ prefix: 'acme', store });
 * // on shutdown
 * store.close();
 * ```
 */
export class SqliteStore implements KeyStore, LimitStore, UsageStore, AuditStore {
  /** The better-sqlite3 database the store uses. */
  readonly database: Database.Database;
  readonly #owned: boolean;
  readonly #get: Database.Statement<[string], KeyRow>;
  readonly #insert: Statement<KeyParams>;
  readonly #update: Statement<KeyParams & { expected_version: number }>;
  /** List statements by the filters they have (at most 4 × 5 × 2 shapes), prepared on first use. */
  readonly #list = new Map<string, Statement<ListParams, KeyRow>>();
  readonly #take: (bucket: string, limit: RateLimit, cost: number, now: number) => LimitResult;
  readonly #count: (name: string, quota: Quota, cost: number, now: number) => LimitResult;
  readonly #audit: SqliteAudit;
  readonly #insertAudited: (record: KeyRecord, audit: AuditDraft) => void;
  readonly #updateAudited: (params: UpdateParams, audit: AuditDraft) => boolean;
  readonly #appendAudit: (draft: AuditDraft) => AuditRecord;
  readonly #usage: SqliteUsage;

  constructor(options: SqliteStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('SqliteStore needs { path } or { database }');
    }
    const { path, database } = options;
    const retention = usageRetention(options.usageRetentionDays);
    if ((path === undefined) === (database === undefined)) {
      throw new TypeError('SqliteStore needs exactly one of path and database');
    }
    if (database !== undefined) {
      if (typeof database?.prepare !== 'function' || typeof database.transaction !== 'function') {
        throw new TypeError('database must be a better-sqlite3 Database');
      }
      if (!database.open) throw new TypeError('database is closed');
      this.database = database;
      this.#owned = false;
    } else {
      if (typeof path !== 'string' || path.length === 0) {
        throw new TypeError('path must be a non-empty string');
      }
      const busyTimeoutMs = options.busyTimeoutMs ?? 1000;
      if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
        throw new TypeError('busyTimeoutMs must be a non-negative integer');
      }
      // better-sqlite3 trims the name; ':memory:' and '' are not files.
      const file = path.trim();
      if (file !== ':memory:' && file !== '') createPrivateFile(file);
      this.database = new Database(path, { timeout: busyTimeoutMs });
      this.#owned = true;
      try {
        this.database.pragma('journal_mode = WAL');
        this.database.pragma('synchronous = NORMAL');
      } catch (error) {
        this.database.close();
        throw error;
      }
    }
    const db = this.database;
    try {
      ensureSchema(db);
    } catch (error) {
      if (this.#owned) db.close();
      throw error;
    }
    this.#get = db.prepare<[string], KeyRow>('SELECT * FROM keyward_keys WHERE id = ?');
    this.#insert = db.prepare<KeyParams>(INSERT_SQL);
    this.#update = db.prepare<KeyParams & { expected_version: number }>(UPDATE_SQL);

    const getBucket = db.prepare<[string], { tokens: number; updated_at: number }>(
      'SELECT tokens, updated_at FROM keyward_buckets WHERE name = ?',
    );
    const putBucket = db.prepare<[string, number, number]>(
      'INSERT INTO keyward_buckets (name, tokens, updated_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at',
    );
    const take = db.transaction(
      (bucket: string, limit: RateLimit, cost: number, now: number): LimitResult => {
        const row = getBucket.get(bucket);
        const previous: BucketState | undefined =
          row === undefined ? undefined : { tokens: row.tokens, updatedAt: row.updated_at };
        const { state, result } = takeToken(previous, limit, cost, now);
        putBucket.run(bucket, state.tokens, state.updatedAt);
        return result;
      },
    );
    this.#take = take.immediate;

    const getQuota = db.prepare<[string], { window_start: number; used: number }>(
      'SELECT window_start, used FROM keyward_quotas WHERE name = ?',
    );
    const putQuota = db.prepare<[string, number, number]>(
      'INSERT INTO keyward_quotas (name, window_start, used) VALUES (?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET window_start = excluded.window_start, used = excluded.used',
    );
    const count = db.transaction(
      (name: string, quota: Quota, cost: number, now: number): LimitResult => {
        const row = getQuota.get(name);
        const previous: QuotaState | undefined =
          row === undefined ? undefined : { windowStart: row.window_start, used: row.used };
        const { state, result } = countQuota(previous, quota, cost, now);
        if (result.allowed || row === undefined || row.window_start !== state.windowStart) {
          putQuota.run(name, state.windowStart, state.used);
        }
        return result;
      },
    );
    this.#count = count.immediate;

    // Audited writes: the record and its audit entry in one IMMEDIATE transaction, which also
    // serialises appends from every process on the file.
    const audit = new SqliteAudit(db);
    this.#audit = audit;
    this.#insertAudited = db.transaction((record: KeyRecord, draft: AuditDraft) => {
      this.#insert.run(toParams(record));
      audit.append(draft);
    }).immediate;
    this.#updateAudited = db.transaction((params: UpdateParams, draft: AuditDraft) => {
      const written = this.#update.run(params).changes === 1;
      if (written) audit.append(draft);
      return written;
    }).immediate;
    this.#appendAudit = db.transaction((draft: AuditDraft) => audit.append(draft)).immediate;
    this.#usage = new SqliteUsage(db, retention);
  }

  /** The record with this id, or undefined. */
  getKey(id: string): KeyRecord | undefined {
    const row = this.#get.get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Stores a new record; throws `DuplicateKeyIdError` when the id exists. With `audit`, appends
   * the entry in the same transaction.
   */
  insertKey(record: KeyRecord, audit?: AuditDraft): void {
    try {
      if (audit === undefined) this.#insert.run(toParams(record));
      else this.#insertAudited(record, audit);
    } catch (error) {
      if (isDuplicate(error)) throw new DuplicateKeyIdError(record.id);
      throw error;
    }
  }

  /**
   * Replaces the record only if the stored one is at `expectedVersion`; false otherwise. With
   * `audit`, appends the entry in the same transaction when the record was written.
   */
  updateKey(record: KeyRecord, expectedVersion: number, audit?: AuditDraft): boolean {
    const params = { ...toParams(record), expected_version: expectedVersion };
    if (audit !== undefined) return this.#updateAudited(params, audit);
    return this.#update.run(params).changes === 1;
  }

  /**
   * Seals `draft` after the trail's last entry and appends it, in one IMMEDIATE transaction.
   *
   * @example
   * ```ts
   * store.appendAudit({ id: 'aud_1', at: Date.now(), type: 'key.updated', keyId: '4GhT9xQ2mPz1' });
   * ```
   */
  appendAudit(draft: AuditDraft): AuditRecord {
    return this.#appendAudit(draft);
  }

  /**
   * Audit entries in `seq` order, by key, since a time and after a seq.
   *
   * @example
   * ```ts
   * const entries = store.listAudit({ keyId: '4GhT9xQ2mPz1', limit: 100 });
   * ```
   */
  listAudit(query: AuditQuery): AuditRecord[] {
    return this.#audit.list(query);
  }

  /** Records matching the filters, ordered by id; the cursor is the last id of the page. */
  listKeys(query: KeyListQuery): KeyPage {
    const limit = Math.max(1, Math.min(1000, Math.trunc(query.limit)));
    const params: ListParams = { cursor: query.cursor ?? '', limit: limit + 1 };
    const { ownerId, environment, status, search } = query;
    const where: string[] = [];
    if (ownerId !== undefined) {
      where.push('owner_id = @owner_id');
      params.owner_id = ownerId;
    }
    if (environment !== undefined) {
      // With a status or search, `+` keeps SQLite from seeking the environment index (a third of
      // the table, read row by row) instead of a status index or the list index.
      const filtered = status !== undefined || (search !== undefined && search !== '');
      where.push(`${filtered ? '+' : ''}environment = @environment`);
      params.environment = environment;
    }
    if (status !== undefined) {
      where.push(statusSql(status));
      if (status === 'active' || status === 'expired') params.now = query.now ?? Date.now();
    }
    if (search !== undefined && search !== '') {
      where.push("(id = @search OR lower(name) LIKE @pattern ESCAPE '\\')");
      params.search = search;
      params.pattern = keySearchLikePattern(search);
    }
    where.push('id > @cursor');
    // The page's ids first, from whichever index answers the filters (the list index holds every
    // filtered column), then only those rows.
    const sql =
      'SELECT * FROM keyward_keys WHERE id IN (SELECT id FROM keyward_keys ' +
      `WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit) ORDER BY id`;
    let statement = this.#list.get(sql);
    if (statement === undefined) {
      statement = this.database.prepare<ListParams, KeyRow>(sql);
      this.#list.set(sql, statement);
    }
    const rows = statement.all(params);
    const items = rows.slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return rows.length > limit && last !== undefined ? { items, cursor: last.id } : { items };
  }

  /** Takes `cost` tokens from a bucket in one IMMEDIATE transaction. */
  takeToken(bucket: string, limit: RateLimit, cost: number, now: number): LimitResult {
    return this.#take(bucket, limit, cost, now);
  }

  /** Counts `cost` units against the quota window containing `now`, in one IMMEDIATE transaction. */
  countQuota(name: string, quota: Quota, cost: number, now: number): LimitResult {
    return this.#count(name, quota, cost, now);
  }

  /** Adds usage rows (minute rows; see `docs/sqlite.md`) and last uses in one transaction. */
  recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): void {
    this.#usage.record(rows, lastUsed, batchId);
  }

  /** Usage totals of a key, an owner or the deployment. */
  queryUsage(query: UsageQuery): UsageTotal[] {
    return this.#usage.query(query);
  }

  /** The last use of each given key that has one. */
  lastUsed(keyIds: readonly string[]): Map<string, number> {
    return this.#usage.lastUsed(keyIds);
  }

  /** Rolls minute rows past retention up into hours, hours into days; drops old days. */
  pruneUsage(now: number): void {
    this.#usage.prune(now);
  }

  /**
   * Closes the database if the store opened it (`path`); a `database` you passed stays open.
   * Idempotent.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => store.close());
   * ```
   */
  close(): void {
    if (this.#owned && this.database.open) this.database.close();
  }
}
