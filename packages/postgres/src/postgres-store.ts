import {
  type AuditDraft,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  DuplicateKeyIdError,
  type InvalidationChannel,
  InvalidOptionsError,
  KEY_STATUSES,
  type KeyListQuery,
  type KeyPage,
  type KeyRecord,
  type KeyStatus,
  type KeyStore,
  keySearchLikePattern,
  type UsageQuery,
  type UsageRetentionDays,
  type UsageRow,
  type UsageStore,
  type UsageTotal,
  usageRetention,
} from '@keyward/core';
import { PostgresAudit } from './audit.js';
import { defaultChannel, listenStatement } from './channel-name.js';
import { InvalidationListener, type PostgresListenClient } from './invalidation.js';
import type { PostgresQueryable } from './queryable.js';
import { COLUMNS, fromRow, RAW_TYPES, type Row, toRow } from './row.js';
import { statementName } from './statement-name.js';
import { DEFAULT_TABLE, parseTableName } from './table-name.js';
import { PostgresUsage } from './usage.js';

/**
 * Options of {@link PostgresStore}.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { pool, table: 'auth.api_keys' };
 * ```
 */
export interface PostgresStoreOptions {
  /** A `pg.Pool` (recommended), `pg.Client` or `PoolClient` you own; keyward never ends it. */
  pool: PostgresQueryable;
  /** Table created by {@link migrate}: `name` or `schema.name`; default `keyward_keys`. */
  table?: string | undefined;
  /**
   * Use named prepared statements (parsed once per connection); default true. Set false behind
   * a pooler that cannot keep them, such as PgBouncer in transaction mode before 1.21.
   */
  prepare?: boolean | undefined;
  /** Cache invalidation over LISTEN/NOTIFY: the channel and the dedicated connection. */
  invalidation?: PostgresInvalidationOptions | undefined;
  /** How long usage is kept per granularity; default minute 7, hour 90, day 1095 days. */
  usageRetentionDays?: UsageRetentionDays | undefined;
}

/**
 * Options of a {@link PostgresStore}'s cache invalidation (LISTEN/NOTIFY).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const invalidation: PostgresInvalidationOptions = {
 *   client: () => new pg.Client({ connectionString: process.env.DATABASE_URL }),
 * };
 * new PostgresStore({ pool, invalidation });
 * ```
 */
export interface PostgresInvalidationOptions {
  /**
   * The NOTIFY channel, at most 63 bytes; default `keyward:<table>` (`keyward:keyward_keys`).
   * Every process of one deployment must use the same.
   */
  channel?: string | undefined;
  /**
   * Returns a new, unconnected `pg.Client` for the one connection that LISTENs; called again to
   * replace a lost connection. Default, when `pool` is a `pg.Pool`: a client made like the pool's
   * own (`new pool.Client(pool.options)`). Without either (a `pg.Client` as `pool` and no
   * `client`), the store publishes invalidations but does not receive them.
   */
  client?: (() => PostgresListenClient) | undefined;
}

type Statement = { name?: string; text: string };

const UNIQUE_VIOLATION = '23505';
/** Values PostgreSQL cannot store: NUL in text (22021), `\u0000` or a lone surrogate in JSON. */
const UNSTORABLE = new Set(['22021', '22P05', '22P02']);

/**
 * Maps a write's pg error to keyward's error, or returns it unchanged. Only a unique violation in
 * the key table (`keyTable`, unqualified; its one unique constraint is the id) is a duplicate key
 * id: one in the audit table is not. The table, not the constraint's name, which keeps its old
 * name when a table is renamed.
 */
function writeError(error: unknown, id: string, keyTable: string): unknown {
  const { code, table } = (error ?? {}) as { code?: unknown; table?: unknown };
  if (code === UNIQUE_VIOLATION && table === keyTable) return new DuplicateKeyIdError(id);
  if (typeof code === 'string' && UNSTORABLE.has(code)) {
    return new InvalidOptionsError(
      'a string in the key (name, owner, reason or metadata) holds a character PostgreSQL cannot store (NUL or a lone surrogate)',
    );
  }
  return error;
}
const SELECT_LIST = COLUMNS.join(', ');

/**
 * Each status as SQL, written as schema step 5's partial indexes are, so the planner can prove a
 * query implies an index's predicate. `lower(name COLLATE "C")` folds ASCII letters only, as
 * every store's search does.
 */
const STATUS_SQL: Readonly<Record<KeyStatus, string>> = {
  revoked: 'revoked_at IS NOT NULL',
  disabled: 'revoked_at IS NULL AND disabled',
  expired: 'revoked_at IS NULL AND NOT disabled AND expires_at <= $now',
  active: 'revoked_at IS NULL AND NOT disabled AND (expires_at IS NULL OR expires_at > $now)',
};

