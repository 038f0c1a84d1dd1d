import type { AuditDraft } from '../audit/types.js';
import type { KeyEnvironment } from '../key/format.js';
import type { Quota } from '../limits/quota.js';
import type { LimitResult, RateLimit } from '../limits/token-bucket.js';

/**
 * A value, or a Promise of one: in-memory stores answer synchronously.
 *
 * @example
 * ```ts
 * function getKey(id: string): MaybePromise<KeyRecord | undefined> { return cache.get(id) ?? db.load(id); }
 * ```
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A key as a key store keeps it. Times are ms since the epoch. `hash` and `previousHash` are
 * tagged digests (`sha256:…`, `hmac-sha256:v1:…`), never a usable secret; they never leave
 * keyward's verifier (see {@link KeyInfo} for what users see).
 *
 * @example
 * ```ts
 * const record: KeyRecord | undefined = await store.getKey('4GhT9xQ2mPz1');
 * ```
 */
export interface KeyRecord {
  id: string;
  environment: KeyEnvironment;
  name: string;
  ownerId?: string | undefined;
  hash: string;
  /** The secret replaced by the last rotation, valid until `previousHashExpiresAt`. */
  previousHash?: string | undefined;
  previousHashExpiresAt?: number | undefined;
  scopes: string[];
  ips?: string[] | undefined;
  referrers?: string[] | undefined;
  rateLimit?: RateLimit | undefined;
  quota?: Quota | undefined;
  expiresAt?: number | undefined;
  disabled: boolean;
  revokedAt?: number | undefined;
  revokedReason?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  createdAt: number;
  updatedAt: number;
  rotatedAt?: number | undefined;
  /** Starts at 1; every successful update increments it (optimistic concurrency). */
  version: number;
}

/**
 * A page query for {@link KeyStore.listKeys}. Every filter given must hold (AND).
 *
 * @example
 * ```ts
 * const page = await store.listKeys({ ownerId: 'acct_42', environment: 'live', limit: 50 });
 * const revoked = await store.listKeys({ status: 'revoked', search: 'ci', limit: 50, now: Date.now() });
 * ```
 */
export interface KeyListQuery {
  ownerId?: string | undefined;
  environment?: KeyEnvironment | undefined;
  /**
   * Only keys in this state at `now` (see `keyStatus`): `revoked` (revokedAt set), `disabled`
   * (and not revoked), `expired` (expiresAt ≤ now, neither revoked nor disabled), `active`.
   */
  status?: 'active' | 'disabled' | 'revoked' | 'expired' | undefined;
  /**
   * Only keys whose id is exactly this, or whose name contains it, ASCII letters compared
   * case-insensitively (see `foldKeySearch`); `%`, `_` and `\` match themselves. `''` filters
   * nothing. keyward passes at most 100 characters.
   */
  search?: string | undefined;
  /** The time `status` is judged at (ms since the epoch); keyward passes its clock. Default now. */
  now?: number | undefined;
  /** Page size, 1–1000. */
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string | undefined;
}

/**
 * One page of records, ordered by id; `cursor` is set when more may follow. A page holds `limit`
 * records unless it is the last.
 *
 * @example
 * ```ts
 * const { items, cursor }: KeyPage = await store.listKeys({ limit: 100 });
 * ```
 */
export interface KeyPage {
  items: KeyRecord[];
  cursor?: string | undefined;
}

/**
 * Where keys live. Every method may answer synchronously or with a Promise.
 * Prove an implementation with `describeKeyStore` from `@keyward/core/testing`.
 *
 * @example
 * ```ts
 * class MyStore implements KeyStore {
 *   getKey(id: string) { return db.get(id); }
 *   insertKey(record: KeyRecord) { if (db.has(record.id)) throw new DuplicateKeyIdError(record.id); db.set(record.id, record); }
 *   updateKey(record: KeyRecord, expectedVersion: number) { … return true; }
 *   listKeys(query: KeyListQuery) { … return { items, cursor }; }
 * }
 * ```
 */
export interface KeyStore {
  /** The record with this id, or undefined. */
  getKey(id: string): MaybePromise<KeyRecord | undefined>;
  /**
   * Stores a new record; throws {@link DuplicateKeyIdError} when the id exists. A store that is
   * also an `AuditStore` appends `audit` in the same transaction, only when the record was stored.
   */
  insertKey(record: KeyRecord, audit?: AuditDraft): MaybePromise<void>;
  /**
   * Replaces the record only if the stored one is at `expectedVersion` (and exists).
   * Returns false on a conflict or a missing record. `record.version` is the new version.
   * A store that is also an `AuditStore` appends `audit` in the same transaction, only when the
   * record was written.
   */
  updateKey(record: KeyRecord, expectedVersion: number, audit?: AuditDraft): MaybePromise<boolean>;
  /** Records matching the filters, ordered by id, paginated by an opaque cursor. */
  listKeys(query: KeyListQuery): MaybePromise<KeyPage>;
}

/**
 * Where token buckets and quota windows live. Both operations must be atomic: concurrent takes
 * never grant more than the limit. `now` is keyward's clock; a distributed store may use its own
 * server's clock instead. Prove an implementation with `describeLimitStore`.
 *
 * @example
 * ```ts
 * const result = await limitStore.takeToken('key:abc', { capacity: 10, refillPerSecond: 1 }, 1, Date.now());
 * if (!result.allowed) console.log(`retry in ${result.retryAfterMs} ms`);
 * ```
 */
export interface LimitStore {
  /** Takes `cost` tokens from the bucket named `bucket`, creating it full. */
  takeToken(bucket: string, limit: RateLimit, cost: number, now: number): MaybePromise<LimitResult>;
  /** Counts `cost` units against the UTC-aligned window of `quota` that contains `now`. */
  countQuota(name: string, quota: Quota, cost: number, now: number): MaybePromise<LimitResult>;
}

/**
 * Cross-process cache invalidation (e.g. Redis pub/sub). keyward publishes a key's id after it
 * changes the key; every subscribed instance drops its cached copy.
 *
 * @example
 * ```ts
 * createKeyward({ prefix: 'acme', keyStore, limitStore, invalidation: redisStore });
 * ```
 */
export interface InvalidationChannel {
  publishInvalidation(keyId: string): MaybePromise<void>;
  /**
   * Calls `listener` with each invalidated id, or with `undefined` when messages may have been
   * missed (e.g. after the channel reconnected): then every cached record is dropped.
   * Returns an unsubscribe function.
   */
  subscribeInvalidations(listener: (keyId: string | undefined) => void): () => void;
}

export type { LimitResult, Quota, RateLimit };
