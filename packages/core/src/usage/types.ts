import type { MaybePromise } from '../stores/types.js';
import type { RejectionCode } from '../types.js';

/**
 * What a verification came to, as usage counts it: `verified` or a rejection code.
 *
 * @example
 * ```ts
 * const outcome: UsageOutcome = 'rate_limited';
 * ```
 */
export type UsageOutcome = 'verified' | RejectionCode;

/**
 * The width of a usage bucket (UTC-aligned).
 *
 * @example
 * ```ts
 * await keyward.usage({ keyId, from, to, granularity: 'hour' });
 * ```
 */
export type UsageGranularity = 'minute' | 'hour' | 'day';

/**
 * One aggregated usage row, as keyward hands it to {@link UsageStore.recordUsage}: the number
 * of verifications (and their cost) of one key in one UTC minute with one outcome on one route.
 * A store ADDS it to what it holds; it never replaces a count.
 *
 * @example
 * ```ts
 * const row: UsageRow = { keyId: '4GhT9xQ2mPz1', minute: Date.UTC(2030, 0, 1, 12, 5), outcome: 'verified', route: 'GET /invoices/:id', count: 12, cost: 12 };
 * ```
 */
export interface UsageRow {
  /** The key; `''` for the deployment (requests whose secret matched no stored key). */
  keyId: string;
  ownerId?: string | undefined;
  /** Start of the UTC minute, ms since the epoch. */
  minute: number;
  outcome: UsageOutcome;
  /** `GET /invoices/:id` (method and route template), `''` when unknown. */
  route: string;
  count: number;
  cost: number;
}

/**
 * A read of aggregated usage ({@link UsageStore.queryUsage}). `keyId` and `ownerId` are
 * exclusive; with neither, the whole deployment (every key and the keyless rows).
 *
 * @example
 * ```ts
 * const query: UsageQuery = { keyId: '4GhT9xQ2mPz1', from, to, granularity: 'hour', groupBy: 'time' };
 * ```
 */
export interface UsageQuery {
  keyId?: string | undefined;
  ownerId?: string | undefined;
  /** Inclusive start, ms, aligned to `granularity`. */
  from: number;
  /** Exclusive end, ms, aligned to `granularity`. */
  to: number;
  granularity: UsageGranularity;
  /**
   * `time`: one total per (bucket start, outcome), routes summed (route `''`). `route`: one
   * total per (route, outcome) over the whole range (start = `from`).
   */
  groupBy: 'time' | 'route';
}

/**
 * One total a {@link UsageStore} returns for a {@link UsageQuery}.
 *
 * @example
 * ```ts
 * const total: UsageTotal = { start: Date.UTC(2030, 0, 1, 12), route: '', outcome: 'verified', count: 740, cost: 740 };
 * ```
 */
export interface UsageTotal {
  start: number;
  route: string;
  outcome: UsageOutcome;
  count: number;
  cost: number;
}

/**
 * How long a store keeps each granularity, in days: minute rows default 7, hour rows 90, day
 * rows 1095 (3 years). Older data is pruned (SQL stores roll minute rows up into hour rows, and
 * hour rows into day rows, as they prune them).
 *
 * @example
 * ```ts
 * new SqliteStore({ path: './keyward.db', usageRetentionDays: { minute: 2, hour: 30 } });
 * ```
 */
export interface UsageRetentionDays {
  minute?: number | undefined;
  hour?: number | undefined;
  day?: number | undefined;
}

/**
 * Where usage lives: per (key, minute, outcome, route) counts, with hour and day aggregates, and
 * each key's last use. keyward writes it from a timer, one batch per flush interval, never on the
 * request path. Prove an implementation with `describeUsageStore` from `@keyward/core/testing`.
 *
 * @example
 * ```ts
 * class MyUsageStore implements UsageStore {
 *   recordUsage(rows, lastUsed, batchId) { … }   // add counts; max lastUsed; apply a batchId once
 *   queryUsage(query) { … return totals; }
 *   lastUsed(keyIds) { … return new Map([[id, ms]]); }
 *   pruneUsage(now) { … }
 * }
 * ```
 */
export interface UsageStore {
  /**
   * Adds `rows` (already aggregated) to the stored counts and raises each key's last use to the
   * value in `lastUsed` (max, never lower), atomically: all of it or none. `batchId`, when given,
   * names the batch: keyward offers a batch again after a failure (a timeout, a lost reply), and
   * a store that already applied it must not apply it twice.
   */
  recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): MaybePromise<void>;
  /** Totals for a query (see {@link UsageQuery}); buckets with no usage are left out. */
  queryUsage(query: UsageQuery): MaybePromise<UsageTotal[]>;
  /** The last use of each given key that has one (max over every flush). */
  lastUsed(keyIds: readonly string[]): MaybePromise<ReadonlyMap<string, number>>;
  /** Drops (or rolls up) data past its retention at `now`. Stores also do this now and then. */
  pruneUsage(now: number): MaybePromise<void>;
}
