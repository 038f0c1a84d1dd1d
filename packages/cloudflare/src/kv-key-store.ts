import {
  DuplicateKeyIdError,
  InvalidOptionsError,
  type KeyListQuery,
  type KeyPage,
  type KeyRecord,
  type KeyStore,
} from '@keyward/core';
import type { KvNamespaceBinding } from './bindings.js';
import { KvNames } from './kv-names.js';
import { parseRecord } from './record.js';
import { serialize } from './write-lock.js';

/**
 * Options of {@link KvKeyStore}.
 *
 * @example
 * ```ts
 * const options: KvKeyStoreOptions = { namespace: env.KEYS, prefix: 'acme' };
 * ```
 */
export interface KvKeyStoreOptions {
  /** The Workers KV binding (`[[kv_namespaces]]`). */
  namespace: KvNamespaceBinding;
  /** Start of every KV key name, `[A-Za-z0-9_.-]{1,64}`; default `keyward`. */
  prefix?: string | undefined;
}

/**
 * Most records a page holds. A Worker invocation may make 1,000 KV operations; a page costs one
 * list and one read per record.
 */
const MAX_PAGE = 100;
/** What marks a cursor as one of this store's: KV's own cursor follows it. */
const CURSOR_MARK = 'kv.';
const CURSOR = /^kv\.[A-Za-z0-9+/=_.-]{1,2048}$/;

function isNamespace(value: unknown): value is KvNamespaceBinding {
  const namespace = value as Partial<Record<keyof KvNamespaceBinding, unknown>> | null;
  return (
    typeof namespace === 'object' &&
    namespace !== null &&
    typeof namespace.get === 'function' &&
    typeof namespace.put === 'function' &&
    typeof namespace.delete === 'function' &&
    typeof namespace.list === 'function'
  );
}

/**
 * keyward's key store on Workers KV: records read at the edge from KV's cache, which is what a
 * Worker verifying keys on every request wants. KV is eventually consistent and has no
 * compare-and-set, so this store promises less than the others; read docs/cloudflare.md before
 * choosing it:
 *
 * - A change (a revocation too) reaches other locations within KV's propagation delay, up to 60 s
 *   or more, plus keyward's record cache TTL (30 s by default) in each isolate.
 * - `insertKey` refuses an id it can see; ids are 72 bits of randomness, so two locations drawing
 *   the same id within a minute does not happen in practice.
 * - `updateKey` compares the version it reads and writes; writes to one key are serialized within
 *   an isolate, so concurrent updates there are exact. Two isolates (or locations) updating the
 *   same key within KV's delay can both succeed and the last write wins. Keep key management in
 *   one place, or use {@link DurableObjectKeyStore}, which is exact everywhere.
 * - KV takes one write per key per second: a second change to one key within a second can fail
 *   (`store_unavailable`).
 *
 * @example
 * ```ts
 * import { createKeyward } from '@keyward/core';
 * import { DurableObjectLimitStore, KvKeyStore } from '@keyward/cloudflare';
 *
 * const keyward = createKeyward({
 *   prefix: 'acme',
 *   keyStore: new KvKeyStore({ namespace: env.KEYS }),
 *   limitStore: new DurableObjectLimitStore({ namespace: env.LIMITS }),
 * });
 * ```
 */
export class KvKeyStore implements KeyStore {
  readonly #kv: KvNamespaceBinding;
  readonly #names: KvNames;

