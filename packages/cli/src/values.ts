import type { Quota, RateLimit } from '@keyward/core';
import { usageError } from './cli-error.js';

const RATE_UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
};

const QUOTA_PERIODS: Record<string, Quota['period']> = {
  minute: 'minute',
  min: 'minute',
  hour: 'hour',
  h: 'hour',
  day: 'day',
  d: 'day',
  month: 'month',
  mo: 'month',
};

const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const NUMBER = '(\\d+(?:\\.\\d+)?)';

/**
 * `--rate 10/s` (or `/m`, `/h`) and `--burst 20` as a token bucket. The burst (capacity)
 * defaults to the per-second rate rounded up, at least 1.
 *
 * @example
 * ```ts
 * parseRateLimit('120/m', undefined); // { capacity: 2, refillPerSecond: 2 }
 * ```
 */
export function parseRateLimit(rate: string, burst: string | undefined): RateLimit {
  const match = new RegExp(`^${NUMBER}\\s*/\\s*([a-z]+)$`).exec(rate.trim());
  const seconds = match ? RATE_UNITS[match[2]!] : undefined;
  const count = match ? Number(match[1]) : 0;
  if (seconds === undefined || !(count > 0)) {
    throw usageError(`--rate: "${rate}" is not a rate like 10/s, 100/m or 1000/h`);
  }
  const refillPerSecond = count / seconds;
  return {
    capacity: burst === undefined ? Math.max(1, Math.ceil(refillPerSecond)) : parseBurst(burst),
    refillPerSecond,
  };
}

/**
 * `--burst 20`: a positive number of tokens.
 *
 * @example
 * ```ts
 * parseBurst('20'); // 20
 * ```
 */
export function parseBurst(burst: string): number {
  const value = new RegExp(`^${NUMBER}$`).test(burst.trim()) ? Number(burst) : Number.NaN;
  if (!(value > 0)) throw usageError(`--burst: "${burst}" is not a positive number`);
  return value;
}

/**
 * `--quota 10000/day` (or `/minute`, `/hour`, `/month`).
 *
 * @example
 * ```ts
 * parseQuota('10000/day'); // { limit: 10000, period: 'day' }
 * ```
 */
export function parseQuota(quota: string): Quota {
  const match = /^(\d+)\s*\/\s*([a-z]+)$/.exec(quota.trim());
  const period = match ? QUOTA_PERIODS[match[2]!] : undefined;
  const limit = match ? Number(match[1]) : 0;
  if (period === undefined || !Number.isSafeInteger(limit) || limit <= 0) {
    throw usageError(
      `--quota: "${quota}" is not a quota like 10000/day (minute, hour, day, month)`,
    );
  }
  return { limit, period };
}

/**
 * A duration such as `90m`, `12h`, `30d`, `2w`, `45s` or `500ms`, in ms.
 *
 * @example
 * ```ts
 * parseDuration('24h', '--grace'); // 86400000
 * ```
 */
export function parseDuration(text: string, flag: string): number {
  const match = new RegExp(`^${NUMBER}(ms|s|m|h|d|w)$`).exec(text.trim());
  if (!match) {
    throw usageError(`${flag}: "${text}" is not a duration like 90m, 12h or 30d`);
  }
  return Number(match[1]) * DURATION_MS[match[2]!]!;
}

/**
 * `--expires 30d` (from `now`) or an ISO date (`2026-01-31`, `2026-01-31T12:00:00Z`), as ms.
 *
 * @example
 * ```ts
 * parseExpires('30d', Date.now());
 * ```
 */
export function parseExpires(text: string, now: number): number {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isNaN(ms)) throw usageError(`--expires: "${text}" is not a valid date`);
    return ms;
  }
  if (!/^\d/.test(trimmed)) {
    throw usageError(`--expires: "${text}" is not a duration (30d, 12h, 90m) or an ISO date`);
  }
  return now + parseDuration(trimmed, '--expires');
}

/**
 * Repeated `--meta key=value` flags as an object (values stay strings; the last one wins).
 *
 * @example
 * ```ts
 * parseMetadata(['team=billing', 'tier=gold']); // { team: 'billing', tier: 'gold' }
 * ```
 */
export function parseMetadata(entries: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw usageError(`--meta: "${entry}" is not key=value`);
    metadata[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return metadata;
}

/**
 * Repeated and/or comma-separated flag values as one list, without empty entries.
 *
 * @example
 * ```ts
 * splitList(['invoices:read,invoices:write', 'users:read']); // three scopes
 * ```
 */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
