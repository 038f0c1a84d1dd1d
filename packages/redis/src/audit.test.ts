import { fileURLToPath } from 'node:url';
import { createKeyward, type Keyward } from '@keyward/core';
import { describeAuditStore } from '@keyward/core/testing';
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

describe.skipIf(!available)('RedisStore — audit trail', () => {
  const prefixes: string[] = [];
  let client: Redis;
  let shared: RedisStore;

  function storeWith(prefix = uniquePrefix('audit')): RedisStore {
    prefixes.push(prefix);
    return new RedisStore({ client, prefix });
  }

  beforeAll(() => {
    client = testClient(REDIS_URL);
    shared = storeWith();
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(client, prefix);
    await client.quit();
  });

  describeAuditStore('RedisStore', () => shared);

  /** A keyward on a prefix of its own with six entries for one key. */
  async function trail(): Promise<{ keyward: Keyward; id: string; log: string }> {
    const prefix = uniquePrefix('tamper');
    const keyward = createKeyward({
      prefix: 'acme',
      store: storeWith(prefix),
      invalidation: false,
    });
    const { record } = await keyward.create({ name: 'x', actor: { type: 'user', id: 'alice' } });
    for (let i = 0; i < 5; i++) await keyward.update(record.id, { name: `n${i}` });
    expect(await keyward.verifyAudit()).toMatchObject({ ok: true, entries: 6 });
    return { keyward, id: record.id, log: `{${prefix}:keys}:audit:log` };
  }

  it('finds an entry changed by hand', async () => {
    const { keyward, log } = await trail();
    const entry = JSON.parse((await client.hget(log, '2'))!);
    await client.hset(log, '2', JSON.stringify({ ...entry, reason: 'nothing to see' }));
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 2 });
  });

  it('finds an entry that no longer parses', async () => {
    const { keyward, log } = await trail();
    await client.hset(log, '4', '{not json');
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 4 });
  });

  it('finds a removed entry', async () => {
    const { keyward, log } = await trail();
    await client.hdel(log, '3');
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 3 });
  });

  it('finds two entries swapped', async () => {
    const { keyward, log } = await trail();
    const [second, fifth] = await client.hmget(log, '2', '5');
    await client.hset(log, '2', fifth!, '5', second!);
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 2 });
  });

  it('lists one key’s entries and entries since a time', async () => {
    const { keyward, id } = await trail();
    const { record } = await keyward.create({ name: 'other' });
    const mine = await keyward.audit({ keyId: id, limit: 4 });
    expect(mine.items.map((e) => e.seq)).toStrictEqual([1, 2, 3, 4]);
    const rest = await keyward.audit({ keyId: id, cursor: mine.cursor });
    expect(rest.items.map((e) => e.seq)).toStrictEqual([5, 6]);
    const since = await keyward.audit({ since: Date.now() + 60_000 });
    expect(since.items).toStrictEqual([]);
    const latest = (await keyward.audit({ keyId: record.id })).items[0]!;
    expect((await keyward.audit({ since: latest.at })).items.map((e) => e.seq)).toContain(7);
  });

  it('keeps one unbroken chain while two processes create and update keys', async () => {
    const prefix = uniquePrefix('race');
    prefixes.push(prefix);
    const worker = fileURLToPath(new URL('../test/audit-worker.ts', import.meta.url));
    const results = (await raceWorkers(worker, [
      [REDIS_URL, prefix, 'one', '25'],
      [REDIS_URL, prefix, 'two', '25'],
    ])) as { ids: string[] }[];
    expect(results.map((r) => r.ids.length)).toStrictEqual([25, 25]);
    const keyward = createKeyward({
      prefix: 'acme',
      store: new RedisStore({ client, prefix }),
      invalidation: false,
    });
    expect(await keyward.verifyAudit()).toMatchObject({ ok: true, entries: 100 });
    const { items } = await keyward.audit({ keyId: results[0]!.ids[3]! });
    expect(items.map((e) => [e.type, e.actor?.id, e.reason])).toStrictEqual([
      ['key.created', 'one', undefined],
      ['key.updated', undefined, 'one'],
    ]);
  }, 90_000);
});
