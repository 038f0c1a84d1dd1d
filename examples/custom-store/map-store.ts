// A store you write yourself: keys and limits in a Map, behind an artificial delay that stands in
// for the network round trip to a real database. Proven by keyward's conformance suite in
// map-store.test.ts.
//
// Atomicity: each method first awaits the "round trip", then reads, decides and writes in one
// synchronous block. JavaScript runs that block without interleaving, so it is atomic the way a
// Lua script or a row lock is for a real server. Never put an `await` between a read and its write.
import {
  type BucketState,
  countQuota,
  DuplicateKeyIdError,
  type KeyListQuery,
  type KeyPage,
  type KeyRecord,
  type KeyStore,
  type LimitResult,
  type LimitStore,
  matchesKeyListQuery,
  type Quota,
  type QuotaState,
  type RateLimit,
  takeToken,
} from '@keyward/core';

/** Options of {@link MapStore}. */
export interface MapStoreOptions {
  /** Simulated latency of every call, in ms (default 2). */
  delayMs?: number;
}

/**
 * A key store and limit store over in-process Maps, with an async delay on every call.
 *
 * @example
 * ```ts
 * const keyward = createKeyward({ prefix: 'acme', store: new MapStore({ delayMs: 2 }) });
 * ```
 */
export class MapStore implements KeyStore, LimitStore {
  readonly #delayMs: number;
  readonly #records = new Map<string, KeyRecord>();
  readonly #buckets = new Map<string, BucketState>();
  readonly #quotas = new Map<string, QuotaState>();

  constructor({ delayMs = 2 }: MapStoreOptions = {}) {
    this.#delayMs = delayMs;
  }

  #roundTrip(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.#delayMs));
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    await this.#roundTrip();
    const record = this.#records.get(id);
    // Copies in and out, as a real store serializes: callers never share our objects.
    return record && structuredClone(record);
  }

  async insertKey(record: KeyRecord): Promise<void> {
    await this.#roundTrip();
    if (this.#records.has(record.id)) throw new DuplicateKeyIdError(record.id);
    this.#records.set(record.id, structuredClone(record));
  }

  async updateKey(record: KeyRecord, expectedVersion: number): Promise<boolean> {
    await this.#roundTrip();
    const stored = this.#records.get(record.id);
    if (stored === undefined || stored.version !== expectedVersion) return false;
    this.#records.set(record.id, structuredClone(record)); // whole record: absent fields go away
    return true;
  }

  async listKeys(query: KeyListQuery): Promise<KeyPage> {
    await this.#roundTrip();
    const { limit, cursor } = query;
    const now = query.now ?? Date.now();
    // Owner, environment, status and search: keyward's own rules, as every store applies them.
    const matching = [...this.#records.values()]
      .filter((r) => (cursor === undefined || r.id > cursor) && matchesKeyListQuery(r, query, now))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items = matching.slice(0, limit).map((r) => structuredClone(r));
    return matching.length > limit ? { items, cursor: items.at(-1)!.id } : { items };
  }

  async takeToken(
    bucket: string,
    limit: RateLimit,
    cost: number,
    now: number,
  ): Promise<LimitResult> {
    await this.#roundTrip();
    // Read, apply core's pure token-bucket math, write back: no await in between.
    const { state, result } = takeToken(this.#buckets.get(bucket), limit, cost, now);
    this.#buckets.set(bucket, state);
    return result;
  }

  async countQuota(name: string, quota: Quota, cost: number, now: number): Promise<LimitResult> {
    await this.#roundTrip();
    const { state, result } = countQuota(this.#quotas.get(name), quota, cost, now);
    this.#quotas.set(name, state);
    return result;
  }
}
