import { createKeyward, MemoryStore } from '@keyward/core';
import { describeUsageStore } from '@keyward/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../../test-support/services.js';
import { dropTables, migratedTable, testPool, uniqueTable } from '../test/pg-fixture.js';
import { migrate } from './migrate.js';
import { PostgresStore } from './postgres-store.js';
import { SCHEMA_VERSION, schemaSteps } from './schema.js';
import { parseTableName } from './table-name.js';

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

describe.skipIf(!available)('migrate — schema step 3 (usage)', () => {
  const pool = testPool();
  const tables: string[] = [];

  afterAll(async () => {
    for (const table of tables) await dropTables(pool, table);
    await pool.end();
  });

  const version = async (table: string) =>
    (
      await pool.query<{ value: string }>(
        `SELECT value FROM "${table}_meta" WHERE name = 'schema_version'`,
      )
    ).rows[0]?.value;

  it('upgrades a database made by the first release in place, keeping its keys, idempotently', async () => {
    const table = uniqueTable();
    tables.push(table);
    // What the first release's migrate() ran: step 1 only, no meta table.
    const [first] = schemaSteps(parseTableName(table));
    await pool.query({
      text: `SELECT pg_advisory_xact_lock(hashtext('keyward:migrate'));\n${first!.sql}`,
    });
    await pool.query(
      `INSERT INTO "${table}" (id, environment, name, hash, scopes, created_at, updated_at, version)
       VALUES ('OldKey000001', 'live', 'from v1', 'sha256:x', '[]', 1, 1, 1)`,
    );
    await migrate(pool, { table });
    expect(await version(table)).toBe(String(SCHEMA_VERSION));
    await migrate(pool, { table });
    expect(await version(table)).toBe(String(SCHEMA_VERSION));
    const store = new PostgresStore({ pool, table });
    expect((await store.getKey('OldKey000001'))?.name).toBe('from v1');
    const minute = Date.UTC(2031, 2, 3, 4, 5);
    await store.recordUsage(
      [{ keyId: 'OldKey000001', minute, outcome: 'verified', route: '', count: 2, cost: 2 }],
      new Map([['OldKey000001', minute]]),
    );
    expect((await store.lastUsed(['OldKey000001'])).get('OldKey000001')).toBe(minute);
  });

  it('applies the steps under the advisory lock from several processes at once', async () => {
    const table = uniqueTable();
    tables.push(table);
    await Promise.all(Array.from({ length: 4 }, () => migrate(pool, { table })));
    expect(await version(table)).toBe(String(SCHEMA_VERSION));
  });

  it('refuses a database of a newer schema version', async () => {
    const table = uniqueTable();
    tables.push(table);
    await migrate(pool, { table });
    await pool.query(`UPDATE "${table}_meta" SET value = '99' WHERE name = 'schema_version'`);
    await expect(migrate(pool, { table })).rejects.toThrow(/schema version 99/);
  });
});
