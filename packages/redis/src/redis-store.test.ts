import type { KeyRecord } from '@keyward/core';
import { describeKeyStore, describeLimitStore } from '@keyward/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deletePrefix,
  REDIS_URL,
  redisAvailable,
  sleep,
  testClient,
  uniquePrefix,
  waitFor,
} from '../test/support.js';
import { RedisStore } from './redis-store.js';

const available = await redisAvailable();

function record(overrides: Partial<KeyRecord> = {}): KeyRecord {
  const id = Math.random().toString(36).slice(2, 14).padEnd(12, '0');
  return {
    id,
    environment: 'live',
    name: 'redis test',
    hash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
    scopes: [],
    disabled: false,
    createdAt: 1,
    updatedAt: 1,
    version: 1,
    ...overrides,
  };
}

describe.skipIf(!available)('RedisStore on a real Redis', () => {
  const prefix = uniquePrefix('store');
  let client: Redis;
  let store: RedisStore;

  beforeAll(() => {
    client = testClient(REDIS_URL);
    store = new RedisStore({ client, prefix, channel: `${prefix}:invalidate` });
  });

  afterAll(async () => {
    store.close();
    await deletePrefix(client, prefix);
    await client.quit();
  });

  describeKeyStore('RedisStore', () => store);
  describeLimitStore('RedisStore', () => store, { ownClock: true });

  it('keeps type, routes and any environment, and lists by type across pages', async () => {
    const ownerId = `acct_types_${prefix}`;
    const secret = [
      record({ ownerId, id: 'types0000001' }),
      record({ ownerId, id: 'types0000003', type: 'secret' }),
      record({ ownerId, id: 'types0000004' }),
      record({ ownerId, id: 'types0000006', environment: 'staging' }),
    ];
    const publishable = [
      record({ ownerId, id: 'types0000002', type: 'publishable', routes: ['GET /a/*'] }),
      record({ ownerId, id: 'types0000005', type: 'publishable', environment: 'staging' }),
    ];
    for (const r of [...secret, ...publishable]) await store.insertKey(r);
    expect(await store.getKey('types0000002')).toStrictEqual(publishable[0]);
    const all = async (query: Omit<Parameters<RedisStore['listKeys']>[0], 'limit'>) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listKeys({ ...query, ownerId, limit: 1, cursor });
        expect(page.items.length).toBeLessThanOrEqual(1);
        ids.push(...page.items.map((item) => item.id));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return ids;
    };
    expect(await all({ type: 'secret' })).toStrictEqual(secret.map((r) => r.id));
    expect(await all({ type: 'publishable' })).toStrictEqual(publishable.map((r) => r.id));
    expect(await all({ type: 'publishable', environment: 'staging' })).toStrictEqual([
      'types0000005',
    ]);
    expect(await all({ type: 'secret', environment: 'staging' })).toStrictEqual(['types0000006']);
    expect(await all({})).toHaveLength(6);
    // A page of secret keys is full even when publishable ones sit between them.
    const page = await store.listKeys({ ownerId, type: 'secret', limit: 2 });
    expect(page.items.map((item) => item.id)).toStrictEqual(['types0000001', 'types0000003']);
    expect(page.cursor).toBe('types0000003');
  });

  it('keeps a bucket in one hash-tagged key that expires when it would be full', async () => {
    const before = Date.now();
    await store.takeToken('tagged', { capacity: 10, refillPerSecond: 2 }, 4, 0);
    const key = `${prefix}:{tagged}:tb`;
    expect(await client.exists(key)).toBe(1);
    const ttl = await client.pttl(key);
    // Full again in 2 s: 2001 ms less the time the calls took (a stall included).
    expect(ttl).toBeGreaterThanOrEqual(2001 - (Date.now() - before) - 2);
    expect(ttl).toBeLessThanOrEqual(2001);
  });

  it('deletes a bucket that a refused take leaves full', async () => {
    const result = await store.takeToken('too-big', { capacity: 2, refillPerSecond: 1 }, 3, 0);
    expect(result.allowed).toBe(false);
    expect(await client.exists(`${prefix}:{too-big}:tb`)).toBe(0);
  });

  it('ignores the caller clock for buckets', async () => {
    const limit = { capacity: 2, refillPerSecond: 0.001 };
    expect((await store.takeToken('clockless', limit, 2, 0)).allowed).toBe(true);
    const later = await store.takeToken('clockless', limit, 1, Date.now() + 86_400_000);
    expect(later.allowed).toBe(false);
  });

  it('keeps fractional tokens between takes', async () => {
    // A token per 4 s: after 300 ms, 0.075 of one; a stall of up to 3.7 s still leaves it short.
    const limit = { capacity: 1, refillPerSecond: 0.25 };
    expect((await store.takeToken('fraction', limit, 1, 0)).allowed).toBe(true);
    await sleep(300);
    const early = await store.takeToken('fraction', limit, 1, 0);
    expect(early.allowed).toBe(false);
    // Less than the 4000 ms of a whole token: the fraction counts.
    expect(early.retryAfterMs).toBeLessThan(3750);
    const tokens = Number(await client.hget(`${prefix}:{fraction}:tb`, 'tokens'));
    expect(tokens).toBeGreaterThan(0.07);
    expect(tokens).toBeLessThan(1);
  });

  it('never adds tokens when the stored time is ahead of the server clock', async () => {
    const key = `${prefix}:{future}:tb`;
    const aheadMicros = (Date.now() + 60_000) * 1000;
    await client.hset(key, 'tokens', '0.5', 'at', String(aheadMicros));
    const result = await store.takeToken('future', { capacity: 5, refillPerSecond: 100 }, 1, 0);
    expect(result.allowed).toBe(false);
    expect(Number(await client.hget(key, 'tokens'))).toBe(0.5);
    expect(await client.hget(key, 'at')).toBe(String(aheadMicros));
  });

  it('expires a quota window at its end and reports the same reset', async () => {
    const before = Date.now();
    const result = await store.countQuota('minutely', { limit: 5, period: 'minute' }, 2, 0);
    expect(result).toMatchObject({ allowed: true, remaining: 3, retryAfterMs: 0 });
    expect(result.resetMs).toBeGreaterThan(0);
    expect(result.resetMs).toBeLessThanOrEqual(60_000);
    const ttl = await client.pttl(`${prefix}:{minutely}:q`);
    // resetMs less the time the calls took (a stall included); -2 if the window ended meanwhile.
    expect(ttl).not.toBe(-1);
    expect(ttl).toBeGreaterThanOrEqual(result.resetMs - (Date.now() - before) - 2);
    expect(ttl).toBeLessThanOrEqual(result.resetMs);
  });

  it('sends a take as exactly one EVALSHA once the script is loaded', async () => {
    const limit = { capacity: 100, refillPerSecond: 1 };
    await store.takeToken('monitored', limit, 1, 0);
    // Every command the client sends goes through sendCommand (a MONITOR connection on the shared
    // server was tried first: ioredis's monitor parser broke under other tests' traffic).
    const sent: string[] = [];
    const sendCommand = client.sendCommand;
    client.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
      sent.push(args[0].name.toLowerCase());
      return sendCommand.apply(this, args);
    } as Redis['sendCommand'];
    try {
      await store.takeToken('monitored', limit, 1, 0);
    } finally {
      client.sendCommand = sendCommand;
    }
    expect(sent).toStrictEqual(['evalsha']);
  });

  it('moves a record between owner indexes when its owner changes', async () => {
    const first = `owner_a_${prefix}`;
    const second = `owner_b_${prefix}`;
    const original = record({ ownerId: first });
    await store.insertKey(original);
    const moved = { ...original, ownerId: second, environment: 'test' as const, version: 2 };
    expect(await store.updateKey(moved, 1)).toBe(true);
    expect((await store.listKeys({ ownerId: first, limit: 10 })).items).toStrictEqual([]);
    expect((await store.listKeys({ ownerId: second, limit: 10 })).items).toStrictEqual([moved]);
    const live = await store.listKeys({ ownerId: second, environment: 'live', limit: 10 });
    expect(live.items).toStrictEqual([]);
    const { ownerId: _owner, ...rest } = moved;
    const unowned: KeyRecord = { ...rest, version: 3 };
    expect(await store.updateKey(unowned, 2)).toBe(true);
    expect((await store.listKeys({ ownerId: second, limit: 10 })).items).toStrictEqual([]);
    expect(await store.getKey(original.id)).toStrictEqual(unowned);
  });

  it('refuses an update whose expected version is stale even when the owner changed', async () => {
    const original = record({ ownerId: `owner_c_${prefix}` });
    await store.insertKey(original);
    expect(await store.updateKey({ ...original, ownerId: 'x', version: 3 }, 2)).toBe(false);
    expect(await store.getKey(original.id)).toStrictEqual(original);
  });

  it('delivers published invalidations to subscribers until they unsubscribe', async () => {
    const other = new RedisStore({ client, prefix, channel: `${prefix}:invalidate` });
    const received: (string | undefined)[] = [];
    const unsubscribe = store.subscribeInvalidations((id) => received.push(id));
    expect(
      await waitFor(
        () => received.includes('probe'),
        5000,
        () => other.publishInvalidation('probe'),
      ),
    ).toBe(true);
    await other.publishInvalidation('4GhT9xQ2mPz1');
    expect(await waitFor(() => received.includes('4GhT9xQ2mPz1'), 2000)).toBe(true);
    unsubscribe();
    const count = received.length;
    await other.publishInvalidation('after');
    await sleep(200);
    expect(received.length).toBe(count);
    expect(client.status).toBe('ready');
  });
});

describe('RedisStore options', () => {
  it('refuses a missing client, a prefix with braces and an empty channel', () => {
    const client = testClient('redis://127.0.0.1:1', { lazyConnect: true });
    expect(() => new RedisStore({} as never)).toThrow(TypeError);
    expect(() => new RedisStore({ client, prefix: 'a{b}' })).toThrow(TypeError);
    expect(() => new RedisStore({ client, channel: '' })).toThrow(TypeError);
    expect(() => new RedisStore({ client })).not.toThrow();
    client.disconnect();
  });
});
