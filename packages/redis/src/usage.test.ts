import { createKeyward, MemoryStore, type UsageRow, type UsageTotal } from '@keyward/core';
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

/** A key name without the prefix and hash tag: `m:<hour>`, `ad:<period>`, `lu`, `b:<batch>:<n>`. */
const afterTag = (key: string) => key.slice(key.indexOf('}:') + 2);

/** Totals in a stable order, for comparing. */
function sorted(totals: readonly UsageTotal[]): UsageTotal[] {
  const key = (t: UsageTotal) => `${t.start}\n${t.route}\n${t.outcome}`;
  return [...totals].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

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

  it('keeps a tag’s cells in a few shared hashes (none per key), each expiring after its span and retention', async () => {
    const own = uniquePrefix('usage-layout');
    const layout = new RedisStore({
      client,
      prefix: own,
      usageRetentionDays: { minute: 1, hour: 2, day: 3 },
    });
    const now = Date.now();
    const minute = now - (now % 60_000);
    const keyIds = Array.from({ length: 2000 }, (_, i) => `Lay${String(i).padStart(9, '0')}`);
    await layout.recordUsage(
      keyIds.map((keyId) => ({
        keyId,
        ownerId: 'acct_layout',
        minute,
        outcome: 'verified' as const,
        route: 'GET /t',
        count: 1,
        cost: 1,
      })),
      new Map(keyIds.map((keyId) => [keyId, minute])),
      'batch-layout',
    );
    const keys = await keysOf(client, own);
    // Per tag at most: minute, hour and day hashes, the pair dictionary, the last-use set and a
    // batch marker per call (the owner's and the deployment's cells come in calls of their own);
    // the deployment's three hashes besides.
    expect(keys.length).toBeLessThanOrEqual(16 * 6 + 2 + 3);
    const kinds = new Set(keys.map((k) => afterTag(k).split(':')[0]));
    expect([...kinds].sort()).toEqual(['ad', 'ah', 'am', 'b', 'd', 'h', 'lu', 'm', 'pairs']);
    // A key's cells are fields of its tag's hashes, named with the key id.
    const sample = keyIds[7]!;
    const holding: string[] = [];
    for (const key of keys.filter((k) => /:[mhd]:\d+$/.test(k))) {
      const fields = await client.hkeys(key);
      if (fields.some((f) => f.includes(`:${sample}:`))) holding.push(key);
    }
    expect(holding.map((k) => afterTag(k).split(':')[0]).sort()).toEqual(['d', 'h', 'm']);
    expect(new Set(holding.map((k) => /\{[^}]*\}/.exec(k)?.[0])).size).toBe(1);
    const ttl = async (letter: string) =>
      client.pttl(holding.find((k) => afterTag(k).startsWith(`${letter}:`))!);
    const hourEnd = minute - (minute % 3_600_000) + 3_600_000;
    // The clock read before the PTTL bounds it from above, the one read after from below.
    const asked = Date.now();
    const minuteTtl = await ttl('m');
    expect(minuteTtl).toBeGreaterThan(hourEnd + DAY - Date.now() - 5_000);
    expect(minuteTtl).toBeLessThanOrEqual(hourEnd + DAY - asked + 1_000);
    expect(await ttl('h')).toBeGreaterThan(DAY * 2);
    expect(await ttl('h')).toBeLessThanOrEqual(DAY * 3);
    expect(await ttl('d')).toBeGreaterThan(DAY * 3);
    expect(await ttl('d')).toBeLessThanOrEqual(DAY * 33);
    for (const key of keys.filter((k) => !afterTag(k).startsWith('lu'))) {
      expect(await client.pttl(key), key).toBeGreaterThan(0);
    }
    // The pair names outlive every hash that uses them, even after a late batch of older usage.
    const pairsOf = holding[0]!.replace(/:[mhd]:\d+$/, ':pairs');
    expect(await client.pttl(pairsOf)).toBeGreaterThanOrEqual(await ttl('d'));
    await layout.recordUsage(
      [
        {
          keyId: sample,
          minute: minute - 60 * DAY,
          outcome: 'verified',
          route: 'GET /t',
          count: 1,
          cost: 1,
        },
      ],
      new Map(),
    );
    expect(await client.pttl(pairsOf)).toBeGreaterThanOrEqual(await ttl('d'));
    await deletePrefix(client, own);
  });

  it('adds only the missing chunks when a batch comes again after a partial failure', async () => {
    const own = uniquePrefix('usage-partial');
    const partial = new RedisStore({ client, prefix: own });
    const minute = Date.UTC(2033, 3, 4, 5, 6);
    // Enough distinct keys that every hash tag gets several chunks.
    const rows = Array.from({ length: 20_000 }, (_, i) => ({
      keyId: `Part${String(i).padStart(8, '0')}`,
      minute,
      outcome: 'verified' as const,
      route: '',
      count: 1,
      cost: 1,
    }));
    await partial.recordUsage(rows, new Map(), 'batch-partial');
    const keys = await keysOf(client, own);
    expect(keys.filter((k) => afterTag(k).startsWith('b:batch-partial:1')).length).toBe(16);
    // Lose one tag's chunks as if their calls had failed (markers and cells), then offer the
    // batch again, twice: that tag is added again, the others are skipped.
    const tagOfAll = /\{[^}]*\}/.exec(keys.find((k) => afterTag(k).startsWith('am:'))!)![0];
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
      { start: minute, route: '', outcome: 'verified', count: 20_000, cost: 20_000 },
    ]);
    for (const keyId of ['Part00000042', 'Part00019999']) {
      const sample = await partial.queryUsage({
        keyId,
        from: minute - (minute % DAY),
        to: minute - (minute % DAY) + DAY,
        granularity: 'hour',
        groupBy: 'time',
      });
      expect(sample.map((t) => t.count)).toEqual([1]);
    }
    await deletePrefix(client, own);
  });

  it('answers every query as MemoryStore does, over random batches across hour, day and 30-day boundaries', async () => {
    const own = uniquePrefix('usage-random');
    const retention = { minute: 400, hour: 400, day: 400 };
    const redis = new RedisStore({ client, prefix: own, usageRetentionDays: retention });
    const memory = new MemoryStore({ usageRetentionDays: retention });
    let seed = 0x2f6e2b1;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    // Two days either side of the start of a 30-day span (days since the epoch, multiple of 30).
    const start = Date.UTC(2036, 0, 1) - ((Date.UTC(2036, 0, 1) / DAY) % 30) * DAY - 2 * DAY;
    const keyIds = [
      '',
      ...Array.from({ length: 40 }, (_, i) => `Rnd${String(i).padStart(9, '0')}`),
    ];
    const owners = [undefined, 'acct_1', 'acct:2|x', '@3'];
    const ownerOf = new Map(keyIds.map((keyId, i) => [keyId, owners[i % owners.length]]));
    const outcomes = ['verified', 'rate_limited', 'insufficient_scope'] as const;
    const routes = ['', 'GET /a', 'POST /b/:id', 'GET /c|d,e:f', 'PUT /ü\n'];
    const makeRow = (keyId: string, minute: number): UsageRow => {
      const count = 1 + Math.floor(random() * 5);
      const row: UsageRow = {
        keyId,
        minute,
        outcome: pick(outcomes),
        route: pick(routes),
        count,
        cost: random() < 0.3 ? count * 3 : count,
      };
      const ownerId = ownerOf.get(keyId);
      if (ownerId !== undefined) row.ownerId = ownerId;
      return row;
    };
    const minuteIn = () => start + Math.floor(random() * 4 * 24 * 60) * 60_000;
    const batches: { rows: UsageRow[]; lastUsed: Map<string, number>; id?: string }[] = [];
    for (let b = 0; b < 6; b++) {
      const rows: UsageRow[] = [];
      for (let n = 0; n < 300; n++) rows.push(makeRow(pick(keyIds), minuteIn()));
      // Some batches come key by key (runs), others in any order (a key's rows apart).
      if (b % 2 === 0) rows.sort((x, y) => (x.keyId < y.keyId ? -1 : x.keyId > y.keyId ? 1 : 0));
      const lastUsed = new Map(
        rows.map((r) => [r.keyId, r.minute + Math.floor(random() * 60_000)]),
      );
      batches.push(b === 3 ? { rows, lastUsed, id: `batch-random-${b}` } : { rows, lastUsed });
    }
    // A big batch (several chunks per tag): 400 keys of their own × 50 minutes.
    const big: UsageRow[] = [];
    for (let k = 0; k < 400; k++) {
      const keyId = `Big${String(k).padStart(9, '0')}`;
      for (let m = 0; m < 50; m++)
        big.push(makeRow(keyId, start + 2 * DAY - 25 * 60_000 + m * 60_000));
    }
    batches.push({ rows: big, lastUsed: new Map(), id: 'batch-random-big' });
    for (const batch of batches) {
      await redis.recordUsage(batch.rows, batch.lastUsed, batch.id);
      memory.recordUsage(batch.rows, batch.lastUsed, batch.id);
    }
    // Offered again: skipped by both.
    await redis.recordUsage(batches[3]!.rows, batches[3]!.lastUsed, batches[3]!.id);
    await redis.recordUsage(big, new Map(), 'batch-random-big');
    const subjects = [
      {},
      { keyId: '' },
      { keyId: keyIds[1]! },
      { keyId: keyIds[2]! },
      { keyId: keyIds[7]! },
      { keyId: 'Big000000123' },
      { ownerId: 'acct_1' },
      { ownerId: 'acct:2|x' },
      { ownerId: '@3' },
    ];
    const ranges = [
      {
        granularity: 'minute',
        from: start + 2 * DAY - 3 * 3_600_000,
        to: start + 2 * DAY + 3_600_000,
      },
      { granularity: 'hour', from: start, to: start + 4 * DAY },
      {
        granularity: 'hour',
        from: start + DAY + 5 * 3_600_000,
        to: start + 2 * DAY + 7 * 3_600_000,
      },
      { granularity: 'day', from: start - 30 * DAY, to: start + 40 * DAY },
    ] as const;
    let compared = 0;
    for (const subject of subjects) {
      for (const range of ranges) {
        for (const groupBy of ['time', 'route'] as const) {
          const query = { ...subject, ...range, groupBy };
          const expected = sorted(memory.queryUsage(query));
          expect(sorted(await redis.queryUsage(query)), JSON.stringify(query)).toEqual(expected);
          if (expected.length > 0) compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(60);
    const lastUsedIds = keyIds.slice(0, 20);
    expect(await redis.lastUsed(lastUsedIds)).toEqual(memory.lastUsed(lastUsedIds));
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
