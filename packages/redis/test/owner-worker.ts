// One process of the shared owner-limit test: its own keyward, client and caches on one Redis
// store, verifying its own key of the shared owner `count` times; prints the outcomes.
import { createKeyward } from '@keyward/core';
import { Redis } from 'ioredis';
import { waitForStart } from '../../../test-support/audit-race.js';
import { RedisStore } from '../src/index.js';

const [url, prefix, key, count] = process.argv.slice(2) as [string, string, string, string];
const client = new Redis(url);
const store = new RedisStore({ client, prefix });
const keyward = createKeyward({
  prefix: 'acme',
  store,
  invalidation: false,
  ownerLimits: () => ({
    rateLimit: { capacity: 40, refillPerSecond: 0.001 },
    quota: { limit: 30, period: 'day' },
  }),
});
await client.ping();
waitForStart();
const outcomes: Record<string, number> = {};
for (let i = 0; i < Number(count); i++) {
  const result = await keyward.verify({ headers: { authorization: `Bearer ${key}` } });
  const outcome = result.ok ? 'ok' : result.code;
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
}
process.stdout.write(JSON.stringify(outcomes));
await client.quit();
