import { LRUCache } from 'lru-cache';
import { type BucketState, type RateLimit, takeToken } from './token-bucket.js';

/**
 * The bucket a client IP counts against: IPv4-mapped IPv6 as its IPv4 address, other IPv6
 * addresses by their /64 (one subscriber's usual allocation, so hopping addresses within it gains
 * nothing), anything else as given.
 */
export function clientBucket(ip: string): string {
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  if (!lower.includes(':')) return lower;
  const zone = lower.indexOf('%');
  const address = zone === -1 ? lower : lower.slice(0, zone);
  const halves = address.split('::');
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length > 1 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const groups =
    halves.length > 1
      ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail]
      : head;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Per-client-IP throttling of bad keys, in this process: each failure takes a token; an IP with an
 * empty bucket is refused until it refills. Bounded to `maxClients` IPs (least recently seen
 * forgotten first).
 */
export class FailedAttempts {
  readonly #buckets: LRUCache<string, BucketState>;
  /** Throttled clients and when they may try again; empty in the common case, so checked first. */
  readonly #blockedUntil: LRUCache<string, number>;

  constructor(
    private readonly limit: RateLimit,
    maxClients = 50_000,
  ) {
    this.#buckets = new LRUCache({ max: maxClients });
    this.#blockedUntil = new LRUCache({ max: maxClients });
  }

  /** Ms until `ip` may try again, or 0 when it is not throttled. */
  blockedFor(ip: string | undefined, now: number): number {
    if (ip === undefined || this.#blockedUntil.size === 0) return 0;
    const bucket = clientBucket(ip);
    const until = this.#blockedUntil.get(bucket);
    if (until === undefined) return 0;
    if (now < until) return until - now;
    this.#blockedUntil.delete(bucket);
    return 0;
  }

  /** Records a failure; true when this failure emptied the bucket (the IP is now throttled). */
  record(ip: string | undefined, now: number): boolean {
    if (ip === undefined) return false;
    const bucket = clientBucket(ip);
    const { state } = takeToken(this.#buckets.get(bucket), this.limit, 1, now);
    this.#buckets.set(bucket, state);
    if (state.tokens >= 1) return false;
    const waitMs = Math.ceil(((1 - state.tokens) * 1000) / this.limit.refillPerSecond);
    this.#blockedUntil.set(bucket, now + waitMs);
    return true;
  }
}
