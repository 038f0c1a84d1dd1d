import {
  type AuditDraft,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  DuplicateKeyIdError,
  foldKeySearch,
  type InvalidationChannel,
  InvalidOptionsError,
  KEY_STATUSES,
  type KeyListQuery,
  type KeyPage,
  type KeyRecord,
  type KeyStore,
  type LimitResult,
  type LimitStore,
  type Quota,
  type RateLimit,
  StoreUnavailableError,
  type UsageQuery,
  type UsageRetentionDays,
  type UsageRow,
  type UsageStore,
  type UsageTotal,
  usageRetention,
} from '@keyward/core';
import { RedisAudit } from './audit.js';
import { defineScripts, type RedisClient, type StoreScripts } from './commands.js';
import { InvalidationSubscriber } from './invalidation.js';
import { KeyNames } from './keys.js';
import { quotaResult } from './scripts/quota.js';
import { bucketResult } from './scripts/token-bucket.js';
import { RedisUsage } from './usage.js';

/**
 * Options of {@link RedisStore}.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = { client: new Redis(process.env.REDIS_URL), prefix: 'acme' };
 * ```
 */
export interface RedisStoreOptions {
  /** Your ioredis `Redis` or `Cluster` client. RedisStore never closes it. */
  client: RedisClient;
  /** Start of every key name (no `{` or `}`); default `keyward`. */
  prefix?: string | undefined;
  /** Pub/sub channel for cache invalidation; default `keyward:invalidate`. */
  channel?: string | undefined;
  /**
   * How long usage is kept per granularity (set as each hash's expiry when written); default
   * minute 7, hour 90, day 1095 days.
   */
  usageRetentionDays?: UsageRetentionDays | undefined;
}

/** Statuses of a client's first connection attempt (`wait`: lazyConnect, not yet used). */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);
const MAX_INDEX_RETRIES = 3;
/** Ids a filtered listing reads and filters per script call: 100 first, then up to 1000. */
const FIRST_FILTER_CHUNK = 100;
const FILTER_CHUNK = 1000;
/**
 * Chunks one filtered listing walks at most (about 10,000,000 ids); past that it returns what it
 * found with a cursor after the last id walked, so a caller continues where it stopped.
 */
const MAX_FILTER_CHUNKS = 10_000;

function isClient(value: unknown): value is RedisClient {
  const client = value as Partial<Record<'defineCommand' | 'duplicate' | 'publish', unknown>>;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof client.defineCommand === 'function' &&
    typeof client.duplicate === 'function' &&
    typeof client.publish === 'function' &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}

/**
 * keyward's store on Redis (ioredis 5): a distributed limit store (one Lua script and one key
 * per token-bucket take, timed by the Redis server's clock), a key store, a usage store, an audit
 * store, and a cache-invalidation channel over pub/sub. Works on a single Redis and on Redis
 * Cluster.
 *
 * When the connection is not ready, every call fails at once with a `StoreUnavailableError`
 * instead of waiting in ioredis's offline queue, so a Redis outage gives `store_unavailable`
 * quickly and recovers by itself when ioredis reconnects.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createKeyward } from '@keyward/core';
 * import { RedisStore } from '@keyward/redis';
 *
 * const store = new RedisStore({ client: new Redis(process.env.REDIS_URL) });
 * const keyward = createKeyward({ prefix: 'acme', store }); // invalidation is picked up too
 * ```
 */
