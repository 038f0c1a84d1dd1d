import { readFile } from 'node:fs/promises';
import { createKeyward, type KeyRecord, MemoryStore, type VerifyResult } from '@keyward/core';
import type { Pool } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../../test-support/services.js';
import { dropTables, testPool, uniqueTable } from '../test/pg-fixture.js';
import { migrate } from './migrate.js';
import { PostgresStore } from './postgres-store.js';
import { COLUMNS, toRow } from './row.js';
import { MIGRATION_SQL, migrationSql, SCHEMA_STEPS, SCHEMA_VERSION, stepsSql } from './schema.js';
import { parseTableName } from './table-name.js';

const available = await postgresAvailable();

/** Every index of a key table at steps 1 and 5, sorted. */
const indexesOf = (table: string) =>
  ['disabled', 'environment', 'owner', 'revoked', 'usable']
    .map((name) => `${table}_${name}_idx`)
    .concat(`${table}_pkey`)
    .sort();

async function indexNames(pool: { query: Pool['query'] }, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ indexname: string }>(
    'SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname',
    [table],
  );
  return rows.map((row) => row.indexname);
}

describe('migrationSql', () => {
  it('is the shipped constant for the default table', () => {
    expect(MIGRATION_SQL).toBe(migrationSql('keyward_keys'));
    expect(MIGRATION_SQL).toContain('CREATE TABLE IF NOT EXISTS "keyward_keys"');
  });

  it('is printed verbatim in docs/postgres.md', async () => {
    const docs = await readFile(new URL('../../../docs/postgres.md', import.meta.url), 'utf8');
    expect(docs).toContain(`\`\`\`sql\n${MIGRATION_SQL}\`\`\``);
  });

  it('refuses a bad identifier', () => {
    expect(() => migrationSql('x"; DROP TABLE users; --')).toThrow(TypeError);
  });
});

describe.skipIf(!available)('migrate', () => {
  const pool = testPool();
  const created: string[] = [];
  const schema = uniqueTable('keyward_schema_test');

  afterAll(async () => {
    for (const table of created) await dropTables(pool, table);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  async function columnsOf(table: string, tableSchema = 'public'): Promise<string[]> {
    const { rows } = await pool.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [tableSchema, table],
    );
    return rows.map((row) => row.column_name);
  }

  it('is idempotent: running it twice keeps the table and its rows', async () => {
    const table = uniqueTable();
    created.push(table);
    await migrate(pool, { table });
    const store = new PostgresStore({ pool, table });
    const record = {
      id: 'abcdefABCDEF',
      environment: 'live',
      type: 'secret' as const,
      name: 'kept',
      hash: 'sha256:x',
      scopes: [],
      disabled: false,
      createdAt: 1,
      updatedAt: 2,
      version: 1,
    };
    await store.insertKey(record);
    await migrate(pool, { table });
    expect(await store.getKey(record.id)).toStrictEqual(record);
    expect(await columnsOf(table)).toContain('version');
    const { rows } = await pool.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname',
      [table],
    );
    expect(rows.map((row) => row.indexname)).toStrictEqual(indexesOf(table));
  });

  it('survives concurrent runs on one new table', async () => {
    const table = uniqueTable();
    created.push(table);
    await Promise.all(Array.from({ length: 4 }, () => migrate(pool, { table })));
    expect(await columnsOf(table)).toHaveLength(23);
  });

  it('creates a custom, schema-qualified table', async () => {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const table = `${schema}.api_keys`;
    await migrate(pool, { table });
    await migrate(pool, { table });
    expect(await columnsOf('api_keys', schema)).toContain('owner_id');
    const store = new PostgresStore({ pool, table });
    expect(await store.getKey('abcdefABCDEF')).toBeUndefined();
  });

  it('refuses bad identifiers without running anything', async () => {
    let queried = false;
    const spy = {
      query: async () => {
        queried = true;
        return { rows: [], rowCount: 0 };
      },
    };
    for (const table of ['Keys', 'keys;drop', 'a.b.c', '']) {
      await expect(migrate(spy, { table })).rejects.toBeInstanceOf(TypeError);
    }
    expect(queried).toBe(false);
  });

  it('refuses something that is not a pool', async () => {
    await expect(migrate({} as never)).rejects.toBeInstanceOf(TypeError);
  });
});

