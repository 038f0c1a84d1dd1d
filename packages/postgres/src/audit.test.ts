import { fileURLToPath } from 'node:url';
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { describeAuditStore } from '@keyward/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceWorkers } from '../../../test-support/audit-race.js';
import { DATABASE_URL, postgresAvailable } from '../../../test-support/services.js';
import { dropTables, migratedTable, uniqueTable } from '../test/pg-fixture.js';
import { migrate } from './migrate.js';
import { PostgresStore } from './postgres-store.js';

const available = await postgresAvailable();

describe.skipIf(!available)('PostgresStore — audit trail', () => {
  let fixture: Awaited<ReturnType<typeof migratedTable>>;
  let store: PostgresStore;

  beforeAll(async () => {
    fixture = await migratedTable();
    store = new PostgresStore({ pool: fixture.pool, table: fixture.table });
  });
  afterAll(async () => {
    await fixture?.dispose();
  });

  describeAuditStore('PostgresStore', () => store);

  /** A keyward on a table of its own with six entries for one key, and a way to edit its rows. */
  async function trail() {
    const table = uniqueTable();
    await migrate(fixture.pool, { table });
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: new PostgresStore({ pool: fixture.pool, table }),
      limitStore: new MemoryStore(),
    });
    const { record } = await keyward.create({ name: 'x', actor: { type: 'user', id: 'alice' } });
    for (let i = 0; i < 5; i++) await keyward.update(record.id, { name: `n${i}` });
    const sql = (text: string) => fixture.pool.query(text.replaceAll('AUDIT', `"${table}_audit"`));
    return { keyward, id: record.id, table, sql };
  }

  async function verifyThenDrop(keyward: Keyward, table: string) {
    try {
      return await keyward.verifyAudit();
    } finally {
      await dropTables(fixture.pool, table);
    }
  }

  it('finds an entry changed by hand', async () => {
    const { keyward, table, sql } = await trail();
    expect(await keyward.verifyAudit()).toMatchObject({ ok: true, entries: 6 });
    await sql(`UPDATE AUDIT SET reason = 'nothing to see' WHERE seq = 2`);
    expect(await verifyThenDrop(keyward, table)).toStrictEqual({ ok: false, seq: 2 });
  });

  it('finds a changed `changes` value', async () => {
    const { keyward, table, sql } = await trail();
    await sql(`UPDATE AUDIT SET changes = jsonb_set(changes, '{name,to}', '"n9"') WHERE seq = 4`);
    expect(await verifyThenDrop(keyward, table)).toStrictEqual({ ok: false, seq: 4 });
  });

  it('finds a removed entry', async () => {
    const { keyward, table, sql } = await trail();
    await sql('DELETE FROM AUDIT WHERE seq = 3');
    expect(await verifyThenDrop(keyward, table)).toStrictEqual({ ok: false, seq: 3 });
  });

  it('finds two entries swapped', async () => {
    const { keyward, table, sql } = await trail();
    await sql(`UPDATE AUDIT SET seq = -seq WHERE seq IN (2, 5)`);
    await sql(`UPDATE AUDIT SET seq = 7 + seq WHERE seq IN (-2, -5)`);
    expect(await verifyThenDrop(keyward, table)).toStrictEqual({ ok: false, seq: 2 });
  });

  it('rolls the key change back when its audit entry cannot be written', async () => {
    const { keyward, id, table, sql } = await trail();
    await sql(`ALTER TABLE AUDIT ADD CONSTRAINT no_more CHECK (seq <= 6)`);
    const error = await keyward.update(id, { name: 'lost' }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('store_unavailable');
    expect((await keyward.get(id))?.name).toBe('n4');
    const created = await keyward.create({ name: 'nope' }).catch((e: unknown) => e);
    expect((created as { code?: string }).code).toBe('store_unavailable');
    const { items } = await keyward.list();
    expect(items.map((i) => i.name)).toStrictEqual(['n4']);
    await dropTables(fixture.pool, table);
  });

  it('keeps one unbroken chain while two processes create and update keys', async () => {
    const table = uniqueTable();
    await migrate(fixture.pool, { table });
    try {
      const worker = fileURLToPath(new URL('../test/audit-worker.ts', import.meta.url));
      const results = (await raceWorkers(worker, [
        [DATABASE_URL, table, 'one', '25'],
        [DATABASE_URL, table, 'two', '25'],
      ])) as { ids: string[] }[];
      expect(results.map((r) => r.ids.length)).toStrictEqual([25, 25]);
      const keyward = createKeyward({
        prefix: 'acme',
        keyStore: new PostgresStore({ pool: fixture.pool, table }),
        limitStore: new MemoryStore(),
      });
      expect(await keyward.verifyAudit()).toMatchObject({ ok: true, entries: 100 });
      const { items } = await keyward.audit({ keyId: results[1]!.ids[7]! });
      expect(items.map((e) => [e.type, e.actor?.id, e.reason])).toStrictEqual([
        ['key.created', 'two', undefined],
        ['key.updated', undefined, 'two'],
      ]);
      // Both processes' writes interleave on the one chain.
      const writers = (await keyward.audit({ limit: 1000 })).items.map((e) =>
        e.type === 'key.created' ? e.actor?.id : undefined,
      );
      const switches = writers
        .filter(Boolean)
        .filter((writer, i, all) => i > 0 && writer !== all[i - 1]).length;
      expect(switches).toBeGreaterThan(0);
    } finally {
      await dropTables(fixture.pool, table);
    }
  }, 90_000);
});
