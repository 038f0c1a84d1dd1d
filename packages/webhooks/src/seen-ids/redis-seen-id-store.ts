import type { SeenIdStore } from './types.js';

/**
 * What {@link RedisSeenIdStore} needs of a Redis client: ioredis's `set` and `del` (a `Redis` or
 * a `Cluster`: one key per command). `status`, when there, lets a dropped connection fail at once
 * instead of waiting in the client's offline queue.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 *
 * const client: RedisSeenIdClient = new Redis(process.env.REDIS_URL!);
 * ```
 */
export interface RedisSeenIdClient {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<unknown>;
  del(key: string): Promise<unknown>;
  readonly status?: string;
}

/**
 * Options of {@link RedisSeenIdStore}.
 *
 * @example
 * ```ts
 * const options: RedisSeenIdStoreOptions = { client, prefix: 'billing:webhook-id:' };
 * ```
 */
export interface RedisSeenIdStoreOptions {
  /** The ioredis client (`Redis` or `Cluster`) your app already has. */
  readonly client: RedisSeenIdClient;
  /** Put before every id to make its key. Default `keyward:webhook-id:`. */
  readonly prefix?: string | undefined;
}

/** Client states in which a command would wait for a connection that was lost. */
const DOWN = new Set(['reconnecting', 'close', 'end']);

/**
 * The seen-id store shared by every process: one `SET key 1 PX ttl NX` per accepted webhook (an
 * atomic "first one wins", on the Redis server's clock) and one `DEL` when a handler failed.
 * Duck-typed on the ioredis client you pass, so `@keyward/webhooks` has no dependency on
 * ioredis (nor on `@keyward/redis`, which needs `@keyward/core`). A failing Redis makes the
 * middleware answer `503 store_unavailable`, and the sender retries later.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisSeenIdStore } from '@keyward/webhooks';
 * import { webhookAuth } from '@keyward/webhooks/express';
 *
 * const client = new Redis(process.env.REDIS_URL!, { commandTimeout: 1000 });
 * app.post('/webhooks', webhookAuth({ secrets, seenIds: new RedisSeenIdStore({ client }) }), handler);
 * ```
 */
export class RedisSeenIdStore implements SeenIdStore {
  readonly #client: RedisSeenIdClient;
  readonly #prefix: string;

  constructor(options: RedisSeenIdStoreOptions) {
    const client = options?.client;
    if (typeof client?.set !== 'function' || typeof client.del !== 'function') {
      throw new TypeError('RedisSeenIdStore needs { client }: an ioredis Redis or Cluster');
    }
    const prefix = options.prefix ?? 'keyward:webhook-id:';
    if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
    this.#client = client;
    this.#prefix = prefix;
  }

  #checkConnection(): void {
    const status = this.#client.status;
    if (status !== undefined && DOWN.has(status)) {
      throw new Error(`the Redis connection is down (${status})`);
    }
  }

  async add(id: string, ttlMs: number): Promise<boolean> {
    this.#checkConnection();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const reply = await this.#client.set(this.#prefix + id, '1', 'PX', ttl, 'NX');
    return reply === 'OK';
  }

  async delete(id: string): Promise<void> {
    this.#checkConnection();
    await this.#client.del(this.#prefix + id);
  }
}
