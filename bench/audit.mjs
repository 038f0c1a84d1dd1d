// Audit section: what the audit trail adds to a management call. keyward.update() on one key,
// with the trail (the default: the entry written in the same statement or transaction as the
// change) and without it (auditStore: false), in interleaved batches, one call at a time.
// Target (issue #16): on PostgreSQL, audited update ≤ 1 ms slower at p50 than unaudited.
// SQLite and Redis are measured the same way, for comparison. Run: node bench/run.mjs audit
//
// Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) for their parts; a part whose service is
// down is skipped with the reason. Everything written is removed afterwards.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  dropPostgresTables,
  figure,
  formatNs,
  heading,
  loadPackage,
  printTable,
  publish,
} from './lib.mjs';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TAG = `${process.pid}_${randomBytes(4).toString('hex')}`;
const WARMUP = 100;
const ROUNDS = 20;
const PER_ROUND = 50;

const { createKeyward, MemoryStore } = await loadPackage('core');

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A keyward on `keyStore` with one key, and a function timing `count` sequential updates. */
async function updateCase(name, keyStore, audited) {
  const keyward = createKeyward({
    prefix: 'acme',
    keyStore,
    limitStore: new MemoryStore(),
    invalidation: false,
    ...(audited ? {} : { auditStore: false }),
  });
  const { record } = await keyward.create({ name: 'bench', scopes: ['invoices:read'] });
  const actor = { type: 'service', id: 'bench' };
  let n = 0;
  const samples = [];
  return {
    name,
    samples,
    async run(count, keep) {
      for (let i = 0; i < count; i++) {
        const start = process.hrtime.bigint();
        await keyward.update(record.id, { name: `bench ${n++}` }, audited ? { actor } : {});
        if (keep) samples.push(Number(process.hrtime.bigint() - start));
      }
    },
  };
}

/** Warm-up, then ROUNDS interleaved rounds of PER_ROUND updates per case. */
async function measure(cases) {
  for (const c of cases) await c.run(WARMUP, false);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < cases.length; k++) {
      await cases[(round + k) % cases.length].run(PER_ROUND, true);
    }
  }
  return cases.map((c) => {
    const sorted = [...c.samples].sort((a, b) => a - b);
    return {
      name: c.name,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
    };
  });
}

function report(store, [audited, plain]) {
  const diffMs = (audited.p50 - plain.p50) / 1e6;
  printTable([
    ['case', 'p50', 'p90', 'p99'],
    ...[plain, audited].map((r) => [r.name, formatNs(r.p50), formatNs(r.p90), formatNs(r.p99)]),
  ]);
  console.log(`  audited − unaudited at p50: ${diffMs.toFixed(3)} ms (${store})\n`);
  return diffMs;
}

const figures = {};
const details = {};
heading('keyward.update() with the audit trail vs without (latency, one call at a time)');
console.log(
  `  one key per case; ${WARMUP} warm-up calls each, then ${ROUNDS} interleaved rounds of ` +
    `${PER_ROUND}; limits in memory, no invalidation channel`,
);

let pgResult;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, connectionTimeoutMillis: 3000 });
pool.on('error', () => {});
try {
  await pool.query('SELECT 1');
  const { PostgresStore, migrate } = await loadPackage('postgres');
  const table = `keyward_bench_audit_${TAG}`;
  try {
    await migrate(pool, { table });
    const store = new PostgresStore({ pool, table });
    console.log('\nPostgreSQL');
    const rows = await measure([
      await updateCase('update, audited', store, true),
      await updateCase('update, no audit', store, false),
    ]);
    pgResult = report('PostgreSQL', rows);
    figures['audit.postgres.update.p50DiffMs'] = figure(
      'audited update − unaudited at p50, PostgreSQL (target ≤ 1 ms)',
      pgResult,
      'ms',
      'lower',
    );
    details.postgres = rows;
  } finally {
    await dropPostgresTables(pool, table);
  }
} catch (error) {
  console.log(`  PostgreSQL skipped: ${error?.code ?? error?.message ?? error}`);
  details.postgresSkipped = String(error?.code ?? error?.message ?? error);
} finally {
  await pool.end().catch(() => {});
}

const { SqliteStore } = await loadPackage('sqlite');
const file = path.join(os.tmpdir(), `keyward-bench-audit-${TAG}.db`);
const sqlite = new SqliteStore({ path: file });
try {
  console.log('SQLite (a file, WAL)');
  const rows = await measure([
    await updateCase('update, audited', sqlite, true),
    await updateCase('update, no audit', sqlite, false),
  ]);
  figures['audit.sqlite.update.p50DiffMs'] = figure(
    'audited update − unaudited at p50, SQLite',
    report('SQLite', rows),
    'ms',
    'lower',
  );
  details.sqlite = rows;
} finally {
  sqlite.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}

const client = new Redis(REDIS_URL, {
  lazyConnect: true,
  maxRetriesPerRequest: 1,
  retryStrategy: () => null,
});
client.on('error', () => {});
try {
  await client.connect();
  const { RedisStore } = await loadPackage('redis');
  const prefix = `kwbench:audit:${TAG}`;
  try {
    console.log('Redis');
    const rows = await measure([
      await updateCase('update, audited', new RedisStore({ client, prefix }), true),
      await updateCase('update, no audit', new RedisStore({ client, prefix }), false),
    ]);
    figures['audit.redis.update.p50DiffMs'] = figure(
      'audited update − unaudited at p50, Redis',
      report('Redis', rows),
      'ms',
      'lower',
    );
    details.redis = rows;
  } finally {
    const keys = await client.keys(`{${prefix}:keys}:*`);
    if (keys.length > 0) await client.del(...keys);
  }
} catch (error) {
  console.log(`  Redis skipped: ${error?.code ?? error?.message ?? error}`);
  details.redisSkipped = String(error?.code ?? error?.message ?? error);
} finally {
  client.disconnect();
}

if (pgResult !== undefined) {
  console.log(
    `PostgreSQL: audited update − unaudited = ${pgResult.toFixed(3)} ms at p50: target ≤ 1 ms ${pgResult <= 1 ? 'met' : 'NOT met'}`,
  );
}
await publish({ figures, details });
