// Redis chores of the soak: a reachability probe and removing everything a run wrote.
import { Redis } from 'ioredis';

/** A client that fails fast instead of queueing, with its errors kept quiet. */
export function soakClient(url) {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  client.on('error', () => {});
  return client;
}

/** Whether Redis answers PING within two seconds. */
export async function redisAnswers(url) {
  const probe = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Deletes every key a RedisStore with this prefix may have written. */
export async function deletePrefix(client, prefix) {
  let deleted = 0;
  for (const pattern of [`${prefix}:*`, `{${prefix}:keys}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  }
  return deleted;
}
