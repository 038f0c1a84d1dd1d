import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

export { REDIS_URL, redisAvailable } from '../../../test-support/services.js';
export { redisServerOnPath, ThrowawayRedis } from '../../../test-support/throwaway-redis.js';
export { freePort, sleep, waitFor } from '../../../test-support/wait.js';

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `kwtest:${label}:${randomBytes(6).toString('hex')}`;
}

/** A client for tests: retries quickly and never logs its errors. */
export function testClient(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, { retryStrategy: () => 100, ...options });
  client.on('error', () => {});
  return client;
}

/** Deletes every key a RedisStore with this prefix may have written. */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}:*`, `{${prefix}:keys}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  }
}
