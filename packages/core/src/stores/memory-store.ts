import { DuplicateKeyIdError } from '../errors.js';
import { countQuota, type Quota, type QuotaState } from '../limits/quota.js';
import {
  type BucketState,
  type LimitResult,
  type RateLimit,
  takeToken,
} from '../limits/token-bucket.js';
import { MemoryUsageStore } from '../usage/memory-usage-store.js';
import type {
  UsageQuery,
  UsageRetentionDays,
  UsageRow,
  UsageStore,
  UsageTotal,
} from '../usage/types.js';
import type { KeyListQuery, KeyPage, KeyRecord, KeyStore, LimitStore } from './types.js';

/**
 * A deep copy through JSON: records hold only JSON data (keyward checks metadata), and unlike
 * `structuredClone` it keeps arrays packed, so a record does not grow each time it is rewritten.
 */
function copyRecord(record: KeyRecord): KeyRecord {
  return JSON.parse(JSON.stringify(record)) as KeyRecord;
}

/**
 * Keys, token buckets, quota windows and usage in this process's memory. Every method answers
 * synchronously, so `verify` never awaits. Use it for one process, tests and development;
 * nothing survives a restart. `usageRetentionDays` bounds how long usage is kept (see
 * {@link UsageRetentionDays}).
 *
 * @example
 * ```ts
 * const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
 * ```
 */
export class MemoryStore implements KeyStore, LimitStore, UsageStore {
  readonly #records = new Map<string, KeyRecord>();
  readonly #buckets = new Map<string, BucketState>();
  readonly #quotas = new Map<string, QuotaState>();
  readonly #usage: MemoryUsageStore;

  constructor(options: { usageRetentionDays?: UsageRetentionDays | undefined } = {}) {
    this.#usage = new MemoryUsageStore(options?.usageRetentionDays);
  }

  getKey(id: string): KeyRecord | undefined {
    const record = this.#records.get(id);
    return record === undefined ? undefined : copyRecord(record);
  }

  insertKey(record: KeyRecord): void {
    if (this.#records.has(record.id)) throw new DuplicateKeyIdError(record.id);
    this.#records.set(record.id, copyRecord(record));
  }

  updateKey(record: KeyRecord, expectedVersion: number): boolean {
    const stored = this.#records.get(record.id);
    if (stored === undefined || stored.version !== expectedVersion) return false;
    this.#records.set(record.id, copyRecord(record));
    return true;
  }

  listKeys(query: KeyListQuery): KeyPage {
    const matching: KeyRecord[] = [];
    for (const record of this.#records.values()) {
      if (query.ownerId !== undefined && record.ownerId !== query.ownerId) continue;
      if (query.environment !== undefined && record.environment !== query.environment) continue;
      if (query.cursor !== undefined && record.id <= query.cursor) continue;
      matching.push(record);
    }
    matching.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items = matching.slice(0, query.limit).map((record) => copyRecord(record));
    const last = items[items.length - 1];
    return matching.length > query.limit && last !== undefined
      ? { items, cursor: last.id }
      : { items };
  }

  takeToken(bucket: string, limit: RateLimit, cost: number, now: number): LimitResult {
    const { state, result } = takeToken(this.#buckets.get(bucket), limit, cost, now);
    this.#buckets.set(bucket, state);
    return result;
  }

  countQuota(name: string, quota: Quota, cost: number, now: number): LimitResult {
    const { state, result } = countQuota(this.#quotas.get(name), quota, cost, now);
    this.#quotas.set(name, state);
    return result;
  }

  recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): void {
    this.#usage.recordUsage(rows, lastUsed, batchId);
  }

  queryUsage(query: UsageQuery): UsageTotal[] {
    return this.#usage.queryUsage(query);
  }

  lastUsed(keyIds: readonly string[]): ReadonlyMap<string, number> {
    return this.#usage.lastUsed(keyIds);
  }

  pruneUsage(now: number): void {
    this.#usage.pruneUsage(now);
  }

  /** How many keys the store holds. */
  get size(): number {
    return this.#records.size;
  }
}
