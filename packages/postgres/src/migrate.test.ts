import { readFile } from 'node:fs/promises';
import type { Pool } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../../test-support/services.js';
import { dropTables, testPool, uniqueTable } from '../test/pg-fixture.js';
import { migrate } from './migrate.js';
import { PostgresStore } from './postgres-store.js';
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
    expect(rows.map((row) => row.indexname)).toStrictEqual(indexesOf(table));
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

describe.skipIf(!available)('migrate — schema steps', () => {
  const pool = testPool();
  const created: string[] = [];
  afterAll(async () => {
    for (const table of created) await dropTables(pool, table);
    await pool.end();
  });

  const fixture = (name: string) =>
    readFile(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8');

  async function meta(table: string): Promise<Record<string, string>> {
    const { rows } = await pool.query<{ name: string; value: string }>(
      `SELECT name, value FROM "${table}_meta"`,
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  }

  // The databases earlier releases left: step 1 alone (no meta table), steps 1 and 4 (the audit
  // trail first), steps 1 and 3 (usage first).
  it.each([
    ['step 1', 'schema-v1.sql'],
    ['steps 1 and 4', 'schema-steps-1-4.sql'],
    ['steps 1 and 3', 'schema-steps-1-3.sql'],
  ])(
    'upgrades a database at %s in place to steps 1, 3, 4 and 5, keeping its keys, idempotently',
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
          schema_steps: '1,3,4,5',
        });
        expect((await store.getKey('OldKey000001'))?.name).toBe('old key');
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
      schema_steps: '1,3,4,5',
    });
  });

  it('applies a step that arrives after step 5 (a database at 1,3,4,5 gets 2) and restores step 5’s indexes', async () => {
    const table = uniqueTable();
    created.push(table);
    await migrate(pool, { table });
    const store = new PostgresStore({ pool, table });
    await store.insertKey({
      id: 'LateKey00001',
      environment: 'live',
      name: 'kept',
      hash: 'sha256:x',
      scopes: [],
      disabled: false,
      createdAt: 1,
      updatedAt: 1,
      version: 1,
    });
    // A later step 2 that rebuilds the key table: the rebuild drops every index of the old one.
    const rebuild = ({ sql, name }: { sql: string; name: string }) => `
CREATE TABLE "${name}_new" (LIKE ${sql} INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO "${name}_new" SELECT * FROM ${sql};
DROP TABLE ${sql};
ALTER TABLE "${name}_new" RENAME TO "${name}";
ALTER TABLE ${sql} ADD PRIMARY KEY (id);
CREATE INDEX IF NOT EXISTS "${name}_owner_idx" ON ${sql} (owner_id, id);
CREATE INDEX IF NOT EXISTS "${name}_environment_idx" ON ${sql} (environment, id);
`;
    const withStep2 = [SCHEMA_STEPS[0]!, { step: 2, sql: rebuild }, ...SCHEMA_STEPS.slice(1)];
    const sql = stepsSql(parseTableName(table), withStep2);
    await pool.query(sql);
    expect(await meta(table)).toStrictEqual({ schema_version: '5', schema_steps: '1,2,3,4,5' });
    expect(await indexNames(pool, table)).toStrictEqual(indexesOf(table));
    expect((await store.getKey('LateKey00001'))?.name).toBe('kept');
    // Running it again applies nothing: the rebuild would fail on the existing table otherwise.
    await pool.query(`CREATE TABLE "${table}_new" (x int)`);
    await pool.query(sql);
    await pool.query(`DROP TABLE "${table}_new"`);
  });

  it.each([
    [
      'a newer schema version',
      "SET value = '99' WHERE name = 'schema_version'",
      /schema version 99/,
    ],
    [
      'a step it does not know',
      "SET value = '1,2,3,4' WHERE name = 'schema_steps'",
      /steps 1,2,3,4/,
    ],
  ])('refuses a database with %s', async (_, change, message) => {
    const table = uniqueTable();
    created.push(table);
    await migrate(pool, { table });
    await pool.query(`UPDATE "${table}_meta" ${change}`);
    await expect(migrate(pool, { table })).rejects.toThrow(message);
  });
});
