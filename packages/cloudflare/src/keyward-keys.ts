import {
  KEY_STATUSES,
  type KeyRecord,
  type KeyStatus,
  keySearchLikePattern,
  MAX_KEY_SEARCH_LENGTH,
} from '@keyward/core';
import type { DurableObjectStateLike, SqlStorageLike } from './bindings.js';
import { answer, badRequest, isFiniteNumber, readCall } from './protocol.js';
import { isRecord } from './record.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keyward_keys (
  id TEXT PRIMARY KEY,
  owner_id TEXT,
  environment TEXT NOT NULL,
  version INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keyward_keys_owner ON keyward_keys (owner_id, id);
CREATE INDEX IF NOT EXISTS keyward_keys_environment ON keyward_keys (environment, id);
`;

const MAX_PAGE = 1000;

/**
 * Each status over the stored JSON (no index: a filtered listing reads the records it walks; see
 * docs/cloudflare.md). `?` is now.
 */
const STATUS_SQL: Readonly<Record<KeyStatus, string>> = {
  revoked: "json_extract(record, '$.revokedAt') IS NOT NULL",
  disabled:
    "json_extract(record, '$.revokedAt') IS NULL AND json_extract(record, '$.disabled') = 1",
  expired:
    "json_extract(record, '$.revokedAt') IS NULL AND coalesce(json_extract(record, '$.disabled'), 0) = 0 AND json_extract(record, '$.expiresAt') <= ?",
  active:
    "json_extract(record, '$.revokedAt') IS NULL AND coalesce(json_extract(record, '$.disabled'), 0) = 0 AND coalesce(json_extract(record, '$.expiresAt') > ?, 1)",
};

const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || typeof value === 'string';

/**
 * The Durable Object behind {@link DurableObjectKeyStore}: every key record of a deployment in
 * one SQLite-backed object. Each operation is one synchronous SQL statement on the object's own
 * database, so an insert refuses a duplicate id and an update compares the version atomically,
 * whichever Worker or location calls; a read right after a write (a revocation) sees it.
 *
 * It needs SQLite storage: declare it under `new_sqlite_classes`. Without it every call fails
 * with `store_unavailable` (code `sqlite_required` in the message).
 *
 * @example
 * ```ts
 * // worker.ts
 * export { KeywardKeys } from '@keyward/cloudflare';
 * // wrangler.toml
 * // [[durable_objects.bindings]]
 * // name = "KEYWARD_KEYS"
 * // class_name = "KeywardKeys"
 * // [[migrations]]
 * // tag = "v1"
 * // new_sqlite_classes = ["KeywardKeys"]
 * ```
 */
export class KeywardKeys {
  readonly #sql: SqlStorageLike | undefined;

  constructor(state: DurableObjectStateLike, _env?: unknown) {
    let sql: SqlStorageLike | undefined;
    try {
      sql = state.storage.sql;
      sql?.exec(SCHEMA);
    } catch {
      sql = undefined;
    }
    this.#sql = sql;
  }

  /**
   * Answers `POST /get` `{ id }`, `/insert` `{ record }`, `/update` `{ record, expectedVersion }`
   * and `/list` `{ ownerId?, environment?, status?, search?, now?, limit, cursor? }`; anything
   * else with 400.
   *
   * @example
   * ```ts
   * const response = await stub.fetch('https://keyward/get', { method: 'POST', body: JSON.stringify({ id }) });
   * ```
   */
  async fetch(request: Request): Promise<Response> {
    const call = await readCall(request);
    if (call === undefined) return badRequest();
    const sql = this.#sql;
    if (sql === undefined) return answer({ code: 'sqlite_required' }, 500);
    const { operation, body } = call;
    switch (operation) {
      case 'get':
        return typeof body.id === 'string' ? this.#get(sql, body.id) : badRequest();
      case 'insert':
        return isRecord(body.record) ? this.#insert(sql, body.record) : badRequest();
      case 'update':
        return isRecord(body.record) && Number.isSafeInteger(body.expectedVersion)
          ? this.#update(sql, body.record, body.expectedVersion as number)
          : badRequest();
      case 'list':
        return this.#list(sql, body);
      default:
        return badRequest();
    }
  }

  #get(sql: SqlStorageLike, id: string): Response {
    const [row] = sql.exec('SELECT record FROM keyward_keys WHERE id = ?', id).toArray();
    return jsonText(row === undefined ? 'null' : String(row.record));
  }

  #insert(sql: SqlStorageLike, record: KeyRecord): Response {
    const { id, ownerId, environment, version } = record;
    const inserted = sql
      .exec(
        `INSERT INTO keyward_keys (id, owner_id, environment, version, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        id,
        ownerId ?? null,
        environment,
        version,
        JSON.stringify(record),
      )
      .toArray();
    return inserted.length === 1
      ? answer({ inserted: true })
      : answer({ code: 'duplicate_key_id' }, 409);
  }

  #update(sql: SqlStorageLike, record: KeyRecord, expectedVersion: number): Response {
    const { id, ownerId, environment, version } = record;
    const written = sql
      .exec(
        `UPDATE keyward_keys SET owner_id = ?, environment = ?, version = ?, record = ?
         WHERE id = ? AND version = ? RETURNING id`,
        ownerId ?? null,
        environment,
        version,
        JSON.stringify(record),
        id,
        expectedVersion,
      )
      .toArray();
    return answer({ written: written.length === 1 });
  }

  #list(sql: SqlStorageLike, query: Record<string, unknown>): Response {
    const { ownerId, environment, limit, cursor, status, search, now } = query;
    if (
      !optionalString(ownerId) ||
      !optionalString(environment) ||
      !optionalString(cursor) ||
      !isFiniteNumber(limit) ||
      !Number.isSafeInteger(limit) ||
      limit < 1 ||
      limit > MAX_PAGE ||
      (status !== undefined && !KEY_STATUSES.includes(status as KeyStatus)) ||
      !optionalString(search) ||
      (search !== undefined && search.length > MAX_KEY_SEARCH_LENGTH) ||
      (now !== undefined && !isFiniteNumber(now))
    ) {
      return badRequest();
    }
    const where = ['id > ?'];
    const bindings: unknown[] = [cursor ?? ''];
    if (ownerId !== undefined) {
      where.push('owner_id = ?');
      bindings.push(ownerId);
    }
    if (environment !== undefined) {
      where.push('environment = ?');
      bindings.push(environment);
    }
    if (status !== undefined) {
      where.push(STATUS_SQL[status as KeyStatus]);
      if (status === 'active' || status === 'expired') bindings.push(now ?? Date.now());
    }
    if (search !== undefined && search !== '') {
      where.push("(id = ? OR lower(json_extract(record, '$.name')) LIKE ? ESCAPE '\\')");
      bindings.push(search, keySearchLikePattern(search));
    }
    const rows = sql
      .exec(
        `SELECT id, record FROM keyward_keys WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`,
        ...bindings,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const next =
      rows.length > limit && last !== undefined ? `,"cursor":${JSON.stringify(last.id)}` : '';
    // Records are stored as JSON text: the page is spliced from them, not parsed and re-encoded.
    return jsonText(`{"items":[${page.map((row) => String(row.record)).join(',')}]${next}}`);
  }
}

function jsonText(text: string): Response {
  return new Response(text, { headers: { 'content-type': 'application/json' } });
}
