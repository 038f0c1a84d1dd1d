import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../../test-support/services.js';
import { type PostgresQueryable, type PostgresQueryConfig, PostgresStore } from '../src/index.js';
import { countingPool } from './counting-pool.js';
import { migratedTable } from './pg-fixture.js';

const available = await postgresAvailable();

/** Holds UPDATE queries until `count` of them are waiting (or 5 s pass), then sends them all. */
function updateBarrier(pool: PostgresQueryable, count: number) {
  const waiting: (() => void)[] = [];
  const barrier = {
    released: false,
    query(config: PostgresQueryConfig) {
      // A key update, audited (in one statement with its audit entry) or not.
      if (!/^(WITH written AS \()?UPDATE/.test(config.text)) return pool.query(config);
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length >= count) {
          barrier.released = true;
          for (const release of waiting.splice(0)) release();
        } else {
          setTimeout(resolve, 5_000).unref();
        }
      }).then(() => pool.query(config));
    },
  };
  return barrier;
}

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` }, ip: '192.0.2.1' });

describe.skipIf(!available)('keyward on PostgreSQL', () => {
  let fixture: Awaited<ReturnType<typeof migratedTable>>;
  let now = Date.UTC(2030, 0, 1);
  const clock = () => now;
  const opened: Keyward[] = [];

  function keywardOn(pool: PostgresQueryable): Keyward {
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: new PostgresStore({ pool, table: fixture.table }),
      limitStore: new MemoryStore(),
      failedAttempts: false,
      storeTimeoutMs: 10_000,
      clock,
    });
    opened.push(keyward);
    return keyward;
  }

  beforeAll(async () => {
    fixture = await migratedTable();
  });
  afterAll(async () => {
    // Each instance on a pg.Pool listens for invalidations on a connection of its own.
    for (const keyward of opened) await keyward.close();
    await fixture?.dispose();
  });

  it('creates, verifies from the database, rotates with grace, revokes', async () => {
    const admin = keywardOn(fixture.pool);
    const { key, record } = await admin.create({
      name: 'flow',
      environment: 'live',
      ownerId: 'acct_flow',
      scopes: ['invoices:read'],
      rateLimit: { capacity: 5, refillPerSecond: 1 },
      metadata: { plan: 'pro', note: null },
    });

    // A second instance has never seen the key: its verify is a cache miss answered by PostgreSQL.
    const counted = countingPool(fixture.pool);
    const api = keywardOn(counted);
    const first = await api.verify(bearer(key), { scopes: ['invoices:read'] });
    expect(first).toMatchObject({ ok: true });
    expect(counted.count).toBe(1);
    if (first.ok) {
      expect(first.key.id).toBe(record.id);
      expect(first.key.metadata).toStrictEqual({ plan: 'pro', note: null });
    }
    expect((await api.verify(bearer(key))).ok).toBe(true);
    expect(counted.count).toBe(1);

    const rotated = await admin.rotate(record.id, { gracePeriodMs: 60_000 });
    expect(rotated.record.version).toBe(2);
    api.clearCache();
    expect((await api.verify(bearer(rotated.key))).ok).toBe(true);
    expect((await api.verify(bearer(key))).ok).toBe(true);
    now += 60_001;
    api.clearCache();
    expect(await api.verify(bearer(key))).toMatchObject({ ok: false, code: 'expired_key' });
    expect((await api.verify(bearer(rotated.key))).ok).toBe(true);

    const revoked = await admin.revoke(record.id, { reason: 'flow test' });
    expect(revoked.revokedAt?.getTime()).toBe(now);
    expect(await admin.verify(bearer(rotated.key))).toMatchObject({
      ok: false,
      code: 'revoked_key',
      status: 401,
    });
    api.clearCache();
    expect(await api.verify(bearer(rotated.key))).toMatchObject({ ok: false, code: 'revoked_key' });

    const listed = await admin.list({ ownerId: 'acct_flow' });
    expect(listed.items.map((item) => item.id)).toStrictEqual([record.id]);
    expect(listed.items[0]?.revokedReason).toBe('flow test');
  });

  it('gives exactly one of two concurrent updates at one expectedVersion a version_conflict', async () => {
    // Both writers read version 1 before either writes, so the store's conditional UPDATE decides.
    const barrier = updateBarrier(fixture.pool, 2);
    const writers = [keywardOn(barrier), keywardOn(barrier)] as const;
    const { record } = await keywardOn(fixture.pool).create({ name: 'race', environment: 'test' });
    const results = await Promise.allSettled([
      writers[0].update(record.id, { name: 'first' }, { expectedVersion: 1 }),
      writers[1].update(record.id, { name: 'second' }, { expectedVersion: 1 }),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'version_conflict',
    });
    expect(barrier.released).toBe(true);
    const stored = await writers[0].get(record.id);
    expect(stored?.version).toBe(2);
    expect(stored?.name).toBe(
      (fulfilled[0] as PromiseFulfilledResult<{ name: string }>).value.name,
    );
  });

  it('retries unpinned concurrent updates so both land', async () => {
    const writers = [keywardOn(fixture.pool), keywardOn(fixture.pool)] as const;
    const { record } = await writers[0].create({ name: 'merge', environment: 'test' });
    await Promise.all([
      writers[0].update(record.id, { scopes: ['a:read'] }),
      writers[1].update(record.id, { metadata: { b: 1 } }),
    ]);
    const stored = await writers[0].get(record.id);
    expect(stored?.version).toBe(3);
    expect(stored?.scopes).toStrictEqual(['a:read']);
    expect(stored?.metadata).toStrictEqual({ b: 1 });
  });
});
