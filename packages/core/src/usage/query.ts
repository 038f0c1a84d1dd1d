import { callStore } from '../async.js';
import { InvalidOptionsError } from '../errors.js';
import { KEY_ID_PATTERN } from '../key/format.js';
import { bucketStart, USAGE_BUCKET_MS } from './buckets.js';
import { USAGE_STORE_TIMEOUT_MS } from './recorder.js';
import type {
  UsageGranularity,
  UsageOutcome,
  UsageQuery,
  UsageStore,
  UsageTotal,
} from './types.js';

/**
 * The most buckets one `usage()` call may cover: a week of minutes (10,080). A longer range
 * needs a coarser granularity, or several calls.
 *
 * @example
 * ```ts
 * const granularity = days * 24 > MAX_USAGE_BUCKETS ? 'day' : 'hour';
 * ```
 */
export const MAX_USAGE_BUCKETS = 10_080;

/**
 * Options of {@link Keyward.usage}. `keyId` and `ownerId` are exclusive; with neither, the whole
 * deployment. `from` is rounded down and `to` up to whole buckets; default `granularity` is
 * `hour`.
 *
 * @example
 * ```ts
 * const options: UsageOptions = { keyId: '4GhT9xQ2mPz1', from: Date.now() - 86_400_000, to: Date.now(), granularity: 'hour' };
 * ```
 */
export interface UsageOptions {
  keyId?: string | undefined;
  ownerId?: string | undefined;
  from: Date | number;
  to: Date | number;
  granularity?: UsageGranularity | undefined;
  /** `time` (default): `{ points }`, one per bucket. `route`: `{ routes }`, totals per route. */
  groupBy?: 'time' | 'route' | undefined;
}

/**
 * Counts by outcome, e.g. `{ verified: 12, rate_limited: 3 }`; outcomes that did not occur are
 * absent.
 *
 * @example
 * ```ts
 * const outcomes: UsageOutcomes = { verified: 12, rate_limited: 3 };
 * ```
 */
export type UsageOutcomes = Partial<Record<UsageOutcome, number>>;

/**
 * One bucket of {@link Keyward.usage}: every bucket of the range is present, empty ones with
 * zeros.
 *
 * @example
 * ```ts
 * const { points } = await keyward.usage({ keyId, from, to, granularity: 'hour' });
 * for (const p of points) console.log(p.start.toISOString(), p.total, p.outcomes.verified ?? 0);
 * ```
 */
export interface UsagePoint {
  readonly start: Date;
  /** Verifications in the bucket, whatever their outcome. */
  readonly total: number;
  /** The sum of their `cost`. */
  readonly cost: number;
  readonly outcomes: UsageOutcomes;
}

/**
 * One route's totals over the range of {@link Keyward.usage} with `groupBy: 'route'`; `route`
 * is `''` for verifications whose route template was not known.
 *
 * @example
 * ```ts
 * const { routes } = await keyward.usage({ keyId, from, to, groupBy: 'route' });
 * console.log(routes[0]?.route, routes[0]?.total);
 * ```
 */
export interface UsageRouteTotal {
  readonly route: string;
  readonly total: number;
  readonly cost: number;
  readonly outcomes: UsageOutcomes;
}

function time(value: unknown, option: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new InvalidOptionsError(`${option} must be a Date or a number of ms`);
  }
  return ms;
}

/** Checks `options` and turns them into a store query. Throws InvalidOptionsError naming the problem. */
export function toUsageQuery(options: UsageOptions): UsageQuery {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError('usage() needs { from, to } and optionally keyId or ownerId');
  }
  const { keyId, ownerId } = options;
  if (keyId !== undefined && ownerId !== undefined) {
    throw new InvalidOptionsError('usage(): give keyId or ownerId, not both');
  }
  if (keyId !== undefined && (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId))) {
    throw new InvalidOptionsError('usage(): keyId must be a key id (12 base62 characters)');
  }
  if (
    ownerId !== undefined &&
    (typeof ownerId !== 'string' || ownerId.length === 0 || ownerId.length > 256)
  ) {
    throw new InvalidOptionsError('usage(): ownerId must be a non-empty string');
  }
  const granularity = options.granularity ?? 'hour';
  if (!Object.hasOwn(USAGE_BUCKET_MS, granularity)) {
    throw new InvalidOptionsError('usage(): granularity must be minute, hour or day');
  }
  const groupBy = options.groupBy ?? 'time';
  if (groupBy !== 'time' && groupBy !== 'route') {
    throw new InvalidOptionsError('usage(): groupBy must be time or route');
  }
  const width = USAGE_BUCKET_MS[granularity];
  const from = bucketStart(time(options.from, 'usage(): from'), granularity);
  const end = time(options.to, 'usage(): to');
  const to = bucketStart(end, granularity) + (end % width === 0 ? 0 : width);
  if (to <= from) throw new InvalidOptionsError('usage(): to must be after from');
  const buckets = (to - from) / width;
  if (buckets > MAX_USAGE_BUCKETS) {
    throw new InvalidOptionsError(
      `usage(): the range covers ${buckets} ${granularity} buckets; at most ${MAX_USAGE_BUCKETS} (MAX_USAGE_BUCKETS) per call`,
    );
  }
  const query: UsageQuery = { from, to, granularity, groupBy };
  if (keyId !== undefined) query.keyId = keyId;
  if (ownerId !== undefined) query.ownerId = ownerId;
  return query;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Reads a query from the store and shapes its totals as points or routes. */
export async function readUsage(
  store: UsageStore,
  query: UsageQuery,
): Promise<{ points: UsagePoint[] } | { routes: UsageRouteTotal[] }> {
  const totals = await callStore(
    () => store.queryUsage(query),
    USAGE_STORE_TIMEOUT_MS,
    'usage store',
  );
  const valid = (Array.isArray(totals) ? totals : []).filter(
    (t: UsageTotal) => isCount(t?.count) && isCount(t?.cost) && typeof t.outcome === 'string',
  );
  if (query.groupBy === 'route') {
    const byRoute = new Map<string, { total: number; cost: number; outcomes: UsageOutcomes }>();
    for (const t of valid) {
      const route = typeof t.route === 'string' ? t.route : '';
      let sum = byRoute.get(route);
      if (sum === undefined) {
        sum = { total: 0, cost: 0, outcomes: {} };
        byRoute.set(route, sum);
      }
      sum.total += t.count;
      sum.cost += t.cost;
      sum.outcomes[t.outcome] = (sum.outcomes[t.outcome] ?? 0) + t.count;
    }
    const routes = [...byRoute].map(([route, sum]) => ({ route, ...sum }));
    routes.sort((a, b) => b.total - a.total || (a.route < b.route ? -1 : 1));
    return { routes };
  }
  const width = USAGE_BUCKET_MS[query.granularity];
  const points = Array.from({ length: (query.to - query.from) / width }, (_, i) => ({
    start: new Date(query.from + i * width),
    total: 0,
    cost: 0,
    outcomes: {} as UsageOutcomes,
  }));
  for (const t of valid) {
    const point = points[Math.floor((t.start - query.from) / width)];
    if (point === undefined) continue;
    point.total += t.count;
    point.cost += t.cost;
    point.outcomes[t.outcome] = (point.outcomes[t.outcome] ?? 0) + t.count;
  }
  return { points };
}