/** `new pool.Client(pool.options)` for a `pg.Pool`: how pg-pool makes its own clients. */
function clientLikePool(pool: unknown): (() => PostgresListenClient) | undefined {
  const { Client, options } = pool as { Client?: unknown; options?: unknown };
  if (typeof Client !== 'function' || typeof options !== 'object' || options === null) {
    return undefined;
  }
  return () => new (Client as new (config: object) => PostgresListenClient)(options);
}

/**
 * A keyward key store on one PostgreSQL table (create it with {@link migrate}). Updates use
 * optimistic concurrency on the `version` column; list pages are ordered by id. Use it as
 * `keyStore` with a limit store such as `RedisStore` or `MemoryStore`. It is also the usage store
 * (`<table>_usage`, `<table>_last_used`) and the audit store (`<table>_audit`, each entry written
 * with its key change).
 *
 * It is also an invalidation channel (LISTEN/NOTIFY), which `createKeyward` picks up: a key
 * changed or revoked by one process leaves every other process's cache at once. The first
 * subscription opens one dedicated connection; `keyward.close()` (the last unsubscribe) or
 * {@link PostgresStore.close} closes it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createKeyward, MemoryStore } from '@keyward/core';
 * import { migrate, PostgresStore } from '@keyward/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on('error', (err) => console.error('idle pg client failed', err));
 * await migrate(pool);
 * const keyward = createKeyward({
 *   prefix: 'acme',
 *   keyStore: new PostgresStore({ pool }),
 *   limitStore: new MemoryStore(),
 * });
 * ```
 */
export class PostgresStore implements KeyStore, UsageStore, AuditStore, InvalidationChannel {
  /** The table, as quoted SQL. */
  readonly table: string;
  /** The key table's name, unqualified, as PostgreSQL names it in errors. */
  readonly #tableName: string;
  /** The NOTIFY channel invalidations are sent and received on. */
  readonly channel: string;
  readonly #pool: PostgresQueryable;
  readonly #listener: InvalidationListener;
  readonly #get: Statement;
  readonly #insert: Statement;
  readonly #update: Statement;
  readonly #audit: PostgresAudit;
  readonly #usage: PostgresUsage;

  constructor(options: PostgresStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('PostgresStore needs an options object with a pool');
    }
    if (typeof (options.pool as { query?: unknown } | null)?.query !== 'function') {
      throw new TypeError('pool must be a pg.Pool or pg.Client');
    }
    const parsed = parseTableName(options.table ?? DEFAULT_TABLE);
    const table = parsed.sql;
    this.#tableName = parsed.name;
    this.table = table;
    this.#pool = options.pool;
    const params = COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
    const assignments = COLUMNS.slice(1)
      .map((column, i) => `${column} = $${i + 2}`)
      .join(', ');
    const get = `SELECT ${SELECT_LIST} FROM ${table} WHERE id = $1`;
    const insert = `INSERT INTO ${table} (${SELECT_LIST}) VALUES (${params})`;
    const update = `UPDATE ${table} SET ${assignments} WHERE id = $1 AND version = $${COLUMNS.length + 1}`;
    const prepare = options.prepare ?? true;
    if (typeof prepare !== 'boolean') throw new TypeError('prepare must be a boolean');
    const statement = (purpose: string, text: string) =>
      prepare ? { name: statementName(purpose, text), text } : { text };
    this.#get = statement('get', get);
    this.#insert = statement('insert', insert);
    this.#update = statement('update', update);

    const invalidation = options.invalidation ?? {};
    if (typeof invalidation !== 'object' || invalidation === null) {
      throw new TypeError('invalidation must be an object');
    }
    const newClient = invalidation.client ?? clientLikePool(options.pool);
    if (newClient !== undefined && typeof newClient !== 'function') {
      throw new TypeError('invalidation.client must be a function returning a new pg.Client');
    }
    const listen = listenStatement(invalidation.channel ?? defaultChannel(options.table));
    this.channel = listen.channel;
    this.#listener = new InvalidationListener(newClient, listen.channel, listen.sql);

