import type { KeyRecord } from '@keyward/core';
import { describeKeyStore } from '@keyward/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, postgresAvailable } from '../../../test-support/services.js';
import { migratedTable } from '../test/pg-fixture.js';
import { PostgresStore } from './postgres-store.js';

const available = await postgresAvailable();

function record(overrides: Partial<KeyRecord> = {}): KeyRecord {
  const id = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (b) =>
    '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.charAt(b % 62),
  ).join('');
  return {
    id,
    environment: 'live',
    type: 'secret',
    name: 'store test',
    hash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
    scopes: ['invoices:read'],
    disabled: false,
    createdAt: 1_700_000_000_123,
    updatedAt: 1_700_000_000_456,
    version: 1,
    ...overrides,
  };
}

describe.skipIf(!available)('PostgresStore', () => {
  let fixture: Awaited<ReturnType<typeof migratedTable>>;
  let store: PostgresStore;
  let unprepared: PostgresStore;

  beforeAll(async () => {
    fixture = await migratedTable();
    store = new PostgresStore({ pool: fixture.pool, table: fixture.table });
    unprepared = new PostgresStore({ pool: fixture.pool, table: fixture.table, prepare: false });
  });
  afterAll(async () => {
    await fixture?.dispose();
  });

  describeKeyStore('PostgresStore', () => store);
  describeKeyStore('PostgresStore without prepared statements', () => unprepared);

  it('lets exactly one of two updates with the same expectedVersion win', async () => {
    const original = record();
    await store.insertKey(original);
    const [a, b] = await Promise.all([
      store.updateKey({ ...original, name: 'a', version: 2 }, 1),
      store.updateKey({ ...original, name: 'b', version: 2 }, 1),
    ]);
    expect([a, b].sort()).toStrictEqual([false, true]);
    const stored = await store.getKey(original.id);
    expect(stored?.name).toBe(a ? 'a' : 'b');
    expect(stored?.version).toBe(2);
  });

  it('throws DuplicateKeyIdError (not a raw pg error) on a duplicate id', async () => {
    const original = record();
    await store.insertKey(original);
    await expect(store.insertKey(original)).rejects.toMatchObject({
      name: 'DuplicateKeyIdError',
      code: 'duplicate_key_id',
      keyId: original.id,
    });
  });

  it('throws DuplicateKeyIdError on a renamed table too (its primary key keeps the old name)', async () => {
    const renamed = `${fixture.table}_moved`;
    await fixture.pool.query(`CREATE TABLE "${renamed}" (LIKE "${fixture.table}" INCLUDING ALL)`);
    await fixture.pool.query(`ALTER TABLE "${renamed}" RENAME TO "${renamed}_again"`);
    try {
      const moved = new PostgresStore({ pool: fixture.pool, table: `${renamed}_again` });
      const original = record();
      await moved.insertKey(original);
      await expect(moved.insertKey(original)).rejects.toMatchObject({
        name: 'DuplicateKeyIdError',
        keyId: original.id,
      });
    } finally {
      await fixture.pool.query(`DROP TABLE IF EXISTS "${renamed}_again"`);
    }
  });

  it('keeps a unique violation of the audit table its own (not a duplicate key id)', async () => {
    const first = record();
    const draft = {
      id: `aud_${first.id}`,
      at: Date.now(),
      type: 'key.created' as const,
      keyId: first.id,
    };
    await store.insertKey(first, draft);
    const second = record();
    // The same audit entry id again: the key id is new, the audit entry's is not.
    const failed = await store.insertKey(second, { ...draft, keyId: second.id }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toMatchObject({ code: '23505' });
    expect(failed).not.toMatchObject({ name: 'DuplicateKeyIdError' });
    expect(await store.getKey(second.id)).toBeUndefined();
  });

  it('round-trips times beyond 2^32 ms and large versions exactly', async () => {
    const original = record({
      createdAt: 0,
      updatedAt: Number.MAX_SAFE_INTEGER,
      expiresAt: 253_402_300_799_999,
      version: 2_000_000_000,
    });
    await store.insertKey(original);
    expect(await store.getKey(original.id)).toStrictEqual(original);
  });

  it.each([
    ['a NUL in the name', { name: 'a\u0000b' }],
    ['a NUL in metadata', { metadata: { note: 'x\u0000' } }],
    ['a lone surrogate in metadata', { metadata: { note: '\ud800' } }],
  ])('refuses %s with invalid_options, not a store failure', async (_, overrides) => {
    const original = record();
    await expect(store.insertKey({ ...original, ...overrides })).rejects.toMatchObject({
      code: 'invalid_options',
    });
    await store.insertKey(original);
    await expect(
      store.updateKey({ ...original, ...overrides, version: 2 }, 1),
    ).rejects.toMatchObject({ code: 'invalid_options' });
    expect(await store.getKey(original.id)).toStrictEqual(original);
  });

  it('refuses a fractional time before touching the database', async () => {
    await expect(store.insertKey(record({ expiresAt: 1.5 }))).rejects.toBeInstanceOf(TypeError);
  });

  it('orders pages by code point, as MemoryStore does, whatever the database collation', async () => {
    const owner = `collation_${record().id}`;
    const ids = [
      'aaaaaaaaaaaa',
      'AAAAAAAAAAAB',
      'ZZZZZZZZZZZZ',
      '000000000000',
      'zzzzzzzzzzzz',
    ].map((id) => `${id.slice(0, 6)}${record().id.slice(0, 6)}`);
    for (const id of ids) await store.insertKey(record({ id, ownerId: owner }));
    const page = await store.listKeys({ ownerId: owner, limit: 10 });
    const expected = [...ids].sort();
    expect(page.items.map((item) => item.id)).toStrictEqual(expected);
    const second = await store.listKeys({ ownerId: owner, limit: 10, cursor: expected[1] });
    expect(second.items.map((item) => item.id)).toStrictEqual(expected.slice(2));
    // The test database may itself be C-collated; the column's own collation is what guarantees it.
    const { rows } = await fixture.pool.query<{ collation_name: string }>(
      "SELECT collation_name FROM information_schema.columns WHERE table_name = $1 AND column_name = 'id'",
      [fixture.table],
    );
    expect(rows[0]?.collation_name).toBe('C');
  });

  it('filters by environment alone', async () => {
    const live = await store.listKeys({ environment: 'live', limit: 1000 });
    expect(live.items.length).toBeGreaterThan(0);
    for (const item of live.items) expect(item.environment).toBe('live');
  });

  it('ignores the application’s global pg type parsers', async () => {
    const original = record({ metadata: { n: 1 }, expiresAt: 1_900_000_000_000 });
    await store.insertKey(original);
    const bigint = pg.types.getTypeParser(20);
    const jsonb = pg.types.getTypeParser(3802);
    pg.types.setTypeParser(20, (value: string) => BigInt(value));
    pg.types.setTypeParser(3802, (value: string) => `raw:${value}`);
    try {
      expect(await store.getKey(original.id)).toStrictEqual(original);
    } finally {
      pg.types.setTypeParser(20, bigint);
      pg.types.setTypeParser(3802, jsonb);
    }
  });

  it('works on a single pg.Client as well as a pool', async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const onClient = new PostgresStore({ pool: client, table: fixture.table });
      const original = record({ metadata: { via: 'client' } });
      await onClient.insertKey(original);
      expect(await onClient.getKey(original.id)).toStrictEqual(original);
      expect(await store.getKey(original.id)).toStrictEqual(original);
    } finally {
      await client.end();
    }
  });
});

