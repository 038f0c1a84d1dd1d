import { InvalidOptionsError } from '../errors.js';
import { rejectUnknownOptions } from '../option-names.js';
import type { LimitResult } from './token-bucket.js';

/**
 * Quota periods; windows are aligned to UTC (minute, hour, midnight, first of the month).
 *
 * @example
 * ```ts
 * const period: QuotaPeriod = 'day';
 * ```
 */
export type QuotaPeriod = 'minute' | 'hour' | 'day' | 'month';

/**
 * A fixed-window quota: at most `limit` units per `period`.
 *
 * @example
 * ```ts
 * await keyward.create({ name: 'partner', quota: { limit: 10_000, period: 'day' } });
 * ```
 */
export interface Quota {
  readonly limit: number;
  readonly period: QuotaPeriod;
}

/**
 * A quota window's stored state.
 *
 * @example
 * ```ts
 * const state: QuotaState = { windowStart: Date.UTC(2030, 0, 1), used: 42 };
 * ```
 */
export interface QuotaState {
  windowStart: number;
  used: number;
}

const PERIOD_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

const QUOTA_NAMES: ReadonlySet<string> = new Set(['limit', 'period']);

/** Validates a `quota` option; throws naming the bad field. */
export function validateQuota(value: unknown, option = 'quota'): Quota {
  const quota = value as Partial<Quota> | null;
  if (typeof quota !== 'object' || quota === null) {
    throw new InvalidOptionsError(`${option} must be { limit, period }`);
  }
  rejectUnknownOptions(quota, QUOTA_NAMES, option, (m) => new InvalidOptionsError(m));
  const { limit, period } = quota;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit <= 0) {
    throw new InvalidOptionsError(`${option}.limit must be a positive integer`);
  }
  if (period !== 'minute' && period !== 'hour' && period !== 'day' && period !== 'month') {
    throw new InvalidOptionsError(`${option}.period must be minute, hour, day or month`);
  }
  return { limit, period };
}

/**
 * The UTC-aligned window containing `now`: `[start, end)` in ms.
 *
 * @example
 * ```ts
 * quotaWindow('month', Date.UTC(2030, 1, 14)); // { start: Feb 1 00:00 UTC, end: Mar 1 00:00 UTC }
 * ```
 */
export function quotaWindow(period: QuotaPeriod, now: number): { start: number; end: number } {
  if (period === 'month') {
    const date = new Date(now);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth();
    return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  }
  const size = PERIOD_MS[period];
  const start = Math.floor(now / size) * size;
  return { start, end: start + size };
}

/**
 * Counts `cost` units against a quota at `now`. Pure: returns the new state and the result.
 *
 * @example
 * ```ts
 * const { state, result } = countQuota(previous, { limit: 100, period: 'hour' }, 1, Date.now());
 * if (!result.allowed) console.log(`resets in ${result.retryAfterMs} ms`);
 * ```
 */
export function countQuota(
  state: QuotaState | undefined,
  quota: Quota,
  cost: number,
  now: number,
): { state: QuotaState; result: LimitResult } {
  const window = quotaWindow(quota.period, now);
  const used = state !== undefined && state.windowStart === window.start ? state.used : 0;
  const allowed = used + cost <= quota.limit;
  const after = allowed ? used + cost : used;
  const resetMs = window.end - now;
  return {
    state: { windowStart: window.start, used: after },
    result: {
      allowed,
      remaining: Math.max(0, quota.limit - after),
      retryAfterMs: allowed ? 0 : resetMs,
      resetMs,
    },
  };
}
