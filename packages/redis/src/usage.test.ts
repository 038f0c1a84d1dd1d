import { createKeyward } from '@keyward/core';
import { describeUsageStore } from '@keyward/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deletePrefix,
  REDIS_URL,
  redisAvailable,
  testClient,
  uniquePrefix,
} from '../test/support.js';
import { RedisStore } from './redis-store.js';

const available = await redisAvailable();
const DAY = 86_400_000;

/** A key name without the prefix and hash tag: `m:<subject>:<container>`, `lu`, `b:<batch>:<n>`. */
const afterTag = (key: string) => key.slice(key.indexOf('}:') + 2);

async function keysOf(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

describe.skipIf(!available)('RedisStore — usage', () => {
  const prefix = uniquePrefix('usage');
  let client: Redis;
  let otherClient: Redis;
  let store: RedisStore;
  let second: RedisStore;

  beforeAll(() => {
    client = testClient(REDIS_URL);
    otherClient = testClient(REDIS_URL);
    store = new RedisStore({ client, prefix, channel: `${prefix}:invalidate` });
    second = new RedisStore({ client: otherClient, prefix, channel: `${prefix}:invalidate` });
  });

  afterAll(async () => {
    store.close();
    second.close();
    await deletePrefix(client, prefix);
    await client.quit();
    await otherClient.quit();
  });

  describeUsageStore('RedisStore', () => store, { secondWriter: () => second, ownClock: true });

  it('keeps each subject’s hashes under one hash tag, expiring after its retention', async () => {
    const own = uniquePrefix('usage-ttl');
    const ttlStore = new RedisStore({
      client,
      prefix: own,
      usageRetentionDays: { minute: 1, hour: 2, day: 3 },
    });
    const minute = Date.now() - (Date.now() % 60_000);
    await ttlStore.recordUsage(
      [
        {
          keyId: 'TtlKey000001',
          ownerId: 'acct_ttl',
          minute,
          outcome: 'verified',
          route: 'GET /t',
          count: 1,
          cost: 1,
        },
      ],
      new Map([['TtlKey000001', minute]]),
      'batch-ttl',
    );
    const keys = await keysOf(client, own);
    const keyHashes = keys.filter((k) => k.includes(':TtlKey000001:'));
    expect(keyHashes.map((k) => afterTag(k).split(':')[0])).toEqual(['d', 'h', 'm']);
    const tags = new Set(keyHashes.map((k) => /\{[^}]*\}/.exec(k)?.[0]));
    expect(tags.size).toBe(1);
    const ttl = async (letter: string) =>
      client.pttl(keyHashes.find((k) => afterTag(k).startsWith(`${letter}:`))!);
    const hourStart = minute - (minute % 3_600_000);
    expect(await ttl('m')).toBeGreaterThan(hourStart + 3_600_000 + DAY - Date.now() - 5_000);
    expect(await ttl('m')).toBeLessThanOrEqual(hourStart + 3_600_000 + DAY - Date.now() + 1_000);
    expect(await ttl('h')).toBeGreaterThan(DAY * 2);
    expect(await ttl('h')).toBeLessThanOrEqual(DAY * 3);
    expect(await ttl('d')).toBeGreaterThan(DAY * 3);
    expect(await ttl('d')).toBeLessThanOrEqual(DAY * 33);
    // Owner and deployment totals, the last-use set and the batch marker: nothing else.
    const others = keys.filter((k) => !k.includes(':TtlKey000001:')).map(afterTag);
    const kinds = others.map((k) => k.split(':').slice(0, 2).join(':'));
    expect(kinds.filter((k) => !k.startsWith('b:')).sort()).toEqual(
      ['d:*', 'd:@acct_ttl', 'h:*', 'h:@acct_ttl', 'lu', 'm:*', 'm:@acct_ttl'].sort(),
    );
    // One batch marker per hash tag the batch wrote to.
    const markers = kinds.filter((k) => k === 'b:batch-ttl').length;
    expect(markers).toBeGreaterThanOrEqual(1);
    expect(markers).toBeLessThanOrEqual(3);
    await deletePrefix(client, own);
  });

  it('adds only the missing chunks when a batch comes again after a partial failure', async () => {
    const own = uniquePrefix('usage-partial');
    const partial = new RedisStore({ client, prefix: own });
    const minute = Date.UTC(2033, 3, 4, 5, 6);
    // Enough distinct keys that the batch spans every hash tag, several chunks in all.
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      keyId: `Part${String(i).padStart(8, '0')}`,
      minute,
      outcome: 'verified' as const,
      route: '',
      count: 1,
      cost: 1,
    }));
    await partial.recordUsage(rows, new Map(), 'batch-partial');
    // Lose some chunks' effects as if their calls had failed: drop the deployment totals' markers
    // and hashes of one tag, then offer the batch again.
    const keys = await keysOf(client, own);
    const tagOfAll = /\{[^}]*\}/.exec(keys.find((k) => k.includes(':m:*:'))!)![0];
    const lost = keys.filter((k) => k.includes(tagOfAll));
    await client.del(...lost);
    await partial.recordUsage(rows, new Map(), 'batch-partial');
    await partial.recordUsage(rows, new Map(), 'batch-partial');
    const totals = await partial.queryUsage({
      from: minute,
      to: minute + 60_000,
      granularity: 'minute',
      groupBy: 'time',
    });
    expect(totals).toEqual([
      { start: minute, route: '', outcome: 'verified', count: 3000, cost: 3000 },
    ]);
    const sample = await partial.queryUsage({
      keyId: 'Part00000042',
      from: minute,
      to: minute + 60_000,
      granularity: 'minute',
      groupBy: 'time',
    });
    expect(sample.map((t) => t.count)).toEqual([1]);
    await deletePrefix(client, own);
  });

  it('fails fast with store_unavailable when the connection is down, and keyward keeps the batch', async () => {
    const own = uniquePrefix('usage-down');
    const downClient = testClient(REDIS_URL);
    const downStore = new RedisStore({ client: downClient, prefix: own });
    const keyward = createKeyward({
      prefix: 'acme',
      store: downStore,
      usage: { flushIntervalMs: 60_000 },
    });
    const { key, record } = await keyward.create({ name: 'down', environment: 'live' });
    await keyward.verify({ headers: { authorization: `Bearer ${key}` } });
    downClient.disconnect();
    await expect(keyward.flush()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(keyward.stats().pendingUsageRows).toBe(1);
    await downClient.connect();
    await keyward.flush();
    const { points } = await keyward.usage({
      keyId: record.id,
      from: Date.now() - 3_600_000,
      to: Date.now() + 60_000,
    });
    expect(points.reduce((sum, p) => sum + p.total, 0)).toBe(1);
    await keyward.close();
    downStore.close();
    await deletePrefix(client, own);
    await downClient.quit();
  });
});
