import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisAvailable } from '../../../../test-support/services.js';
import { freePort, waitFor } from '../../../../test-support/wait.js';
import { RedisSeenIdStore } from './redis-seen-id-store.js';

const available = await redisAvailable();

describe.skipIf(!available)('RedisSeenIdStore (real Redis)', () => {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  const prefix = `keyward-test:webhook-id:${randomUUID()}:`;
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  it('accepts an id once, across two stores on two connections', async () => {
    const other = new Redis(REDIS_URL);
    try {
      const a = new RedisSeenIdStore({ client, prefix });
      const b = new RedisSeenIdStore({ client: other, prefix });
      expect(await a.add('msg_1', 60_000)).toBe(true);
      expect(await b.add('msg_1', 60_000)).toBe(false);
      expect(await a.add('msg_1', 60_000)).toBe(false);
    } finally {
      other.disconnect();
    }
  });

  it('lets exactly one of many concurrent adds of one id win', async () => {
    const store = new RedisSeenIdStore({ client, prefix });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.add('msg_race', 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('sets the TTL in milliseconds, on the key under the prefix', async () => {
    const store = new RedisSeenIdStore({ client, prefix });
    await store.add('msg_ttl', 45_500);
    const ttl = await client.pttl(`${prefix}msg_ttl`);
    expect(ttl).toBeGreaterThan(40_000);
    expect(ttl).toBeLessThanOrEqual(45_500);
  });

  it('forgets an id once its TTL ends, and a deleted one at once', async () => {
    const store = new RedisSeenIdStore({ client, prefix });
    expect(await store.add('msg_short', 50)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.add('msg_short', 60_000)).toBe(true);
    await store.delete('msg_short');
    expect(await store.add('msg_short', 60_000)).toBe(true);
  });

  it('fails at once, instead of waiting in the offline queue, while reconnecting', async () => {
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      retryStrategy: () => 50,
    });
    down.on('error', () => {});
    try {
      expect(await waitFor(() => down.status === 'reconnecting', 5000)).toBe(true);
      const store = new RedisSeenIdStore({ client: down, prefix });
      const started = Date.now();
      await expect(store.add('msg_down', 1000)).rejects.toThrow(/down/);
      await expect(store.delete('msg_down')).rejects.toThrow(/down/);
      // The errors are the store's own (/down/), not the offline queue giving up after ioredis's
      // retries; the bound leaves room for an event-loop stall.
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      down.disconnect();
    }
  });

  it('throws a TypeError without a client', () => {
    expect(() => new RedisSeenIdStore({} as never)).toThrow(TypeError);
  });
});