  constructor(options: KvKeyStoreOptions) {
    if (typeof options !== 'object' || options === null || !isNamespace(options.namespace)) {
      throw new TypeError('KvKeyStore needs { namespace }: a Workers KV namespace binding');
    }
    const prefix = options.prefix ?? 'keyward';
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
      throw new TypeError('prefix must be 1–64 characters of A–Z, a–z, 0–9, "_", "." or "-"');
    }
    this.#kv = options.namespace;
    this.#names = new KvNames(prefix);
  }

  /**
   * The record with this id, or undefined; as fresh as KV's cache at this location.
   *
   * @example
   * ```ts
   * const record = await store.getKey('4GhT9xQ2mPz1');
   * ```
   */
  async getKey(id: string): Promise<KeyRecord | undefined> {
    const text = await this.#kv.get(this.#names.record(id), 'text');
    return text === null ? undefined : parseRecord(text, id);
  }

  /**
   * Stores a new record and its index entries; throws `DuplicateKeyIdError` when the id is
   * already visible here.
   *
   * @example
   * ```ts
   * await store.insertKey(record);
   * ```
   */
  insertKey(record: KeyRecord): Promise<void> {
    const name = this.#names.record(record.id);
    return serialize(name, async () => {
      if ((await this.#kv.get(name, 'text')) !== null) throw new DuplicateKeyIdError(record.id);
      const indexes = await this.#names.indexes(record.id, record.ownerId, record.environment);
      // Index entries first: one without its record is skipped by listings, never the reverse.
      await Promise.all(indexes.map((index) => this.#kv.put(index, '')));
      await this.#kv.put(name, JSON.stringify(record));
    });
  }

  /**
   * Replaces the record if the stored one is at `expectedVersion`, moving its index entries when
   * the owner or environment changed. Exact within an isolate; across isolates see the class
   * notes.
   *
   * @example
   * ```ts
   * const written = await store.updateKey({ ...record, name: 'renamed', version: 2 }, 1);
   * ```
   */
  updateKey(record: KeyRecord, expectedVersion: number): Promise<boolean> {
    const name = this.#names.record(record.id);
    return serialize(name, async () => {
      const stored = await this.getKey(record.id);
      if (stored === undefined || stored.version !== expectedVersion) return false;
      const before = await this.#names.indexes(stored.id, stored.ownerId, stored.environment);
      const after = await this.#names.indexes(record.id, record.ownerId, record.environment);
      await Promise.all(
        after.filter((index) => !before.includes(index)).map((index) => this.#kv.put(index, '')),
      );
      await this.#kv.put(name, JSON.stringify(record));
      await Promise.all(
        before.filter((index) => !after.includes(index)).map((index) => this.#kv.delete(index)),
      );
      return true;
    });
  }

  /**
   * Records matching the filters, in id order, at most 100 a page (fewer than `limit` with a
   * cursor means more may follow). The cursor is KV's; a page reflects KV's cache here, so a key
   * created or moved elsewhere in the last minute may be missing. `status` and `search` are
   * refused with an `InvalidOptionsError` (use `DurableObjectKeyStore` for a console).
   *
   * @example
   * ```ts
   * const page = await store.listKeys({ ownerId: 'acct_42', limit: 50 });
   * ```
   */
  async listKeys(query: KeyListQuery): Promise<KeyPage> {
    const { cursor } = query;
    if (query.status !== undefined || (query.search !== undefined && query.search !== '')) {
      // KV lists key names only: filtering would read every record, a page could come back empty
      // with a cursor, and a listing is eventually consistent anyway.
      throw new InvalidOptionsError(
        'KvKeyStore does not support the status and search filters of list(); use DurableObjectKeyStore for a console',
      );
    }
    if (cursor !== undefined && (typeof cursor !== 'string' || !CURSOR.test(cursor))) {
      throw new InvalidOptionsError('cursor must be one a KvKeyStore listing returned');
    }
    const prefix = await this.#names.listing(query.ownerId, query.environment);
    const listed = await this.#kv.list({
      prefix,
      limit: Math.min(query.limit, MAX_PAGE),
      cursor: cursor === undefined ? null : cursor.slice(CURSOR_MARK.length),
    });
    const found = await Promise.all(
      listed.keys.map((key) => this.getKey(key.name.slice(prefix.length))),
    );
    const items = found.filter(
      (record): record is KeyRecord =>
        record !== undefined &&
        (query.ownerId === undefined || record.ownerId === query.ownerId) &&
        (query.environment === undefined || record.environment === query.environment),
    );
    return listed.list_complete || listed.cursor === undefined
      ? { items }
      : { items, cursor: `${CURSOR_MARK}${listed.cursor}` };
  }
}
