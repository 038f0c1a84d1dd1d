import { sealAuditRecord } from '../audit/seal.js';
import type { AuditDraft, AuditQuery, AuditRecord, AuditStore } from '../audit/types.js';
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
import { matchesKeyListQuery } from './key-list-filter.js';
import type { KeyListQuery, KeyPage, KeyRecord, KeyStore, LimitStore } from './types.js';

/**
 * A deep copy through JSON: records hold only JSON data (keyward checks metadata), and unlike
 * `structuredClone` it keeps arrays packed, so a record does not grow each time it is rewritten.
 */
function copyRecord(record: KeyRecord): KeyRecord {
  return JSON.parse(JSON.stringify(record)) as KeyRecord;
}

/**
 * Keys, token buckets, quota windows, usage and the audit trail in this process's memory. Every
 * method answers synchronously, so `verify` never awaits. Use it for one process, tests and
 * development; nothing survives a restart. `usageRetentionDays` bounds how long usage is kept (see
 * {@link UsageRetentionDays}).
 *
 * @example
 * ```ts
 * const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
 * ```
 */
export class MemoryStore implements KeyStore, LimitStore, UsageStore, AuditStore {
  readonly #records = new Map<string, KeyRecord>();
  readonly #buckets = new Map<string, BucketState>();
  readonly #quotas = new Map<string, QuotaState>();
  readonly #audit: AuditRecord[] = [];
  readonly #usage: MemoryUsageStore;

  constructor(options: { usageRetentionDays?: UsageRetentionDays | undefined } = {}) {
    this.#usage = new MemoryUsageStore(options?.usageRetentionDays);
  }

  getKey(id: string): KeyRecord | undefined {
    const record = this.#records.get(id);
    return record === undefined ? undefined : copyRecord(record);
  }

  insertKey(record: KeyRecord, audit?: AuditDraft): void {
    if (this.#records.has(record.id)) throw new DuplicateKeyIdError(record.id);
    this.#records.set(record.id, copyRecord(record));
    if (audit !== undefined) this.appendAudit(audit);
  }

  updateKey(record: KeyRecord, expectedVersion: number, audit?: AuditDraft): boolean {
    const stored = this.#records.get(record.id);
    if (stored === undefined || stored.version !== expectedVersion) return false;
    this.#records.set(record.id, copyRecord(record));
    if (audit !== undefined) this.appendAudit(audit);
    return true;
  }

  listKeys(query: KeyListQuery): KeyPage {
    const matching: KeyRecord[] = [];
    const now = query.now ?? Date.now();
    for (const record of this.#records.values()) {
      if (query.cursor !== undefined && record.id <= query.cursor) continue;
      if (!matchesKeyListQuery(record, query, now)) continue;
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
    const previous = this.#buckets.get(bucket);
    const { state, result } = takeToken(previous, limit, cost, now);
    // A known bucket is updated in place: no second hash lookup to store it again.
    if (previous === undefined) this.#buckets.set(bucket, state);
    else {
      previous.tokens = state.tokens;
      previous.updatedAt = state.updatedAt;
    }
    return result;
  }

  countQuota(name: string, quota: Quota, cost: number, now: number): LimitResult {
    const previous = this.#quotas.get(name);
    const { state, result } = countQuota(previous, quota, cost, now);
    if (previous === undefined) this.#quotas.set(name, state);
    else {
      previous.windowStart = state.windowStart;
      previous.used = state.used;
    }
    return result;
  }

  appendAudit(draft: AuditDraft): AuditRecord {
    const record = sealAuditRecord(
      JSON.parse(JSON.stringify(draft)) as AuditDraft,
      this.#audit[this.#audit.length - 1],
    );
    this.#audit.push(record);
    return JSON.parse(JSON.stringify(record)) as AuditRecord;
  }

  listAudit(query: AuditQuery): AuditRecord[] {
    const { keyId, since, afterSeq = 0, limit } = query;
    const items: AuditRecord[] = [];
    // seq n sits at index n - 1.
    for (let i = Math.max(0, afterSeq); i < this.#audit.length && items.length < limit; i++) {
      const record = this.#audit[i]!;
      if (keyId !== undefined && record.keyId !== keyId) continue;
      if (since !== undefined && record.at < since) continue;
      items.push(JSON.parse(JSON.stringify(record)) as AuditRecord);
    }
    return items;
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
