// Stores section: the Redis limit store's token-bucket takes per second next to
// rate-limiter-flexible's RateLimiterRedis on the same Redis, and the latency of a verify that
// misses the cache and reads the key from PostgreSQL or SQLite. Run: node bench/run.mjs stores
//
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379) and PostgreSQL (DATABASE_URL, default
// postgres://root@127.0.0.1:5432/test); a part whose service is down is skipped with the reason.
// Everything written is removed afterwards: Redis keys under a unique prefix, a unique PostgreSQL
// table, a temporary SQLite file.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  compare,
  dropPostgresTables,
  figure,
  formatNs,
  formatOps,
  formatRatio,
  heading,
  loadPackage,
  median,
  printTable,
  publish,
  ratio,
  subheading,
} from './lib.mjs';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const TAG = `${process.pid}_${randomBytes(4).toString('hex')}`;

const { createKeyward, MemoryStore } = await loadPackage('core');

/** The URL without its password, for messages. */
function safeUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function reasonOf(error) {
  return error?.code ?? error?.message ?? String(error);
}

// ---------------------------------------------------------------------------------------------
// (a) Redis limit store vs rate-limiter-flexible

/** Deletes every key matching `pattern` (SCAN + DEL, bounded). */
async function deleteMatching(client, pattern) {
  let cursor = '0';
  let deleted = 0;
  for (let pass = 0; pass < 100_000; pass++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) deleted += await client.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}

