import {
  DuplicateKeyIdError,
  InvalidOptionsError,
  KEY_STATUSES,
  type KeyListQuery,
  type KeyPage,
  type KeyRecord,
  type KeyStore,
  MAX_KEY_SEARCH_LENGTH,
  StoreUnavailableError,
} from '@keyward/core';
import type { DurableObjectNamespaceBinding } from './bindings.js';
import { callObject, isNamespace } from './protocol.js';
import { isRecord } from './record.js';

/**
 * Options of {@link DurableObjectKeyStore}.
 *
 * @example
 * ```ts
 * const options: DurableObjectKeyStoreOptions = { namespace: env.KEYWARD_KEYS, name: 'acme' };
 * ```
 */
export interface DurableObjectKeyStoreOptions {
  /** The binding of the {@link KeywardKeys} class (`[[durable_objects.bindings]]`). */
  namespace: DurableObjectNamespaceBinding;
  /** Which object holds the records (`idFromName`); default `keyward`. One per deployment. */
  name?: string | undefined;
}

function isPage(value: unknown): value is KeyPage {
  const page = value as Partial<KeyPage> | null;
  return (
    typeof page === 'object' &&
    page !== null &&
    Array.isArray(page.items) &&
    page.items.every(isRecord) &&
    (page.cursor === undefined || typeof page.cursor === 'string')
  );
}

const unreadable = () => new StoreUnavailableError('key object answered something unreadable');

/**
 * keyward's key store in a Durable Object ({@link KeywardKeys}): strongly consistent. Inserts
 * refuse duplicate ids and updates compare versions atomically, from every Worker and location;
 * a revocation is visible to every read that starts after it (each isolate still trusts its
 * cached copy for keyward's `cache.ttlMs`: lower it, or set `cache: { max: 0 }`, for instant
 * revocation everywhere). Every read that misses keyward's cache is one request to the object,
 * wherever it lives; an object serves about 1,000 requests a second.
 *
 * @example
 * ```ts
 * import { createKeyward } from '@keyward/core';
 * import { DurableObjectKeyStore, DurableObjectLimitStore } from '@keyward/cloudflare';
 * export { KeywardKeys, KeywardLimits } from '@keyward/cloudflare';
 *
 * const keyward = createKeyward({
 *   prefix: 'acme',
 *   keyStore: new DurableObjectKeyStore({ namespace: env.KEYWARD_KEYS }),
 *   limitStore: new DurableObjectLimitStore({ namespace: env.LIMITS }),
 *   cache: { ttlMs: 1_000 }, // a revocation reaches every isolate within a second
 * });
 * ```
 */
export class DurableObjectKeyStore implements KeyStore {
  readonly #namespace: DurableObjectNamespaceBinding;
  readonly #name: string;

  constructor(options: DurableObjectKeyStoreOptions) {
    if (typeof options !== 'object' || options === null || !isNamespace(options.namespace)) {
      throw new TypeError(
        'DurableObjectKeyStore needs { namespace }: the Durable Object binding of KeywardKeys',
      );
    }
    const name = options.name ?? 'keyward';
    if (typeof name !== 'string' || name.length === 0 || name.length > 100) {
      throw new TypeError('name must be a string of 1–100 characters');
    }
    this.#namespace = options.namespace;
    this.#name = `keys:${name}`;
  }

  /**
   * The record with this id, or undefined; always the latest.
   *
   * @example
   * ```ts
   * const record = await store.getKey('4GhT9xQ2mPz1');
   * ```
   */
  async getKey(id: string): Promise<KeyRecord | undefined> {
    const value = await this.#call('get', { id });
    if (value === null) return undefined;
    if (!isRecord(value) || value.id !== id) throw unreadable();
    return value;
  }

  /**
   * Stores a new record; throws `DuplicateKeyIdError` when the id exists.
   *
   * @example
   * ```ts
   * await store.insertKey(record);
   * ```
   */
  async insertKey(record: KeyRecord): Promise<void> {
    await this.#call('insert', { record }, record.id);
  }

  /**
   * Replaces the record only if it is stored at `expectedVersion`, atomically.
   *
   * @example
   * ```ts
   * const written = await store.updateKey({ ...record, name: 'renamed', version: 2 }, 1);
   * ```
   */
  async updateKey(record: KeyRecord, expectedVersion: number): Promise<boolean> {
    const value = await this.#call('update', { record, expectedVersion });
    const written = (value as { written?: unknown } | null)?.written;
    if (typeof written !== 'boolean') throw unreadable();
    return written;
  }

  /**
   * Records matching the filters, ordered by id; the cursor is the last id of the page. `status`
   * and `search` read each record's JSON in the object (no index): see docs/cloudflare.md.
   *
   * @example
   * ```ts
   * const page = await store.listKeys({ ownerId: 'acct_42', limit: 50 });
   * ```
   */
  async listKeys(query: KeyListQuery): Promise<KeyPage> {
    const { ownerId, environment, limit, cursor, status, search } = query;
    if (status !== undefined && !KEY_STATUSES.includes(status)) {
      throw new InvalidOptionsError(`status must be one of ${KEY_STATUSES.join(', ')}`);
    }
    if (
      search !== undefined &&
      (typeof search !== 'string' || search.length > MAX_KEY_SEARCH_LENGTH)
    ) {
      throw new InvalidOptionsError(
        `search must be a string of at most ${MAX_KEY_SEARCH_LENGTH} characters`,
      );
    }
    const filters = status === undefined ? {} : { status, now: query.now ?? Date.now() };
    const value = await this.#call('list', {
      ownerId,
      environment,
      limit,
      cursor,
      ...filters,
      ...(search === undefined || search === '' ? {} : { search }),
    });
    if (!isPage(value)) throw unreadable();
    return value;
  }

  async #call(operation: string, body: unknown, insertedId?: string): Promise<unknown> {
    const namespace = this.#namespace;
    const answer = await callObject(
      namespace.get(namespace.idFromName(this.#name)),
      operation,
      body,
      'key object',
    );
    if (answer.ok) return answer.value;
    if (answer.refusal.code === 'duplicate_key_id' && insertedId !== undefined) {
      throw new DuplicateKeyIdError(insertedId);
    }
    throw new StoreUnavailableError(`key object refused the request (${answer.refusal.code})`);
  }
}
