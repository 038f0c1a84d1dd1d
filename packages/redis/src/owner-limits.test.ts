import { fileURLToPath } from 'node:url';
import { createKeyward } from '@keyward/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceWorkers } from '../../../test-support/audit-race.js';
import {
  deletePrefix,
  REDIS_URL,
  redisAvailable,
  testClient,
  uniquePrefix,
} from '../test/support.js';
import { RedisStore } from './redis-store.js';

const available = await redisAvailable();

describe.skipIf(!available)('RedisStore — owner-shared limits (#14)', () => {
  const prefix = uniquePrefix('owner');
  let client: Redis;

  beforeAll(() => {
    client = testClient(REDIS_URL);
  });

  afterAll(async () => {
    await deletePrefix(client, prefix);
    await client.quit();
  });

  it('two processes with a key each of one owner share its bucket and quota exactly', async () => {
    const store = new RedisStore({ client, prefix });
    const keyward = createKeyward({ prefix: 'acme', store, invalidation: false });
    const owner = `acct_${prefix}`;
    const one = await keyward.create({ name: 'one', ownerId: owner });
    const two = await keyward.create({ name: 'two', ownerId: owner });
    const worker = fileURLToPath(new URL('../test/owner-worker.ts', import.meta.url));
    const results = (await raceWorkers(worker, [
      [REDIS_URL, prefix, one.key, '25'],
      [REDIS_URL, prefix, two.key, '25'],
    ])) as Record<string, number>[];
    const total: Record<string, number> = {};
    for (const outcomes of results) {
      for (const [outcome, count] of Object.entries(outcomes)) {
        total[outcome] = (total[outcome] ?? 0) + count;
      }
    }
    // 50 requests: the owner's bucket of 40 refuses 10; of the 40 it lets through, the owner's
    // quota of 30 refuses 10. Each key alone would have been let through 25 times.
    expect(total).toEqual({ ok: 30, quota_exceeded: 10, rate_limited: 10 });
    expect(results).toHaveLength(2);
    store.close();
  }, 90_000);
});
