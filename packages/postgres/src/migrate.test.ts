import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../../test-support/services.js';
import { dropTables, testPool, uniqueTable } from '../test/pg-fixture.js';
import { migrate } from './migrate.js';
import { PostgresStore } from './postgres-store.js';
import { MIGRATION_SQL, migrationSql } from './schema.js';

const available = await postgresAvailable();

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
      environment: 'live' as const,
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
    expect(rows.map((row) => row.indexname)).toStrictEqual([
      `${table}_environment_idx`,
      `${table}_owner_idx`,
      `${table}_pkey`,
    ]);
  });

  it('survives concurrent runs on one new table', async () => {
    const table = uniqueTable();
    created.push(table);
    await Promise.all(Array.from({ length: 4 }, () => migrate(pool, { table })));
    expect(await columnsOf(table)).toHaveLength(21);
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