describe('PostgresStore options', () => {
  const pool = { query: async () => ({ rows: [], rowCount: 0 }) };

  it('refuses a missing pool and a bad table name at construction', () => {
    expect(() => new PostgresStore({} as never)).toThrow(TypeError);
    expect(() => new PostgresStore({ pool: {} as never })).toThrow(TypeError);
    expect(() => new PostgresStore({ pool, table: 'keys; DROP TABLE x' })).toThrow(TypeError);
    expect(() => new PostgresStore({ pool, prepare: 'no' as never })).toThrow(TypeError);
  });

  it('names prepared statements per table unless prepare is false', async () => {
    const seen: { name?: string; text: string }[] = [];
    const spy = {
      query: async (config: { name?: string; text: string }) => {
        seen.push(config);
        return { rows: [], rowCount: 0 };
      },
    };
    await new PostgresStore({ pool: spy, table: 'a' }).getKey('x');
    await new PostgresStore({ pool: spy, table: 'b' }).getKey('x');
    await new PostgresStore({ pool: spy, table: 'a', prepare: false }).getKey('x');
    expect(seen[0]?.name).toMatch(/^keyward_get_[0-9a-f]{8}$/);
    expect(seen[1]?.name).toMatch(/^keyward_get_[0-9a-f]{8}$/);
    expect(seen[0]?.name).not.toBe(seen[1]?.name);
    expect(seen[2]).not.toHaveProperty('name');
    expect(seen[2]?.text).toBe(seen[0]?.text);
  });

  it('quotes a schema-qualified table', () => {
    expect(new PostgresStore({ pool, table: 'auth.api_keys' }).table).toBe('"auth"."api_keys"');
    expect(new PostgresStore({ pool }).table).toBe('"keyward_keys"');
  });
});