describe.skipIf(!available)('migrate — schema steps', () => {
  const pool = testPool();
  const created: string[] = [];
  afterAll(async () => {
    for (const table of created) await dropTables(pool, table);
    await pool.end();
  });

  const fixture = (name: string) =>
    readFile(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8');

  /** The CHECK constraints of `table` that mention the environment. */
  async function environmentChecks(table: string): Promise<string[]> {
    const { rows } = await pool.query<{ conname: string }>(
      `SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'
       AND pg_get_constraintdef(oid) LIKE '%environment%'`,
      [`"${table}"`],
    );
    return rows.map((row) => row.conname);
  }

  async function meta(table: string): Promise<Record<string, string>> {
    const { rows } = await pool.query<{ name: string; value: string }>(
      `SELECT name, value FROM "${table}_meta"`,
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  }

  // The databases earlier releases left: step 1 alone (no meta table), steps 1 and 4 (the audit
  // trail first), steps 1 and 3 (usage first), steps 1, 3 and 4 (the release before key types).
  it.each([
    ['step 1', 'schema-v1.sql'],
    ['steps 1 and 4', 'schema-steps-1-4.sql'],
    ['steps 1 and 3', 'schema-steps-1-3.sql'],
    ['steps 1, 3 and 4', 'schema-steps-1-3-4.sql'],
  ])(
    'upgrades a database at %s in place to steps 1 to 5, keeping its keys, idempotently',
    async (_, file) => {
      const table = uniqueTable();
      created.push(table);
      await pool.query((await fixture(file)).replaceAll('__TABLE__', table));
      await pool.query(
        `INSERT INTO "${table}" (id, environment, name, hash, scopes, created_at, updated_at, version)
       VALUES ('OldKey000001', 'live', 'old key', 'sha256:x', '[]', 1, 2, 1)`,
      );
      const store = new PostgresStore({ pool, table });
      const minute = Date.UTC(2031, 2, 3, 4, 5);
      for (let run = 0; run < 2; run++) {
        await migrate(pool, { table });
        expect(await meta(table)).toStrictEqual({
          schema_version: String(SCHEMA_VERSION),
          schema_steps: '1,2,3,4,5',
        });
        expect((await store.getKey('OldKey000001'))?.name).toBe('old key');
        // Step 2: the old row is a secret key; the table takes a type, routes, any environment.
        expect((await store.getKey('OldKey000001'))?.type).toBe('secret');
        const publishable: KeyRecord = {
          ...(await store.getKey('OldKey000001'))!,
          id: `NewKey00000${run}`,
          environment: 'staging',
          type: 'publishable',
          routes: ['GET /invoices/*'],
        };
        await store.insertKey(publishable);
        expect(await store.getKey(publishable.id)).toStrictEqual(publishable);
        expect((await store.listKeys({ type: 'secret', limit: 10 })).items).toHaveLength(1);
        expect((await store.listKeys({ type: 'publishable', limit: 10 })).items).toHaveLength(
          run + 1,
        );
        // Step 5: the list indexes.
        expect(await indexNames(pool, table)).toStrictEqual(indexesOf(table));
        // Step 3: usage and last use.
        await store.recordUsage(
          [{ keyId: 'OldKey000001', minute, outcome: 'verified', route: '', count: 2, cost: 2 }],
          new Map([['OldKey000001', minute + run]]),
        );
        const totals = await store.queryUsage({
          keyId: 'OldKey000001',
          from: minute,
          to: minute + 60_000,
          granularity: 'minute',
          groupBy: 'time',
        });
        expect(totals).toEqual([
          {
            start: minute,
            route: '',
            outcome: 'verified',
            count: 2 * (run + 1),
            cost: 2 * (run + 1),
          },
        ]);
        expect((await store.lastUsed(['OldKey000001'])).get('OldKey000001')).toBe(minute + run);
        // Step 4: the audit trail.
        const draft = {
          id: `aud_${run}`,
          at: 5,
          type: 'key.updated',
          keyId: 'OldKey000001',
        } as const;
        expect((await store.appendAudit(draft)).seq).toBe(run + 1);
      }
    },
  );

  it('applies the steps once under the advisory lock from several connections at once', async () => {
    const table = uniqueTable();
    created.push(table);
    await Promise.all(Array.from({ length: 4 }, () => migrate(pool, { table })));
    expect(await meta(table)).toStrictEqual({
      schema_version: String(SCHEMA_VERSION),
      schema_steps: '1,2,3,4,5',
    });
    expect(await environmentChecks(table)).toStrictEqual([]);
  });

  it('upgrades a database of the release before step 2 once from four connections at once', async () => {
    const table = uniqueTable();
    created.push(table);
    await pool.query((await fixture('schema-steps-1-3-4.sql')).replaceAll('__TABLE__', table));
    await pool.query(
      `INSERT INTO "${table}" (id, environment, name, hash, scopes, created_at, updated_at, version)
       SELECT 'OldKey' || lpad(i::text, 6, '0'), 'live', 'old key', 'sha256:x', '[]', 1, 2, 1
       FROM generate_series(1, 50) AS i`,
    );
    const many = testPool({ max: 4 });
    try {
      await Promise.all(Array.from({ length: 4 }, () => migrate(many, { table })));
    } finally {
      await many.end();
    }
    expect((await meta(table)).schema_steps).toBe('1,2,3,4,5');
    const store = new PostgresStore({ pool, table, prepare: false });
    expect((await store.listKeys({ type: 'secret', limit: 100 })).items).toHaveLength(50);
  });

  it('upgrades a database of the release before step 2: its keys still verify, new fields round-trip', async () => {
    const table = uniqueTable();
    created.push(table);
    await pool.query((await fixture('schema-steps-1-3-4.sql')).replaceAll('__TABLE__', table));
    expect(await environmentChecks(table)).toHaveLength(1);
    // A CHECK of the user's own that names the environment too: step 2 must leave it alone.
    await pool.query(
      `ALTER TABLE "${table}" ADD CONSTRAINT own_environment_rule CHECK (environment <> 'prod')`,
    );
    // A real key, created by keyward and written with that release's columns.
    const memory = new MemoryStore();
    const issuer = createKeyward({ prefix: 'acme', store: memory });
    const { key, record } = await issuer.create({
      name: 'old secret key',
      environment: 'live',
      ownerId: 'acct_old',
      scopes: ['invoices:read'],
      referrers: ['https://app.example.com/*'],
      metadata: { team: 'billing' },
    });
    const stored = memory.getKey(record.id)!;
    const oldColumns = COLUMNS.filter((column) => column !== 'type' && column !== 'routes');
    await pool.query(
      `INSERT INTO "${table}" (${oldColumns.join(', ')}) VALUES (${oldColumns.map((_, i) => `$${i + 1}`).join(', ')})`,
      toRow(stored).slice(0, oldColumns.length),
    );
    await expect(
      pool.query(
        `INSERT INTO "${table}" (id, environment, name, hash, scopes, created_at, updated_at, version)
         VALUES ('Staging00001', 'staging', 'n', 'sha256:x', '[]', 1, 1, 1)`,
      ),
    ).rejects.toMatchObject({ code: '23514' });

    await migrate(pool, { table });
    expect(await environmentChecks(table)).toStrictEqual(['own_environment_rule']);
    const store = new PostgresStore({ pool, table });
    expect(await store.getKey(record.id)).toStrictEqual({ ...stored, type: 'secret' });
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: store,
      limitStore: memory,
      cache: { max: 0 },
    });
    const result = (await keyward.verify({
      headers: { authorization: `Bearer ${key}`, referer: 'https://app.example.com/x' },
      ip: '10.0.0.1',
    })) as VerifyResult;
    expect(result.ok && result.key.id).toBe(record.id);
    await keyward.close();

    const now = Date.now();
    const fresh: KeyRecord = {
      id: 'Fresh0000001',
      environment: 'staging',
      type: 'publishable',
      routes: ['GET /invoices', 'POST /reports/**'],
      referrers: ['https://shop.example.com/*'],
      name: 'browser',
      hash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
      scopes: [],
      rateLimit: { capacity: 10, refillPerSecond: 1 },
      disabled: false,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    await store.insertKey(fresh);
    expect(await store.getKey(fresh.id)).toStrictEqual(fresh);
    expect(await store.updateKey({ ...fresh, routes: ['GET /x'], version: 2 }, 1)).toBe(true);
    expect((await store.getKey(fresh.id))?.routes).toStrictEqual(['GET /x']);
    const ids = async (type: 'secret' | 'publishable') =>
      (await store.listKeys({ type, limit: 10 })).items.map((item) => item.id);
    expect(await ids('publishable')).toStrictEqual([fresh.id]);
    expect(await ids('secret')).toStrictEqual([record.id]);
    const staging = await store.listKeys({
      environment: 'staging',
      type: 'publishable',
      limit: 10,
    });
    expect(staging.items).toHaveLength(1);
    store.close();
  });

  it('applies a step that arrives after step 5 (a database at 1,3,4,5 gets 2) and restores step 5’s indexes', async () => {
    const table = uniqueTable();
    created.push(table);
    const name = parseTableName(table);
    const withoutStep2 = SCHEMA_STEPS.filter(({ step }) => step !== 2);
    await pool.query(stepsSql(name, withoutStep2));
    expect((await meta(table)).schema_steps).toBe('1,3,4,5');
    await pool.query(
      `INSERT INTO "${table}" (id, environment, name, hash, scopes, created_at, updated_at, version)
       VALUES ('LateKey00001', 'live', 'kept', 'sha256:x', '[]', 1, 1, 1)`,
    );
    // A step 2 that also rebuilds the key table: the rebuild drops every index of the old one.
    const realStep2 = SCHEMA_STEPS.find(({ step }) => step === 2)!;
    const rebuild = (table: Parameters<typeof realStep2.sql>[0]) => `
CREATE TABLE "${table.name}_new" (LIKE ${table.sql} INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO "${table.name}_new" SELECT * FROM ${table.sql};
DROP TABLE ${table.sql};
ALTER TABLE "${table.name}_new" RENAME TO "${table.name}";
ALTER TABLE ${table.sql} ADD PRIMARY KEY (id);
CREATE INDEX IF NOT EXISTS "${table.name}_owner_idx" ON ${table.sql} (owner_id, id);
CREATE INDEX IF NOT EXISTS "${table.name}_environment_idx" ON ${table.sql} (environment, id);
${realStep2.sql(table)}`;
    const withStep2 = SCHEMA_STEPS.map((each) =>
      each.step === 2 ? { step: 2, sql: rebuild } : each,
    );
    const sql = stepsSql(name, withStep2);
    await pool.query(sql);
    expect(await meta(table)).toStrictEqual({ schema_version: '5', schema_steps: '1,2,3,4,5' });
    expect(await indexNames(pool, table)).toStrictEqual(indexesOf(table));
    const store = new PostgresStore({ pool, table });
    expect((await store.getKey('LateKey00001'))?.name).toBe('kept');
    // Running it again applies nothing: the rebuild would fail on the existing table otherwise.
    await pool.query(`CREATE TABLE "${table}_new" (x int)`);
    await pool.query(sql);
    await pool.query(`DROP TABLE "${table}_new"`);
    store.close();
  });

  it.each([
    [
      'a newer schema version',
      "SET value = '99' WHERE name = 'schema_version'",
      /schema version 99/,
    ],
    [
      'a step it does not know',
      "SET value = '1,2,3,4,5,6' WHERE name = 'schema_steps'",
      /steps 1,2,3,4,5,6/,
    ],
  ])('refuses a database with %s', async (_, change, message) => {
    const table = uniqueTable();
    created.push(table);
    await migrate(pool, { table });
    await pool.query(`UPDATE "${table}_meta" ${change}`);
    await expect(migrate(pool, { table })).rejects.toThrow(message);
  });
});
