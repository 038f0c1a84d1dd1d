// The setup every process of this deployment shares: one ioredis client, one RedisStore (keys,
// limits and cache invalidation), one keyward instance. The prefix and channel keep this
// deployment's Redis keys and messages apart from any other sharing the server.
import { createKeyward } from '@keyward/core';
import { RedisStore } from '@keyward/redis';
import { Redis } from 'ioredis';

/** Connects to Redis and builds keyward on it; `close()` undoes all of it. */
export function keywardOnRedis({ redisUrl, prefix }) {
  const client = new Redis(redisUrl, { commandTimeout: 1_000, maxRetriesPerRequest: 1 });
  client.on('error', (error) => console.error(`redis: ${error.message}`));
  const store = new RedisStore({ client, prefix, channel: `${prefix}:invalidate` });
  const keyward = createKeyward({ prefix: 'acme', store }); // invalidation: picked up from store
  return {
    client,
    keyward,
    close: async () => {
      await keyward.close();
      await store.close();
      await client.quit();
    },
  };
}