    this.#audit = new PostgresAudit(
      options.pool,
      parsed,
      { insert, update, columns: COLUMNS.length },
      prepare,
    );
    this.#usage = new PostgresUsage(
      options.pool,
      parsed,
      usageRetention(options.usageRetentionDays),
      prepare,
    );
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    const { rows } = await this.#pool.query({ ...this.#get, values: [id], types: RAW_TYPES });
    const row = rows[0] as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  async insertKey(record: KeyRecord, audit?: AuditDraft): Promise<void> {
    const values = toRow(record);
    try {
      if (audit !== undefined) {
        await this.#audit.insertKey(values, audit);
        return;
      }
      await this.#pool.query({ ...this.#insert, values, types: RAW_TYPES });
    } catch (error) {
      throw writeError(error, record.id, this.#tableName);
    }
  }

  async updateKey(
    record: KeyRecord,
    expectedVersion: number,
    audit?: AuditDraft,
  ): Promise<boolean> {
    if (!Number.isSafeInteger(expectedVersion)) return false;
    const values = [...toRow(record), String(expectedVersion)];
    try {
      if (audit !== undefined) return await this.#audit.updateKey(values, audit);
      const { rowCount } = await this.#pool.query({ ...this.#update, values, types: RAW_TYPES });
      return rowCount === 1;
    } catch (error) {
      throw writeError(error, record.id, this.#tableName);
    }
  }

  /**
   * Seals `draft` after the trail's last entry and appends it to `<table>_audit`.
   *
   * @example
   * ```ts
   * await store.appendAudit({ id: 'aud_1', at: Date.now(), type: 'key.updated', keyId: '4GhT9xQ2mPz1' });
   * ```
   */
  appendAudit(draft: AuditDraft): Promise<AuditRecord> {
    return this.#audit.append(draft);
  }

  /**
   * Audit entries in `seq` order, by key, since a time and after a seq.
   *
   * @example
   * ```ts
   * const entries = await store.listAudit({ keyId: '4GhT9xQ2mPz1', limit: 100 });
   * ```
   */
  listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return this.#audit.list(query);
  }

  async listKeys(query: KeyListQuery): Promise<KeyPage> {
    const { limit, ownerId, environment, type, cursor, status, search } = query;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new TypeError('limit must be an integer from 1 to 1000');
    }
    const conditions: string[] = [];
    const values: unknown[] = [];
    const where = (condition: string, value: unknown) => {
      values.push(value);
      conditions.push(`${condition} $${values.length}`);
    };
    if (ownerId !== undefined) where('owner_id =', ownerId);
    if (environment !== undefined) where('environment =', environment);
    if (type !== undefined) where('type =', type);
    if (status !== undefined) {
      if (!KEY_STATUSES.includes(status)) {
        throw new InvalidOptionsError(`status must be one of ${KEY_STATUSES.join(', ')}`);
      }
      if (status === 'revoked' || status === 'disabled') conditions.push(STATUS_SQL[status]);
      else {
        values.push(String(query.now ?? Date.now()));
        conditions.push(STATUS_SQL[status].replace('$now', `$${values.length}`));
      }
    }
    if (search !== undefined && search !== '') {
      values.push(search, keySearchLikePattern(search));
      const [id, pattern] = [values.length - 1, values.length];
      conditions.push(`(id = $${id} OR lower(name COLLATE "C") LIKE $${pattern} ESCAPE '\\')`);
    }
    if (cursor !== undefined) where('id >', cursor);
    values.push(limit + 1);
    const text =
      `SELECT ${SELECT_LIST} FROM ${this.table}` +
      (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
      ` ORDER BY id LIMIT $${values.length}`;
    const { rows } = await this.#pool.query({ text, values, types: RAW_TYPES });
    const items = (rows as Row[]).slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return rows.length > limit && last !== undefined ? { items, cursor: last.id } : { items };
  }

  /**
   * Tells every subscribed keyward instance to drop its cached copy of `keyId`
   * (`SELECT pg_notify(channel, keyId)` on the pool).
   *
   * @example
   * ```ts
   * await store.publishInvalidation('4GhT9xQ2mPz1');
   * ```
   */
  async publishInvalidation(keyId: string): Promise<void> {
    await this.#pool.query({ text: 'SELECT pg_notify($1, $2)', values: [this.channel, keyId] });
  }

  /**
   * Calls `listener` with each invalidated id. The first subscription opens the LISTEN
   * connection; the returned function unsubscribes, and the last unsubscribe closes it.
   * The listener gets `undefined` when that connection listens again after it was lost (or after
   * its first attempts failed): notifications sent in between are lost, so drop everything.
   *
   * @example
   * ```ts
   * const unsubscribe = store.subscribeInvalidations((id) => (id ? cache.delete(id) : cache.clear()));
   * ```
   */
  subscribeInvalidations(listener: (keyId: string | undefined) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    return this.#listener.add(listener);
  }

  /**
   * Closes the LISTEN connection and stops reconnecting. The pool stays open: it is yours.
   * Idempotent.
   *
   * @example
   * ```ts
   * await keyward.close();
   * store.close();
   * await pool.end();
   * ```
   */
  close(): void {
    this.#listener.close();
  }

  /** Adds usage rows (as minute rows) and last uses in one statement; a batch id applies once. */
  recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): Promise<void> {
    return this.#usage.record(rows, lastUsed, batchId);
  }

  /** Usage totals of a key, an owner or the deployment. */
  queryUsage(query: UsageQuery): Promise<UsageTotal[]> {
    return this.#usage.query(query);
  }

  /** The last use of each given key that has one, in one query. */
  lastUsed(keyIds: readonly string[]): Promise<Map<string, number>> {
    return this.#usage.lastUsed(keyIds);
  }

  /** Rolls minute rows past retention into hour rows and hour rows into day rows; drops old days. */
  pruneUsage(now: number): Promise<void> {
    return this.#usage.prune(now);
  }
}
