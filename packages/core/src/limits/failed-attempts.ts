import { LRUCache } from 'lru-cache';
import { type BucketState, type RateLimit, takeToken } from './token-bucket.js';

/**
 * Per-client-IP throttling of bad keys, in this process: each failure takes a token; an IP with an
 * empty bucket is refused until it refills. Bounded to `maxClients` IPs (least recently seen
 * forgotten first).
 */
export class FailedAttempts {
  readonly #buckets: LRUCache<string, BucketState>;

  constructor(
    private readonly limit: RateLimit,
    maxClients = 50_000,
  ) {
    this.#buckets = new LRUCache({ max: maxClients });
  }

  /** Ms until `ip` may try again, or 0 when it is not throttled. */
  blockedFor(ip: string | undefined, now: number): number {
    if (ip === undefined || this.#buckets.size === 0) return 0;
    const state = this.#buckets.peek(ip);
    if (state === undefined) return 0;
    const { result } = takeToken(state, this.limit, 1, now);
    return result.allowed ? 0 : result.retryAfterMs;
  }

  /** Records a failure; true when this failure emptied the bucket (the IP is now throttled). */
  record(ip: string | undefined, now: number): boolean {
    if (ip === undefined) return false;
    const { state, result } = takeToken(this.#buckets.get(ip), this.limit, 1, now);
    this.#buckets.set(ip, state);
    return result.allowed && result.remaining === 0;
  }
}
