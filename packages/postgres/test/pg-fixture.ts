import pg from 'pg';
import { DATABASE_URL } from '../../../test-support/services.js';
import { migrate } from '../src/index.js';

/** A lower-case table name no other test run uses. */
export function uniqueTable(base = 'keyward_keys_test'): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(6));
  return `${base}_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A pool on the test database that logs (never throws) errors of idle clients. */
export function testPool(config: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, ...config });
  pool.on('error', () => {});
  return pool;
}

/** Drops a key table and the tables migrate() creates beside it. */
export async function dropTables(pool: pg.Pool, table: string): Promise<void> {
  const siblings = ['', '_usage', '_last_used', '_usage_batches', '_audit', '_meta'];
  await pool.query(`DROP TABLE IF EXISTS ${siblings.map((s) => `"${table}${s}"`).join(', ')}`);
}

/** A pool and a freshly migrated unique table; `dispose` drops the table and ends the pool. */
export async function migratedTable(): Promise<{
  pool: pg.Pool;
  table: string;
  dispose: () => Promise<void>;
}> {
  const pool = testPool();
  const table = uniqueTable();
  await migrate(pool, { table });
  return {
    pool,
    table,
    dispose: async () => {
      await dropTables(pool, table);
      await pool.end();
    },
  };
}

/** Records this process's unhandled rejections until `stop()`. */
export function unhandledRejections(): { list: unknown[]; stop: () => void } {
  const list: unknown[] = [];
  const listener = (reason: unknown) => list.push(reason);
  process.on('unhandledRejection', listener);
  return { list, stop: () => process.off('unhandledRejection', listener) };
}
