import { createKeyward, MemoryStore } from '@keyward/core';
import { describeUsageStore } from '@keyward/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../../test-support/services.js';
import { migratedTable, testPool, uniqueTable } from '../test/pg-fixture.js';
import { PostgresStore } from './postgres-store.js';

const available = await postgresAvailable();

describe.skipIf(!available)('PostgresStore — usage', () => {
  let fixture: Awaited<ReturnType<typeof migratedTable>>;
  let otherPool: pg.Pool;
  let store: PostgresStore;
  let unprepared: PostgresStore;
  let second: PostgresStore;

  beforeAll(async () => {
    fixture = await migratedTable();
    otherPool = testPool();
    store = new PostgresStore({ pool: fixture.pool, table: fixture.table });
    unprepared = new PostgresStore({ pool: fixture.pool, table: fixture.table, prepare: false });
    second = new PostgresStore({ pool: otherPool, table: fixture.table });
  });
  afterAll(async () => {
    await otherPool?.end();
    await fixture?.dispose();
  });

  describeUsageStore('PostgresStore', () => store, { secondWriter: () => second });
  describeUsageStore('PostgresStore without prepared statements', () => unprepared);

  it('records and reads usage through keyward, and fills lastUsedAt in one query per page', async () => {
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: store,
      limitStore: new MemoryStore(),
      usage: { flushIntervalMs: 60_000 },
    });
    const owner = `acct_${uniqueTable('o')}`;
    const { key, record } = await keyward.create({
      name: 'pg',
      environment: 'live',
      ownerId: owner,
    });
    await keyward.create({ name: 'idle', environment: 'live', ownerId: owner });
    for (let i = 0; i < 4; i++) {
      await keyward.verify({
        headers: { authorization: `Bearer ${key}` },
        method: 'POST',
        route: '/reports/:id',
      });
    }
    await keyward.close();
    const { points } = await keyward.usage({
      ownerId: owner,
      from: Date.now() - 3_600_000,
      to: Date.now() + 60_000,
      granularity: 'hour',
    });
    expect(points.reduce((sum, p) => sum + p.total, 0)).toBe(4);
    const { items } = await keyward.list({ ownerId: owner });
    expect(items.map((info) => [info.name, info.lastUsedAt instanceof Date])).toEqual(
      expect.arrayContaining([
        ['pg', true],
        ['idle', false],
      ]),
    );
    expect((await keyward.get(record.id))?.lastUsedAt?.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('refuses a bad usageRetentionDays with a TypeError', () => {
    expect(
      () => new PostgresStore({ pool: fixture.pool, usageRetentionDays: { day: -1 } }),
    ).toThrow(TypeError);
  });
});
