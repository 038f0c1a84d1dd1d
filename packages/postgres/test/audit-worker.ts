// One process of the PostgreSQL audit race: keyward on PostgresStore (its own pool), audited
// creates and updates interleaved with the other processes' on one chain.
import { createKeyward, MemoryStore } from '@keyward/core';
import pg from 'pg';
import { auditRaceWork, waitForStart } from '../../../test-support/audit-race.js';
import { PostgresStore } from '../src/index.js';

const [url, table, writer, count] = process.argv.slice(2) as [string, string, string, string];
const pool = new pg.Pool({ connectionString: url, max: 2 });
const keyward = createKeyward({
  prefix: 'acme',
  keyStore: new PostgresStore({ pool, table }),
  limitStore: new MemoryStore(),
});
await pool.query('SELECT 1');
waitForStart();
const result = await auditRaceWork(keyward, writer, Number(count));
process.stdout.write(JSON.stringify(result));
// The store's LISTEN connection (revocation fan-out) would keep the process alive.
await keyward.close();
await pool.end();
