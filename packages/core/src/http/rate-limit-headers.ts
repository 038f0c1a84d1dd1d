import type { Quota } from '../limits/quota.js';
import type { LimitResult, RateLimit } from '../limits/token-bucket.js';

const PERIOD_SECONDS = { minute: 60, hour: 3600, day: 86_400, month: 2_592_000 } as const;

function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

/**
 * RateLimit and RateLimit-Policy headers in the IETF httpapi draft (08+) syntax:
 * `RateLimit-Policy: "key";q=20;w=4` and `RateLimit: "key";r=19;t=0`, with a `"quota"` item
 * when the key has a quota. `Retry-After` is added by the caller on 429.
 */
export function rateLimitHeaders(
  rateLimit: RateLimit | undefined,
  bucket: LimitResult | undefined,
  quota: Quota | undefined,
  window: LimitResult | undefined,
  target: Record<string, string> = {},
): Record<string, string> {
  const policies: string[] = [];
  const states: string[] = [];
  if (rateLimit !== undefined && bucket !== undefined) {
    const fill = Math.ceil(rateLimit.capacity / rateLimit.refillPerSecond);
    policies.push(`"key";q=${rateLimit.capacity};w=${fill}`);
    // Seconds until one token is available: derived from the time to refill fully.
    const msPerToken = 1000 / rateLimit.refillPerSecond;
    const untilToken = bucket.allowed
      ? bucket.resetMs - (rateLimit.capacity - 1) * msPerToken
      : bucket.retryAfterMs;
    states.push(`"key";r=${bucket.remaining};t=${seconds(untilToken)}`);
  }
  if (quota !== undefined && window !== undefined) {
    policies.push(`"quota";q=${quota.limit};w=${PERIOD_SECONDS[quota.period]}`);
    states.push(`"quota";r=${window.remaining};t=${window.allowed ? 0 : seconds(window.resetMs)}`);
  }
  if (policies.length > 0) {
    target['ratelimit-policy'] = policies.join(', ');
    target['ratelimit'] = states.join(', ');
  }
  return target;
}

/** `Retry-After` in whole seconds, at least 1. */
export function retryAfter(ms: number): string {
  return String(Math.max(1, seconds(ms)));
}
