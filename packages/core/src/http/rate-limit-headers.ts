import type { Quota } from '../limits/quota.js';
import type { LimitResult, RateLimit } from '../limits/token-bucket.js';

const PERIOD_SECONDS = { minute: 60, hour: 3600, day: 86_400, month: 2_592_000 } as const;

function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

/** The `RateLimit-Policy` value for a key's limits; static per key, so compiled once. */
export function rateLimitPolicy(
  rateLimit: RateLimit | undefined,
  quota: Quota | undefined,
): { key: string | undefined; quota: string | undefined } {
  return {
    key:
      rateLimit === undefined
        ? undefined
        : `"key";q=${rateLimit.capacity};w=${Math.ceil(rateLimit.capacity / rateLimit.refillPerSecond)}`,
    quota:
      quota === undefined
        ? undefined
        : `"quota";q=${quota.limit};w=${PERIOD_SECONDS[quota.period]}`,
  };
}

/**
 * RateLimit and RateLimit-Policy headers in the IETF httpapi draft (08+) syntax:
 * `RateLimit-Policy: "key";q=20;w=4` and `RateLimit: "key";r=19;t=0`, with a `"quota"` item
 * when the key has a quota. `t` is the seconds until a token is available (until the window
 * resets, for an exhausted quota). `Retry-After` is added by the caller on 429.
 */
export function rateLimitHeaders(
  rateLimit: RateLimit | undefined,
  bucket: LimitResult | undefined,
  quota: Quota | undefined,
  window: LimitResult | undefined,
  policy = rateLimitPolicy(rateLimit, quota),
): Record<string, string> {
  let policies: string | undefined;
  let states: string | undefined;
  if (rateLimit !== undefined && bucket !== undefined) {
    // Seconds until one token is available: derived from the time to refill fully.
    const untilToken = !bucket.allowed
      ? bucket.retryAfterMs
      : bucket.remaining > 0
        ? 0
        : bucket.resetMs - ((rateLimit.capacity - 1) * 1000) / rateLimit.refillPerSecond;
    policies = policy.key;
    states = `"key";r=${bucket.remaining};t=${seconds(untilToken)}`;
  }
  if (quota !== undefined && window !== undefined) {
    const exhausted = !window.allowed || window.remaining <= 0;
    const state = `"quota";r=${window.remaining};t=${exhausted ? seconds(window.resetMs) : 0}`;
    policies = policies === undefined ? policy.quota : `${policies}, ${policy.quota}`;
    states = states === undefined ? state : `${states}, ${state}`;
  }
  if (policies === undefined || states === undefined) return {};
  return { 'ratelimit-policy': policies, ratelimit: states };
}

/** `Retry-After` in whole seconds, at least 1. */
export function retryAfter(ms: number): string {
  return String(Math.max(1, seconds(ms)));
}