export class RedisStore
  implements KeyStore, LimitStore, InvalidationChannel, UsageStore, AuditStore
{
  readonly #client: RedisClient;
  readonly #names: KeyNames;
  readonly #scripts: StoreScripts;
  readonly #channel: string;
  readonly #subscriber: InvalidationSubscriber;
  readonly #audit: RedisAudit;
  readonly #usage: RedisUsage;
  #wasReady: boolean;

  constructor(options: RedisStoreOptions) {
    if (typeof options !== 'object' || options === null || !isClient(options.client)) {
      throw new TypeError('RedisStore needs { client }: an ioredis Redis or Cluster instance');
    }
    const prefix = options.prefix ?? 'keyward';
    if (typeof prefix !== 'string' || !/^[^{}]{1,100}$/.test(prefix)) {
      throw new TypeError('prefix must be 1–100 characters without "{" or "}"');
    }
    const channel = options.channel ?? 'keyward:invalidate';
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new TypeError('channel must be a non-empty string');
    }
    const retention = usageRetention(options.usageRetentionDays);
    this.#client = options.client;
    this.#names = new KeyNames(prefix);
    this.#scripts = defineScripts(options.client);
    this.#usage = new RedisUsage(options.client, prefix, this.#scripts.recordUsage, retention);
    this.#channel = channel;
    this.#subscriber = new InvalidationSubscriber(options.client, channel);
    this.#audit = new RedisAudit(options.client, this.#names, this.#scripts);
    this.#wasReady = options.client.status === 'ready';
    if (!this.#wasReady) {
      options.client.once('ready', () => {
        this.#wasReady = true;
      });
    }
  }

  /**
   * Takes `cost` tokens from `bucket` in one EVALSHA. `now` is ignored: the Redis server's clock
   * times refills, so hosts whose clocks disagree still share one limit.
   *
   * @example
   * ```ts
   * const result = await store.takeToken('4GhT9xQ2mPz1', { capacity: 20, refillPerSecond: 5 }, 1, Date.now());
   * ```
   */
  takeToken(bucket: string, limit: RateLimit, cost: number, _now?: number): Promise<LimitResult> {
    return this.#send(() =>
      this.#scripts
        .takeToken(this.#names.bucket(bucket), limit.capacity, limit.refillPerSecond, cost)
        .then((reply) => bucketResult(limit, cost, reply)),
    );
  }

  /**
   * Counts `cost` units against the UTC-aligned window of `quota` in one EVALSHA. `now` is
   * ignored: the window is taken from the Redis server's clock.
   *
   * @example
   * ```ts
   * const result = await store.countQuota('4GhT9xQ2mPz1', { limit: 10_000, period: 'day' }, 1, Date.now());
   * ```
   */
  countQuota(name: string, quota: Quota, cost: number, _now?: number): Promise<LimitResult> {
    return this.#send(() =>
      this.#scripts
        .countQuota(this.#names.quota(name), quota.limit, cost, quota.period)
        .then((reply) => quotaResult(quota, reply)),
    );
  }

  /**
   * The record with this id, or undefined.
   *
   * @example
   * ```ts
   * const record = await store.getKey('4GhT9xQ2mPz1');
   * ```
   */
  getKey(id: string): Promise<KeyRecord | undefined> {
    return this.#send(() =>
      this.#client
        .hget(this.#names.record(id), 'json')
        .then((json) => (json === null ? undefined : (JSON.parse(json) as KeyRecord))),
    );
  }

  /**
   * Stores a new record and indexes it; throws `DuplicateKeyIdError` when the id exists. With
   * `audit`, appends the entry in the same script (atomically).
   *
   * @example
   * ```ts
   * await store.insertKey(record);
   * ```
   */
  insertKey(record: KeyRecord, audit?: AuditDraft): Promise<void> {
    return this.#send(async () => {
      const indexes = this.#names.indexesOf(record.ownerId, record.environment, record.type);
      const keys = [this.#names.record(record.id), ...indexes];
      const args = [record.id, JSON.stringify(record), record.version, JSON.stringify(indexes)];
      const inserted = await this.#write('insertKey', keys, args, audit);
      if (inserted !== 1) throw new DuplicateKeyIdError(record.id);
    });
  }

  /**
   * Replaces the record only if it is stored at `expectedVersion`, atomically, moving it between
   * owner/environment indexes when those changed. With `audit`, appends the entry in the same
   * script when the record was written.
   *
   * @example
   * ```ts
   * const written = await store.updateKey({ ...record, name: 'renamed', version: 2 }, 1);
   * ```
   */
  updateKey(record: KeyRecord, expectedVersion: number, audit?: AuditDraft): Promise<boolean> {
    return this.#send(async () => {
      const next = this.#names.indexesOf(record.ownerId, record.environment, record.type);
      let previous = next;
      for (let attempt = 0; attempt < MAX_INDEX_RETRIES; attempt++) {
        const keys = [this.#names.record(record.id), ...previous, ...next];
        const args = [
          record.id,
          JSON.stringify(record),
          record.version,
          expectedVersion,
          JSON.stringify(previous),
          previous.length,
          JSON.stringify(next),
        ];
        const reply = await this.#write('updateKey', keys, args, audit);
        if (reply === 1) return true;
        if (!Array.isArray(reply)) return false;
        const stored = String(reply[0] ?? '');
        previous = stored === '' ? [] : (JSON.parse(stored) as string[]);
      }
      return false;
    });
  }

  /**
   * Seals `draft` after the trail's last entry and appends it (a compare-and-set on the chain's
   * head, retried when another writer appended first).
   *
   * @example
   * ```ts
   * await store.appendAudit({ id: 'aud_1', at: Date.now(), type: 'key.updated', keyId: '4GhT9xQ2mPz1' });
   * ```
   */
  appendAudit(draft: AuditDraft): Promise<AuditRecord> {
    return this.#send(() => this.#audit.append(draft));
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
    return this.#send(() => this.#audit.list(query));
  }

  /**
   * Records matching the filters, ordered by id, one page at a time (the cursor is the last id).
   * Publishable keys have their own indexes; a listing of secret keys reads the full ones and
   * skips publishable records, reading further until the page is full.
   *
   * @example
   * ```ts
   * const page = await store.listKeys({ ownerId: 'acct_42', type: 'publishable', limit: 50 });
   * ```
   */
  listKeys(query: KeyListQuery): Promise<KeyPage> {
    const { status, search } = query;
    if (status !== undefined && !KEY_STATUSES.includes(status)) {
      return Promise.reject(
        new InvalidOptionsError(`status must be one of ${KEY_STATUSES.join(', ')}`),
      );
    }
    if (status !== undefined || (search !== undefined && search !== '')) {
      return this.#send(() => this.#listFiltered(query));
    }
    return this.#send(async () => {
      const { limit, type } = query;
      const index = this.#names.index(query.ownerId, query.environment, type === 'publishable');
      const items: KeyRecord[] = [];
      let after = query.cursor;
      // Ids read past the page's last item: one more match means another page follows.
      for (;;) {
        const from = after === undefined ? '-' : `(${after}`;
        const want = limit + 1 - items.length;
        const ids = await this.#client.zrangebylex(index, from, '+', 'LIMIT', 0, want);
        const found = await Promise.all(
          ids.map((id) => this.#client.hget(this.#names.record(id), 'json')),
        );
        for (const json of found) {
          if (json === null) continue;
          const record = JSON.parse(json) as KeyRecord;
          if (type === 'secret' && record.type === 'publishable') continue;
          items.push(record);
        }
        after = ids[ids.length - 1];
        if (ids.length < want || items.length > limit) break;
      }
      if (items.length <= limit) return { items };
      items.length = limit;
      return { items, cursor: items[limit - 1]!.id };
    });
  }

  /**
   * A listing with `status` or `search`: walks the owner/environment index in id order, in
   * chunks of 100 ids growing to 1000, each chunk filtered by one script on the server, until the
   * page and one more match are found or the index ends. Pages are full until the
   * last; the cost is the number of ids walked (see docs/redis.md).
   */
  async #listFiltered(query: KeyListQuery): Promise<KeyPage> {
    const index = this.#names.index(query.ownerId, query.environment, query.type === 'publishable');
    const search = query.search ?? '';
    const args = [
      query.status ?? '',
      String(query.now ?? Date.now()),
      search,
      foldKeySearch(search),
    ];
    const items: KeyRecord[] = [];
    let after = query.cursor;
    let size = FIRST_FILTER_CHUNK;
    for (let chunk = 0; chunk < MAX_FILTER_CHUNKS; chunk++) {
      const from = after === undefined ? '-' : `(${after}`;
      const ids = await this.#client.zrangebylex(index, from, '+', 'LIMIT', 0, size);
      if (ids.length === 0) return { items };
      const keys = ids.map((id) => this.#names.record(id));
      // One match more than the page needs tells whether another page follows.
      const want = query.limit + 1 - items.length;
      const found = (await this.#scripts.filterKeys(
        keys.length,
        ...keys,
        ...args,
        want,
        query.type ?? '',
      )) as string[];
      for (const json of found) {
        if (items.length === query.limit) return { items, cursor: items[items.length - 1]!.id };
        items.push(JSON.parse(json) as KeyRecord);
      }
      if (ids.length < size) return { items };
      after = ids[ids.length - 1]!;
      size = Math.min(size * 4, FILTER_CHUNK);
    }
    // Walked MAX_FILTER_CHUNKS chunks: the page so far, and a cursor after the last id walked.
    return { items, cursor: after };
  }

  /**
   * Tells every subscribed keyward instance to drop its cached copy of `keyId` (PUBLISH).
   *
   * @example
   * ```ts
   * await store.publishInvalidation('4GhT9xQ2mPz1');
   * ```
   */
  publishInvalidation(keyId: string): Promise<void> {
    return this.#send(() => this.#client.publish(this.#channel, keyId).then(() => undefined));
  }

  /**
   * Calls `listener` with each invalidated id. The first subscription opens a duplicate connection
   * (`client.duplicate()`) in subscriber mode; the returned function unsubscribes, and the last
   * unsubscribe closes that connection.
   *
   * @example
   * ```ts
   * const unsubscribe = store.subscribeInvalidations((id) => (id ? cache.delete(id) : cache.clear()));
   * ```
   * The listener gets `undefined` after the subscriber reconnected, and when its first
   * subscription went live only after a dropped connection (Redis down when the listener was
   * added): messages published while it was away are lost, so everything cached should be dropped.
   */
  subscribeInvalidations(listener: (keyId: string | undefined) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    return this.#subscriber.add(listener);
  }

  /**
   * Adds usage (minute, hour and day cells as fields of hashes its hash tag's keys share, each
   * hash expiring after its retention) and raises last uses: one script call per hash tag and
   * chunk, all sent at once. A batch id applies once per chunk, so a batch offered again after a
   * partial failure adds only what was missing.
   *
   * @example
   * ```ts
   * await store.recordUsage(rows, new Map([[keyId, Date.now()]]), batchId);
   * ```
   */
  recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): Promise<void> {
    return this.#send(() => this.#usage.record(rows, lastUsed, batchId));
  }

  /**
   * Usage totals of a key, an owner or the deployment: the key's or owner's day index, then one
   * pipelined HMGET per hash of exactly its cells (the deployment: one HGETALL per hash).
   *
   * @example
   * ```ts
   * const totals = await store.queryUsage({ keyId, from, to, granularity: 'hour', groupBy: 'time' });
   * ```
   */
  queryUsage(query: UsageQuery): Promise<UsageTotal[]> {
    return this.#send(() => this.#usage.query(query));
  }

  /**
   * The last use of each given key that has one (ZMSCORE per hash tag).
   *
   * @example
   * ```ts
   * const at = (await store.lastUsed([keyId])).get(keyId);
   * ```
   */
  lastUsed(keyIds: readonly string[]): Promise<Map<string, number>> {
    return this.#send(() => this.#usage.lastUsed(keyIds));
  }

  /**
   * Nothing to do: every usage hash expires by itself when its retention ends.
   *
   * @example
   * ```ts
   * await store.pruneUsage(Date.now());
   * ```
   */
  pruneUsage(_now: number): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Closes the subscriber connection this store opened. Your client stays open: it is yours.
   *
   * @example
   * ```ts
   * await keyward.close();
   * store.close();
   * await client.quit();
   * ```
   */
  close(): void {
    this.#subscriber.close();
  }

  /**
   * Runs a record script; with an audit draft, its audited twin, which also appends the entry
   * (the audit keys and arguments follow the record's).
   */
  async #write(
    script: 'insertKey' | 'updateKey',
    keys: string[],
    args: (string | number)[],
    audit: AuditDraft | undefined,
  ): Promise<unknown> {
    if (audit === undefined) return this.#scripts[script](keys.length, ...keys, ...args);
    const audited = script === 'insertKey' ? 'insertKeyAudited' : 'updateKeyAudited';
    const { reply } = await this.#audit.write(audit, (auditKeys, auditArgs) =>
      this.#scripts[audited](
        keys.length + auditKeys.length,
        ...keys,
        ...auditKeys,
        ...args,
        ...auditArgs,
      ),
    );
    return reply;
  }

  /**
   * Fails fast (instead of queueing in ioredis's offline queue) when a connection that was ready
   * is down. Before the client's first connection, commands wait for it (keyward's
   * `storeTimeoutMs` still bounds each call), so a store used right after `new Redis()` works.
   */
  #send<T>(command: () => Promise<T>): Promise<T> {
    const status = this.#client.status;
    if (status !== 'ready' && (this.#wasReady || !CONNECTING.has(status))) {
      return Promise.reject(new StoreUnavailableError(`Redis connection is ${status}`));
    }
    try {
      return command();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
