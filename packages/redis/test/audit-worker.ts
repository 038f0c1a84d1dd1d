// One process of the Redis audit race: keyward on RedisStore (its own client), audited creates
// and updates interleaved with the other processes' on one chain.
import { createKeyward } from '@keyward/core';
import { Redis } from 'ioredis';
import { auditRaceWork, waitForStart } from '../../../test-support/audit-race.js';
import { RedisStore } from '../src/index.js';

const [url, prefix, writer, count] = process.argv.slice(2) as [string, string, string, string];
const client = new Redis(url);
const store = new RedisStore({ client, prefix });
const keyward = createKeyward({ prefix: 'acme', store, invalidation: false });
await client.ping();
waitForStart();
const result = await auditRaceWork(keyward, writer, Number(count));
process.stdout.write(JSON.stringify(result));
await client.quit();
