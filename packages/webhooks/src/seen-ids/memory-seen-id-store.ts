import type { SeenIdStore } from './types.js';

/**
 * Options of {@link MemorySeenIdStore}.
 *
 * @example
 * ```ts
 * const options: MemorySeenIdStoreOptions = { maxEntries: 10_000 };
 * ```
 */
export interface MemorySeenIdStoreOptions {
  /** At most this many ids are kept; past it the oldest is forgotten. Default 100,000. */
  readonly maxEntries?: number | undefined;
  /** Milliseconds since the epoch; for tests. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
}

/**
 * The seen-id store of one process: ids expire after their TTL and memory is bounded by
 * `maxEntries` (the oldest id goes first). No timer: expired ids are dropped as new ones arrive.
 * With several processes behind a load balancer, a replay can reach another process: use
 * {@link RedisSeenIdStore} there.
 *
 * @example
 * ```ts
 * import { MemorySeenIdStore } from '@keyward/webhooks';
 * import { webhookAuth } from '@keyward/webhooks/express';
 *
 * app.post('/webhooks', webhookAuth({ secrets, seenIds: new MemorySeenIdStore({ maxEntries: 10_000 }) }), handler);
 * ```
 */
export class MemorySeenIdStore implements SeenIdStore {
  /** id → expiry (ms since the epoch), in insertion order. */
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #clock: () => number;

  constructor(options: MemorySeenIdStoreOptions = {}) {
    const { maxEntries = 100_000, clock = Date.now } = options;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer');
    }
    if (typeof clock !== 'function') throw new TypeError('clock must be a function');
    this.#maxEntries = maxEntries;
    this.#clock = clock;
  }

  /** How many ids are held (expired ones included until they are dropped). */
  get size(): number {
    return this.#expiries.size;
  }

  add(id: string, ttlMs: number): boolean {
    const now = this.#clock();
    const expiries = this.#expiries;
    const expiry = expiries.get(id);
    if (expiry !== undefined) {
      if (expiry > now) return false;
      expiries.delete(id);
    }
    for (const [oldest, oldestExpiry] of expiries) {
      if (oldestExpiry > now && expiries.size < this.#maxEntries) break;
      expiries.delete(oldest);
    }
    expiries.set(id, now + ttlMs);
    return true;
  }

  delete(id: string): void {
    this.#expiries.delete(id);
  }
}
