import { REJECTIONS } from '../http/problem.js';
import type { UsageGranularity, UsageOutcome, UsageRetentionDays, UsageRow } from './types.js';

const DAY_MS = 86_400_000;

/**
 * The length of a usage bucket in ms. Buckets are UTC-aligned: a bucket starts where
 * `ms % USAGE_BUCKET_MS[granularity] === 0`.
 *
 * @example
 * ```ts
 * USAGE_BUCKET_MS.hour; // 3_600_000
 * ```
 */
export const USAGE_BUCKET_MS: Readonly<Record<UsageGranularity, number>> = Object.freeze({
  minute: 60_000,
  hour: 3_600_000,
  day: DAY_MS,
});

/**
 * Every outcome usage counts: `verified`, then each rejection code.
 *
 * @example
 * ```ts
 * USAGE_OUTCOMES.includes('rate_limited'); // true
 * ```
 */
export const USAGE_OUTCOMES: readonly UsageOutcome[] = Object.freeze([
  'verified',
  ...(Object.keys(REJECTIONS) as UsageOutcome[]),
]);

/**
 * Start of the UTC bucket of `granularity` that contains `ms`.
 *
 * @example
 * ```ts
 * bucketStart(Date.UTC(2030, 0, 1, 12, 34, 56), 'hour'); // Date.UTC(2030, 0, 1, 12)
 * ```
 */
export function bucketStart(ms: number, granularity: UsageGranularity): number {
  const width = USAGE_BUCKET_MS[granularity];
  return ms - (((ms % width) + width) % width);
}

/**
 * Retention per granularity, in ms, from a store's `usageRetentionDays` option (defaults:
 * minute 7 days, hour 90, day 1095). Throws a TypeError naming a bad value; each must be a
 * positive number of days, and a coarser granularity may not be kept shorter than a finer one.
 *
 * @example
 * ```ts
 * const retention = usageRetention({ minute: 2 }); // { minute: 172_800_000, hour: 7_776_000_000, day: 94_608_000_000 }
 * ```
 */
export function usageRetention(
  days: UsageRetentionDays | undefined = {},
): Readonly<Record<UsageGranularity, number>> {
  if (typeof days !== 'object' || days === null) {
    throw new TypeError('usageRetentionDays must be { minute?, hour?, day? } (days)');
  }
  const read = (name: UsageGranularity, fallback: number): number => {
    const value = days[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(`usageRetentionDays.${name} must be a positive number of days`);
    }
    return Math.round(value * DAY_MS);
  };
  const minute = read('minute', 7);
  const hour = read('hour', 90);
  const day = read('day', 1095);
  if (hour < minute || day < hour) {
    throw new TypeError(
      'usageRetentionDays: hour rows must be kept at least as long as minute rows, and day rows as long as hour rows',
    );
  }
  return Object.freeze({ minute, hour, day });
}

/** The subject of the whole deployment's totals (see {@link rollUpUsage}). */
export const USAGE_ALL = '*';

/** The subject of an owner's totals. */
export function ownerSubject(ownerId: string): string {
  return `@${ownerId}`;
}

/**
 * One aggregated cell of {@link rollUpUsage}: a subject's count and cost in one bucket, for one
 * outcome and route.
 *
 * @example
 * ```ts
 * const cell: UsageCell = { subject: '4GhT9xQ2mPz1', start: Date.UTC(2030, 0, 1, 12), outcome: 'verified', route: '', count: 3, cost: 3 };
 * ```
 */
export interface UsageCell {
  /** A key id, `''` (no stored key's secret matched), `'*'` (the deployment) or `'@' + ownerId`. */
  subject: string;
  start: number;
  outcome: UsageOutcome;
  route: string;
  count: number;
  cost: number;
}

/**
 * For store authors: adds usage rows up per (subject, bucket, outcome, route) at `granularity`.
 * Each row counts for its key (`''` when none), for its owner (`'@' + ownerId`) and for the whole
 * deployment (`'*'`), so a store can answer key, owner and deployment queries from
 * pre-aggregated cells. Cells come out in a deterministic order (first appearance).
 *
 * @example
 * ```ts
 * for (const cell of rollUpUsage(rows, 'hour')) db.add(cell.subject, cell.start, cell.outcome, cell.route, cell.count, cell.cost);
 * ```
 */
export function rollUpUsage(
  rows: readonly UsageRow[],
  granularity: UsageGranularity,
  subjects: { owners?: boolean; all?: boolean } = {},
): UsageCell[] {
  const owners = subjects.owners ?? true;
  const all = subjects.all ?? true;
  const cells = new Map<string, UsageCell>();
  const add = (subject: string, start: number, row: UsageRow) => {
    const id = `${subject}\n${start}\n${row.outcome}\n${row.route}`;
    const cell = cells.get(id);
    if (cell === undefined) {
      cells.set(id, {
        subject,
        start,
        outcome: row.outcome,
        route: row.route,
        count: row.count,
        cost: row.cost,
      });
    } else {
      cell.count += row.count;
      cell.cost += row.cost;
    }
  };
  for (const row of rows) {
    const start = bucketStart(row.minute, granularity);
    add(row.keyId, start, row);
    if (owners && row.ownerId !== undefined && row.ownerId !== '') {
      add(ownerSubject(row.ownerId), start, row);
    }
    if (all) add(USAGE_ALL, start, row);
  }
  return [...cells.values()];
}

/**
 * For store authors: the subject (see {@link rollUpUsage}) a usage query reads: its key id, `'@'`
 * + its owner id, or `'*'` for the whole deployment.
 *
 * @example
 * ```ts
 * querySubject({ ownerId: 'acct_42' }); // '@acct_42'
 * ```
 */
export function querySubject(query: {
  keyId?: string | undefined;
  ownerId?: string | undefined;
}): string {
  if (query.keyId !== undefined) return query.keyId;
  if (query.ownerId !== undefined) return ownerSubject(query.ownerId);
  return USAGE_ALL;
}
