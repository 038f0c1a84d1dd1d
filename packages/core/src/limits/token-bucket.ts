import { InvalidOptionsError } from '../errors.js';
import { rejectUnknownOptions } from '../option-names.js';

/**
 * A token bucket's settings: it holds up to `capacity` tokens and gains `refillPerSecond`.
 *
 * @example
 * ```ts
 * await keyward.create({ name: 'ci', rateLimit: { capacity: 20, refillPerSecond: 5 } });
 * ```
 */
export interface RateLimit {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/**
 * A bucket's stored state. `tokens` may be fractional.
 *
 * @example
 * ```ts
 * const state: BucketState = { tokens: 3.5, updatedAt: Date.now() };
 * ```
 */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/**
 * The outcome of one take from a bucket or one count against a quota.
 *
 * @example
 * ```ts
 * const result: LimitResult = store.takeToken('key-id', { capacity: 10, refillPerSecond: 1 }, 1, Date.now());
 * ```
 */
export interface LimitResult {
  readonly allowed: boolean;
  /** Whole tokens (or quota units) left after this request. */
  readonly remaining: number;
  /** When refused: ms until the request could succeed. 0 when allowed. */
  readonly retryAfterMs: number;
  /** Ms until the bucket is full again (or the quota window resets). */
  readonly resetMs: number;
}

const RATE_LIMIT_NAMES: ReadonlySet<string> = new Set(['capacity', 'refillPerSecond']);

/** Validates a `rateLimit` option; throws naming the bad field. */
export function validateRateLimit(value: unknown, option = 'rateLimit'): RateLimit {
  const limit = value as Partial<RateLimit> | null;
  if (typeof limit !== 'object' || limit === null) {
    throw new InvalidOptionsError(`${option} must be { capacity, refillPerSecond }`);
  }
  rejectUnknownOptions(limit, RATE_LIMIT_NAMES, option, (m) => new InvalidOptionsError(m));
  const { capacity, refillPerSecond } = limit;
  if (typeof capacity !== 'number' || !Number.isFinite(capacity) || capacity <= 0) {
    throw new InvalidOptionsError(`${option}.capacity must be a positive number`);
  }
  if (
    typeof refillPerSecond !== 'number' ||
    !Number.isFinite(refillPerSecond) ||
    refillPerSecond <= 0
  ) {
    throw new InvalidOptionsError(`${option}.refillPerSecond must be a positive number`);
  }
  return { capacity, refillPerSecond };
}

/**
 * Takes `cost` tokens from a bucket at time `now` (ms). Pure: returns the new state and the
 * result. Time running backwards never adds tokens; a bucket never holds more than `capacity`.
 *
 * @example
 * ```ts
 * const { state, result } = takeToken(previous, { capacity: 10, refillPerSecond: 1 }, 1, Date.now());
 * save(state);
 * if (!result.allowed) console.log(`retry in ${result.retryAfterMs} ms`);
 * ```
 */
export function takeToken(
  state: BucketState | undefined,
  limit: RateLimit,
  cost: number,
  now: number,
): { state: BucketState; result: LimitResult } {
  const { capacity, refillPerSecond } = limit;
  let tokens = capacity;
  if (state !== undefined) {
    const elapsed = Math.max(0, now - state.updatedAt);
    tokens = Math.min(capacity, state.tokens + (elapsed * refillPerSecond) / 1000);
  }
  const updatedAt = state === undefined ? now : Math.max(now, state.updatedAt);
  // A hair of tolerance: waiting exactly `retryAfterMs` must succeed despite float rounding.
  const allowed = tokens + 1e-9 >= cost;
  if (allowed) tokens = Math.max(0, tokens - cost);
  const msPerToken = 1000 / refillPerSecond;
  return {
    state: { tokens, updatedAt },
    result: {
      allowed,
      remaining: Math.floor(tokens + 1e-9),
      retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens) * msPerToken),
      resetMs: Math.ceil((capacity - tokens) * msPerToken),
    },
  };
}