async function connectRedis() {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** `concurrency` workers sharing `n` operations; resolves when all are done. */
function concurrently(concurrency, n, operation) {
  let issued = 0;
  const worker = async () => {
    while (issued < n) {
      issued += 1;
      await operation();
    }
  };
  const workers = [];
  for (let i = 0; i < Math.min(concurrency, n); i++) workers.push(worker());
  return Promise.all(workers);
}

async function redisPart(figures, details) {
  heading('Redis limit store: token-bucket takes vs rate-limiter-flexible RateLimiterRedis');
  let ours;
  let theirs;
  try {
    ours = await connectRedis();
    theirs = await connectRedis();
  } catch (error) {
    ours?.disconnect();
    console.log(`  skipped: Redis at ${safeUrl(REDIS_URL)} is not reachable (${reasonOf(error)})`);
    details.redis = { skipped: `Redis not reachable: ${reasonOf(error)}` };
    return;
  }
  const { RedisStore } = await loadPackage('redis');
  const ourPrefix = `kwbench_${TAG}`;
  const theirPrefix = `kwbench_rlf_${TAG}`;
  const store = new RedisStore({ client: ours, prefix: ourPrefix });
  // Never emptied by this benchmark (at most a few million takes), yet a real bucket: the tokens
  // left go down with every take and the key's TTL is the time to refill.
  const limit = { capacity: 1e9, refillPerSecond: 1 };
  const limiter = new RateLimiterRedis({
    storeClient: theirs,
    keyPrefix: theirPrefix,
    points: 1e9,
    duration: 3600,
  });
  const BUCKETS = 1000;
  const names = Array.from({ length: BUCKETS }, (_, i) => `b${i}`);
  let next = 0;
  const nextName = () => {
    next = next + 1 === BUCKETS ? 0 : next + 1;
    return names[next];
  };
  const take = async () => {
    const result = await store.takeToken(nextName(), limit, 1, Date.now());
    if (!result.allowed)
      throw new Error('RedisStore refused a take: the bucket should never empty');
  };
  const consume = () => limiter.consume(nextName(), 1);
  console.log(
    `  same Redis (${safeUrl(REDIS_URL)}), one ioredis client each, ${BUCKETS} buckets taken ` +
      'round-robin, limits never reached;\n' +
      `  ours: RedisStore.takeToken (capacity ${limit.capacity}, refill ${limit.refillPerSecond}/s); ` +
      `theirs: RateLimiterRedis.consume (points ${1e9}, duration 3600 s).\n` +
      '  Interleaved rounds, wall-clock (Redis works outside this process, so its CPU time is not ' +
      'the measure).',
  );
  try {
    // Sanity: a real token bucket on both sides before timing.
    const slow = { capacity: 10, refillPerSecond: 0.001 };
    const first = await store.takeToken('check', slow, 1, Date.now());
    const second = await store.takeToken('check', slow, 1, Date.now());
    if (!first.allowed || first.remaining !== 9 || second.remaining !== 8) {
      throw new Error('RedisStore takes did not remove tokens');
    }
    await limiter.consume('check', 1);

    const rows = [['case', 'takes/s (wall)', 'client CPU/op', 'wall min – max', 'ours / theirs']];
    details.redis = { limit, buckets: BUCKETS, concurrency: {} };
    for (const concurrency of [1, 64]) {
      const [a, b] = await compare(
        [
          { name: 'ours', run: (n) => concurrently(concurrency, n, take) },
          { name: 'theirs', run: (n) => concurrently(concurrency, n, consume) },
        ],
        { rounds: 21, minRounds: 5, batchMs: 250, warmupMs: 1000, maxMs: 60_000 },
      );
      const speed = ratio(b, a); // their ns/op over ours: how many times faster we are
      rows.push(
        [
          `RedisStore.takeToken, concurrency ${concurrency}`,
          formatOps(a.wall.opsPerSec),
          formatNs(a.cpu.nsPerOp),
          `${formatOps(1e9 / a.wall.maxNs)} – ${formatOps(1e9 / a.wall.minNs)}`,
          `${formatRatio(speed.wall.median)} (${formatRatio(speed.wall.min)} – ${formatRatio(speed.wall.max)})`,
        ],
        [
          `RateLimiterRedis.consume, concurrency ${concurrency}`,
          formatOps(b.wall.opsPerSec),
          formatNs(b.cpu.nsPerOp),
          `${formatOps(1e9 / b.wall.maxNs)} – ${formatOps(1e9 / b.wall.minNs)}`,
          '',
        ],
      );
      const tag = `c${concurrency}`;
      figures[`redis.${tag}.ours.opsPerSec`] = figure(
        `RedisStore.takeToken, concurrency ${concurrency}`,
        a.wall.opsPerSec,
        'ops/s',
        'higher',
      );
      figures[`redis.${tag}.flexible.opsPerSec`] = figure(
        `RateLimiterRedis.consume, concurrency ${concurrency}`,
        b.wall.opsPerSec,
        'ops/s',
        'higher',
      );
      figures[`redis.${tag}.speedup`] = figure(
        `RedisStore / RateLimiterRedis speed, concurrency ${concurrency} (target ≥ 1)`,
        speed.wall.median,
        'ratio',
        'higher',
      );
      details.redis.concurrency[tag] = { ours: a, theirs: b, speed };
    }
    subheading('takes per second (medians of interleaved rounds)');
    printTable(rows);
  } finally {
    const removed =
      (await deleteMatching(ours, `${ourPrefix}:*`)) +
      (await deleteMatching(theirs, `${theirPrefix}:*`));
    console.log(`  cleaned up ${removed} Redis keys`);
    store.close();
    ours.disconnect();
    theirs.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// (b) Cache-miss verify on PostgreSQL and SQLite

const KEY_OPTIONS = {
  name: 'bench',
  scopes: ['invoices:read'],
  ips: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
  rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
};
const VERIFY_OPTIONS = Object.freeze({ scopes: Object.freeze(['invoices:read']) });
const CLIENT_IP = '10.20.30.40';
const KEYS = 100;
const WARMUP = 500;
const ROUNDS = 5;
const PER_ROUND = 1000;

/** Percentile (nearest rank) of sorted numbers. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * A case: a keyward whose key store is `keyStore`, `KEYS` keys issued through it, and a function
 * timing `count` verifies (round-robin over the keys), each checked to succeed.
 */
async function verifyCase(name, options) {
  const keyward = createKeyward({ prefix: 'acme', ...options });
  const requests = [];
  for (let i = 0; i < KEYS; i++) {
    const { key } = await keyward.create(KEY_OPTIONS);
    requests.push({ headers: { authorization: `Bearer ${key}` }, ip: CLIENT_IP });
  }
  let next = 0;
  const samples = [];
  return {
    name,
    keyward,
    samples,
    async run(count, record) {
      for (let i = 0; i < count; i++) {
        next = next + 1 === KEYS ? 0 : next + 1;
        const start = process.hrtime.bigint();
        let result = keyward.verify(requests[next], VERIFY_OPTIONS);
        if (typeof result?.then === 'function') result = await result;
        const ns = Number(process.hrtime.bigint() - start);
        if (!result.ok) throw new Error(`${name}: verify rejected the key (${result.code})`);
        if (record) samples.push(ns);
      }
    },
  };
}

async function openPostgres() {
  const pool = new pg.Pool({
    connectionString: DATABASE_URL,
    max: 4,
    connectionTimeoutMillis: 3000,
  });
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
}

async function verifyPart(figures, details) {
  heading('Cache-miss verify on PostgreSQL and SQLite (latency of one verify)');
  console.log(
    `  ${KEYS} keys (${KEY_OPTIONS.ips.length} IP ranges, one scope, token bucket never empty), ` +
      'verified round-robin one at a time;\n' +
      `  ${WARMUP} warm-up verifies per case, then ${ROUNDS} interleaved rounds of ${PER_ROUND}; ` +
      'miss: cache { max: 0 }, so every verify reads the key store;\n' +
      '  hit: default cache. Limits in a MemoryStore unless the case says otherwise.',
  );
  const { SqliteStore } = await loadPackage('sqlite');
  const cases = [];
  const cleanups = [];
  details.verify = {};
  try {
    let pool;
    try {
      pool = await openPostgres();
    } catch (error) {
      console.log(
        `  PostgreSQL skipped: ${safeUrl(DATABASE_URL)} is not reachable (${reasonOf(error)})`,
      );
      details.verify.postgresSkipped = reasonOf(error);
    }
    if (pool !== undefined) {
      const { PostgresStore, migrate } = await loadPackage('postgres');
      const table = `keyward_bench_${TAG}`;
      cleanups.push(async () => {
        await dropPostgresTables(pool, table);
        await pool.end();
      });
      await migrate(pool, { table });
      const pgStore = new PostgresStore({ pool, table });
      const pgMiss = await verifyCase('postgres miss', {
        keyStore: pgStore,
        limitStore: new MemoryStore(),
        cache: { max: 0 },
      });
      cases.push(pgMiss);
      cases.push(
        await verifyCase('postgres hit', { keyStore: pgStore, limitStore: new MemoryStore() }),
      );
    }

    const file = path.join(os.tmpdir(), `keyward-bench-${TAG}.db`);
    const sqliteStore = new SqliteStore({ path: file });
    cleanups.push(() => {
      sqliteStore.close();
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
    });
    cases.push(
      await verifyCase('sqlite miss', {
        keyStore: sqliteStore,
        limitStore: new MemoryStore(),
        cache: { max: 0 },
      }),
      await verifyCase('sqlite miss, limits in SQLite too', {
        store: sqliteStore,
        cache: { max: 0 },
      }),
      await verifyCase('sqlite hit', { keyStore: sqliteStore, limitStore: new MemoryStore() }),
      await verifyCase('memory miss', { store: new MemoryStore(), cache: { max: 0 } }),
    );
    for (const item of cases) await item.run(WARMUP, false);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < cases.length; k++) {
        await cases[(round + k) % cases.length].run(PER_ROUND, true);
      }
    }

    const rows = [['case', 'verifies', 'p50', 'p90', 'p99', 'max']];
    for (const item of cases) {
      const sorted = [...item.samples].sort((x, y) => x - y);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      rows.push([
        item.name,
        sorted.length.toLocaleString('en-US'),
        formatNs(p50),
        formatNs(percentile(sorted, 90)),
        formatNs(p99),
        formatNs(sorted[sorted.length - 1]),
      ]);
      const id = item.name
        .replace(/, limits in SQLite too/, ' whole')
        .replace(/ (\w)/g, (_, c) => c.toUpperCase());
      figures[`verify.${id}.p50`] = figure(`verify p50, ${item.name}`, p50 / 1000, 'µs', 'lower');
      if (item.name.includes('miss')) {
        figures[`verify.${id}.p99`] = figure(`verify p99, ${item.name}`, p99 / 1000, 'µs', 'lower');
      }
      details.verify[item.name] = {
        count: sorted.length,
        p50Ns: p50,
        p90Ns: percentile(sorted, 90),
        p99Ns: p99,
        maxNs: sorted[sorted.length - 1],
        meanNs: sorted.reduce((s, v) => s + v, 0) / sorted.length,
        medianNs: median(sorted),
      };
    }
    subheading('verify latency (wall-clock, per call)');
    printTable(rows);
    for (const item of cases) await item.keyward.close();
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`  cleanup failed: ${reasonOf(error)}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

const figures = {};
const details = {};
await redisPart(figures, details);
await verifyPart(figures, details);
await publish({ figures, details });
