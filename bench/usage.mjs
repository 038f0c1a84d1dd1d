// Usage section: what recording usage costs a cached verify (usage on vs off), the memory of
// pending usage per distinct row, how long one flush of 10,000 distinct rows takes on PostgreSQL,
// SQLite and Redis (and the memory Redis holds per row), and how long usage() of one key over 30
// days, hourly, takes among 10,000 active keys on PostgreSQL, SQLite and Redis (on Redis also over
// 365 days, daily). Run: node bench/run.mjs usage
//
// Needs Redis (REDIS_URL) and PostgreSQL (DATABASE_URL) for their parts; a part whose service is
// down is skipped with the reason. Everything written is removed afterwards (unique PostgreSQL
// tables, Redis keys under a unique prefix, a temporary SQLite file).

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  blackhole,
  compare,
  dropPostgresTables,
  figure,
  formatBytes,
  formatNs,
  formatRatio,
  heading,
  heapUsedAfterGc,
  loadPackage,
  median,
  printTable,
  publish,
  ratio,
} from './lib.mjs';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const TAG = `${process.pid}_${randomBytes(4).toString('hex')}`;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const { createKeyward, MemoryStore } = await loadPackage('core');

const reasonOf = (error) => error?.code ?? error?.message ?? String(error);
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const keyIdOf = (i) => `K${String(i).padStart(11, '0')}`;

// ---------------------------------------------------------------------------------------------
// (a) cached verify, usage on vs usage off

const KEY_OPTIONS = {
  name: 'bench',
  environment: 'live',
  scopes: ['invoices:read'],
  ips: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
  rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
};
const VERIFY_OPTIONS = Object.freeze({ scopes: Object.freeze(['invoices:read']) });

async function verifyCost(figures, details) {
  heading('cached verify: usage on vs usage off');
  console.log(
    '  MemoryStore, default cache, no onEvent; the same key options as the core section; the\n' +
      '  request names a route (GET /invoices/:id). "on" counts every verification in process\n' +
      '  (its timer flushes to the MemoryStore once a second); "off" is usage: false.',
  );
  const on = createKeyward({ prefix: 'acme', store: new MemoryStore() });
  const off = createKeyward({ prefix: 'acme', store: new MemoryStore(), usage: false });
  const request = async (keyward) => ({
    headers: { authorization: `Bearer ${(await keyward.create(KEY_OPTIONS)).key}` },
    ip: '10.20.30.40',
    method: 'GET',
    route: '/invoices/:id',
  });
  const onRequest = await request(on);
  const offRequest = await request(off);
  for (const [keyward, req] of [
    [on, onRequest],
    [off, offRequest],
  ]) {
    const result = keyward.verify(req, VERIFY_OPTIONS);
    if (typeof result.then === 'function' || !result.ok) throw new Error('not a cached success');
  }
  const [withUsage, without] = await compare(
    [
      {
        name: 'usage on',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(on.verify(onRequest, VERIFY_OPTIONS));
        },
      },
      {
        name: 'usage off',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(off.verify(offRequest, VERIFY_OPTIONS));
        },
      },
    ],
    { rounds: 60, batchMs: 10 },
  );
  const r = ratio(withUsage, without);
  printTable([
    ['case', 'cpu ns/op', 'wall ns/op'],
    ['usage on', formatNs(withUsage.cpu.nsPerOp), formatNs(withUsage.wall.nsPerOp)],
    ['usage off', formatNs(without.cpu.nsPerOp), formatNs(without.wall.nsPerOp)],
  ]);
  const met = r.cpu.median <= 1.05;
  console.log(
    `\n  on / off = ${formatRatio(r.cpu.median)} by CPU time (per-round ${formatRatio(r.cpu.min)}–` +
      `${formatRatio(r.cpu.max)}; wall ${formatRatio(r.wall.median)}): target ≤ 1.05× ${met ? 'met' : 'NOT met'}`,
  );
  figures['verify.usageOn.ns'] = figure(
    'cached verify, usage on',
    withUsage.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['verify.usageOff.ns'] = figure(
    'cached verify, usage off',
    without.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['verify.usageOnOverOff'] = figure(
    'cached verify, usage on / off',
    r.cpu.median,
    'ratio',
    'lower',
  );
  figures['verify.usageOnOverOff.wall'] = figure(
    'cached verify, usage on / off, wall-clock',
    r.wall.median,
    'ratio',
    'lower',
  );
  details.verify = { on: withUsage, off: without, ratio: r };
  await on.close();
  await off.close();
}

// ---------------------------------------------------------------------------------------------
// (b) pending usage: bytes per distinct row

/**
 * Heap held by `rows` pending rows: a keyward with `keys` cached keys verifies each `perKey`
 * times on different routes; the same verifications one minute earlier were flushed first, so
 * the cache and interned routes are already in the baseline.
 */
async function pendingBytes(keys, perKey) {
  let now = Date.UTC(2031, 0, 1, 12, 0, 0);
  const store = new MemoryStore();
  const keyward = createKeyward({
    prefix: 'acme',
    store,
    clock: () => now,
    failedAttempts: false,
    // Records stay cached across the minute the clock moves, so only pending usage grows.
    cache: { max: keys, ttlMs: 3_600_000 },
    usage: { flushIntervalMs: 3_600_000, maxPending: 1_000_000 },
  });
  const requests = [];
  for (let i = 0; i < keys; i++) {
    const { key } = await keyward.create({ name: `k${i}`, environment: 'live' });
    for (let r = 0; r < perKey; r++) {
      requests.push({
        headers: { authorization: `Bearer ${key}` },
        method: 'GET',
        route: `/route/${r}`,
      });
    }
  }
  const pass = () => {
    for (const req of requests) {
      const result = keyward.verify(req);
      if (typeof result.then === 'function' || !result.ok) throw new Error('not a cached success');
    }
  };
  pass();
  await keyward.flush();
  now += MINUTE;
  const before = heapUsedAfterGc();
  pass();
  const after = heapUsedAfterGc();
  const rows = keyward.stats().pendingUsageRows;
  if (rows !== keys * perKey) throw new Error(`expected ${keys * perKey} rows, got ${rows}`);
  blackhole(requests);
  await keyward.close();
  return { rows, bytesPerRow: (after - before) / rows };
}

async function pendingMemory(figures, details) {
  heading('pending usage: heap per distinct row (key × minute × outcome × route)');
  const shapes = [
    ['10,000 keys × 1 row', 10_000, 1],
    ['1,000 keys × 10 routes', 1_000, 10],
  ];
  const rows = [['shape', 'rows', 'bytes/row']];
  details.pending = {};
  for (const [label, keys, perKey] of shapes) {
    const samples = [];
    for (let i = 0; i < 3; i++) samples.push((await pendingBytes(keys, perKey)).bytesPerRow);
    const bytes = median(samples);
    rows.push([label, (keys * perKey).toLocaleString('en-US'), formatBytes(bytes)]);
    details.pending[label] = { samples, median: bytes };
    if (perKey === 1) {
      figures['pending.bytesPerRow'] = figure(
        'pending usage per distinct row (10,000 keys)',
        bytes,
        'bytes',
        'lower',
      );
    } else {
      figures['pending.bytesPerRow.routes'] = figure(
        'pending usage per distinct row (1,000 keys × 10 routes)',
        bytes,
        'bytes',
        'lower',
      );
    }
  }
  printTable(rows);
  console.log('\n  target ≤ 200 bytes per distinct row (median of 3 heaps after GC)');
}

// ---------------------------------------------------------------------------------------------
// (c) one flush of 10,000 distinct rows

const FLUSH_ROWS = 10_000;
const FLUSH_ROUNDS = 9;

/** 10,000 rows of 10,000 keys in one minute, with each key's last use: a flush's worst shape. */
function flushBatch(minute) {
  const rows = [];
  const lastUsed = new Map();
  for (let i = 0; i < FLUSH_ROWS; i++) {
    const keyId = keyIdOf(i);
    rows.push({
      keyId,
      minute,
      outcome: 'verified',
      route: 'GET /invoices/:id',
      count: 3,
      cost: 3,
    });
    lastUsed.set(keyId, minute + (i % MINUTE));
  }
  return { rows, lastUsed };
}

/** Times FLUSH_ROUNDS flushes, a new minute each; `afterRound(round)` runs untimed after each. */
async function timeFlushes(name, store, afterRound = async () => {}) {
  const samples = [];
  const start = Date.UTC(2031, 5, 1, 8, 0, 0);
  for (let round = 0; round < FLUSH_ROUNDS; round++) {
    const { rows, lastUsed } = flushBatch(start + round * MINUTE);
    const t0 = performance.now();
    await store.recordUsage(rows, lastUsed, `bench-${TAG}-${round}`);
    samples.push(performance.now() - t0);
    await afterRound(round);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { name, samples, p50: median(sorted), min: sorted[0], max: sorted.at(-1) };
}

/** Opens a Redis client, or says why not (noting it in `details[skipKey]`) and returns undefined. */
async function openRedis(details, skipKey) {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    console.log(`  Redis skipped: ${reasonOf(error)}`);
    details[skipKey] = reasonOf(error);
    client.disconnect();
    return undefined;
  }
}

/** Every key under `prefix:` (SCAN), in batches. */
async function* redisKeys(client, prefix) {
  let cursor = '0';
  for (let pass = 0; pass < 1_000_000; pass++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) yield keys;
    cursor = next;
    if (cursor === '0') return;
  }
}

/** Bytes Redis holds for every key under `prefix:` (MEMORY USAGE, every field counted). */
async function redisBytes(client, prefix) {
  let bytes = 0;
  for await (const keys of redisKeys(client, prefix)) {
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [error, size] of await pipeline.exec()) if (!error) bytes += Number(size ?? 0);
  }
  return bytes;
}

/** Removes every key under `prefix:` (UNLINK: freed off the main thread). */
async function removeRedisKeys(client, prefix) {
  for await (const keys of redisKeys(client, prefix)) await client.unlink(...keys);
}

async function openPostgres() {
  const pool = new pg.Pool({
    connectionString: DATABASE_URL,
    max: 4,
    connectionTimeoutMillis: 3000,
  });
  pool.on('error', () => {});
  await pool.query('SELECT 1');
  return pool;
}

/** Runs `use(store)` on a SqliteStore in a temporary file, removed afterwards. */
async function withSqlite(name, use) {
  const { SqliteStore } = await loadPackage('sqlite');
  const file = path.join(os.tmpdir(), `keyward-bench-${name}-${TAG}.db`);
  const store = new SqliteStore({ path: file });
  try {
    return await use(store);
  } finally {
    store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}

/**
 * Runs `use(store, pool, table)` on a PostgresStore over a migrated table of its own, dropped
 * afterwards; when PostgreSQL does not answer, says so, notes it in `details` and returns.
 */
async function withPostgres(name, details, use) {
  let pool;
  try {
    pool = await openPostgres();
  } catch (error) {
    console.log(`  PostgreSQL skipped: ${reasonOf(error)}`);
    details[`${name}PostgresSkipped`] = reasonOf(error);
    return undefined;
  }
  const { PostgresStore, migrate } = await loadPackage('postgres');
  const table = `keyward_bench_${name}_${TAG}`;
  try {
    await migrate(pool, { table });
    return await use(new PostgresStore({ pool, table }), pool, table);
  } finally {
    await dropPostgresTables(pool, table);
    await pool.end();
  }
}

async function flushes(figures, details) {
  heading(`one flush of ${FLUSH_ROWS.toLocaleString('en-US')} distinct rows (recordUsage)`);
  console.log(
    `  ${FLUSH_ROWS.toLocaleString('en-US')} keys, one row each (the worst shape: nothing to share),\n` +
      `  each key's last use too, a new minute per round; ${FLUSH_ROUNDS} rounds, wall-clock of the call.`,
  );
  const results = [];
  const targets = { postgres: 250, sqlite: 250, redis: 100 };
  results.push(await withSqlite('flush', (store) => timeFlushes('sqlite', store)));
  const postgres = await withPostgres('flush', details, (store) => timeFlushes('postgres', store));
  if (postgres !== undefined) results.push(postgres);
  const client = await openRedis(details, 'flushRedisSkipped');
  let memory;
  if (client !== undefined) {
    const { RedisStore } = await loadPackage('redis');
    const prefix = `kwbench_usage_${TAG}`;
    const store = new RedisStore({ client, prefix });
    const bytes = [];
    try {
      results.push(
        await timeFlushes('redis', store, async (round) => {
          if (round === 0 || round === FLUSH_ROUNDS - 1)
            bytes.push(await redisBytes(client, prefix));
        }),
      );
      memory = {
        afterOne: bytes[0] / FLUSH_ROWS,
        afterAll: bytes[1] / (FLUSH_ROWS * FLUSH_ROUNDS),
        bytes,
      };
    } finally {
      await removeRedisKeys(client, prefix);
      store.close();
      await client.quit();
    }
  }
  const rows = [['store', 'p50', 'min', 'max', 'target']];
  details.flush = {};
  for (const r of results) {
    rows.push([
      r.name,
      `${r.p50.toFixed(1)} ms`,
      `${r.min.toFixed(1)} ms`,
      `${r.max.toFixed(1)} ms`,
      `≤ ${targets[r.name]} ms ${r.p50 <= targets[r.name] ? 'met' : 'NOT met'}`,
    ]);
    figures[`flush10k.${r.name}.ms`] = figure(
      `flush of 10,000 rows, ${r.name}, p50`,
      r.p50,
      'ms',
      'lower',
    );
    details.flush[r.name] = r;
  }
  printTable(rows);
  if (memory !== undefined) {
    console.log(
      `\n  Redis holds ${formatBytes(memory.afterOne)} per row after the first flush (10,000 keys, one minute` +
        ` each),\n  ${formatBytes(memory.afterAll)} per row after all ${FLUSH_ROUNDS} (${FLUSH_ROUNDS} minutes` +
        ' of the same keys): MEMORY USAGE of every key written, markers and last uses included.',
    );
    figures['flush10k.redis.bytesPerRow'] = figure(
      'Redis memory per row after one flush of 10,000 keys',
      memory.afterOne,
      'bytes',
      'lower',
    );
    figures['flush10k.redis.bytesPerRow.9min'] = figure(
      `Redis memory per row after ${FLUSH_ROUNDS} flushes (a minute each) of the same 10,000 keys`,
      memory.afterAll,
      'bytes',
      'lower',
    );
    details.flush.redisMemory = memory;
  }
}

// ---------------------------------------------------------------------------------------------
// (d) usage() of one key, 30 days hourly, among 10,000 active keys

const ACTIVE_KEYS = 10_000;
const BUSY_KEYS = 20;
const QUERIES = 200;

/**
 * Fills a usage table as 30 days of 10,000 keys would leave it: hour rows (level 1) for days
 * 8–30, every key every hour (rolled up from minutes past their 7-day retention), and minute rows
 * (level 0) for the last 7 days: one minute per hour for most keys, every minute for the
 * `BUSY_KEYS` busiest. Rows go in in time order, as flushes would write them.
 */
function populationSql(table, now) {
  const hours = 23 * 24;
  const firstHour = now - 30 * DAY;
  const recent = now - 7 * DAY;
  return {
    hours: `INSERT INTO ${table} (subject, level, start, outcome, route, count, cost)
SELECT 'K' || lpad(k::text, 11, '0'), 1, ${firstHour} + h * ${HOUR}, 'verified', 'GET /invoices/:id', 60, 60
FROM generate_series(0, ${hours - 1}) h, generate_series(0, ${ACTIVE_KEYS - 1}) k`,
    sparse: `INSERT INTO ${table} (subject, level, start, outcome, route, count, cost)
SELECT 'K' || lpad(k::text, 11, '0'), 0, ${recent} + h * ${HOUR} + (k % 60) * ${MINUTE}, 'verified', 'GET /invoices/:id', 60, 60
FROM generate_series(0, ${7 * 24 - 1}) h, generate_series(${BUSY_KEYS}, ${ACTIVE_KEYS - 1}) k`,
    busy: `INSERT INTO ${table} (subject, level, start, outcome, route, count, cost)
SELECT 'K' || lpad(k::text, 11, '0'), 0, ${recent} + m * ${MINUTE}, 'verified', 'GET /invoices/:id', 1, 1
FROM generate_series(0, ${7 * 24 * 60 - 1}) m, generate_series(0, ${BUSY_KEYS - 1}) k`,
  };
}

/**
 * The same population in SQLite, with recursive CTEs for the series. A WITHOUT ROWID table is its
 * primary-key B-tree whatever the insertion order, so rows go in key by key (much faster to fill).
 */
function sqlitePopulationSql(now) {
  const series = (name, from, to) =>
    `${name}(v) AS (SELECT ${from} UNION ALL SELECT v + 1 FROM ${name} WHERE v < ${to})`;
  const id = `'K' || substr('00000000000' || k.v, -11, 11)`;
  const firstHour = now - 30 * DAY;
  const recent = now - 7 * DAY;
  const insert = 'INSERT INTO keyward_usage (subject, level, start, outcome, route, count, cost)';
  return {
    hours: `WITH RECURSIVE ${series('h', 0, 23 * 24 - 1)}, ${series('k', 0, ACTIVE_KEYS - 1)}
${insert} SELECT ${id}, 1, ${firstHour} + h.v * ${HOUR}, 'verified', 'GET /invoices/:id', 60, 60 FROM k CROSS JOIN h`,
    sparse: `WITH RECURSIVE ${series('h', 0, 7 * 24 - 1)}, ${series('k', BUSY_KEYS, ACTIVE_KEYS - 1)}
${insert} SELECT ${id}, 0, ${recent} + h.v * ${HOUR} + (k.v % 60) * ${MINUTE}, 'verified', 'GET /invoices/:id', 60, 60 FROM k CROSS JOIN h`,
    busy: `WITH RECURSIVE ${series('m', 0, 7 * 24 * 60 - 1)}, ${series('k', 0, BUSY_KEYS - 1)}
${insert} SELECT ${id}, 0, ${recent} + m.v * ${MINUTE}, 'verified', 'GET /invoices/:id', 1, 1 FROM k CROSS JOIN m`,
  };
}

async function timeQueries(name, keyward, now, { days = 30, granularity = 'hour' } = {}) {
  const width = granularity === 'hour' ? HOUR : DAY;
  const buckets = Math.ceil(now / width) - Math.floor((now - days * DAY) / width);
  const run = async (firstKey, count) => {
    const samples = [];
    for (let i = 0; i < QUERIES; i++) {
      const keyId = keyIdOf(firstKey + (i % count));
      const t0 = performance.now();
      const { points } = await keyward.usage({
        keyId,
        from: now - days * DAY,
        to: now,
        granularity,
      });
      samples.push(performance.now() - t0);
      if (points.length !== buckets || points.every((p) => p.total === 0))
        throw new Error('unexpected usage');
    }
    return samples.sort((a, b) => a - b);
  };
  await run(BUSY_KEYS, 10); // warm-up
  const busy = await run(0, BUSY_KEYS);
  const typical = await run(BUSY_KEYS, ACTIVE_KEYS - BUSY_KEYS);
  return {
    name,
    busy: { p50: percentile(busy, 50), p95: percentile(busy, 95) },
    typical: { p50: percentile(typical, 50), p95: percentile(typical, 95) },
  };
}

/**
 * Fills Redis as 30 days of flushes by ACTIVE_KEYS keys leave it: every key once an hour (count
 * 60, at minute k % 60), the BUSY_KEYS busiest every minute of the last 7 days instead; written
 * hour by hour through recordUsage (every granularity at once, as flushes do), on the real clock,
 * so minute cells older than their 7-day retention expire as they would.
 */
async function fillRedis(store, now) {
  const recent = now - 7 * DAY;
  for (let hour = now - 30 * DAY; hour < now; hour += HOUR) {
    const rows = [];
    for (let k = 0; k < ACTIVE_KEYS; k++) {
      const keyId = keyIdOf(k);
      const row = { keyId, outcome: 'verified', route: 'GET /invoices/:id' };
      if (k < BUSY_KEYS && hour >= recent) {
        for (let m = 0; m < 60; m++)
          rows.push({ ...row, minute: hour + m * MINUTE, count: 1, cost: 1 });
      } else {
        rows.push({ ...row, minute: hour + (k % 60) * MINUTE, count: 60, cost: 60 });
      }
    }
    await store.recordUsage(rows, new Map());
  }
}

/** The query timings on Redis (30 days hourly, and a year daily), or undefined when it is down. */
async function redisQueries(details) {
  const client = await openRedis(details, 'queryRedisSkipped');
  if (client === undefined) return undefined;
  const { RedisStore } = await loadPackage('redis');
  const prefix = `kwbench_usage_query_${TAG}`;
  const store = new RedisStore({ client, prefix });
  try {
    const now = Date.now() - (Date.now() % HOUR);
    const t0 = performance.now();
    await fillRedis(store, now);
    const bytes = await redisBytes(client, prefix);
    console.log(
      `  Redis filled in ${((performance.now() - t0) / 1000).toFixed(1)} s through recordUsage;` +
        ` it holds ${(bytes / 1e6).toFixed(0)} MB for it (MEMORY USAGE)`,
    );
    const keyward = createKeyward({ prefix: 'acme', store });
    const hourly = await timeQueries('redis', keyward, now);
    const daily = await timeQueries('redis', keyward, now, { days: 365, granularity: 'day' });
    await keyward.close();
    return { ...hourly, daily, bytes };
  } finally {
    await removeRedisKeys(client, prefix);
    store.close();
    await client.quit();
  }
}

async function queries(figures, details) {
  heading('usage() of one key, 30 days hourly (720 points), among 10,000 active keys');
  console.log(
    `  ${ACTIVE_KEYS.toLocaleString('en-US')} keys with hour rows for days 8–30 (every key, every hour) and minute rows for\n` +
      `  the last 7 days (one minute an hour; every minute for the ${BUSY_KEYS} busiest keys): what 30 days of\n` +
      '  flushes leave after pruning (on Redis: the same rows written hour by hour through recordUsage).\n' +
      '  keyward.usage() through the store, results shaped as points; ' +
      `${QUERIES} queries per case, "busy"\n  cycling over the busiest keys, "typical" over the others.`,
  );
  const now = Date.UTC(2032, 0, 31, 0, 0, 0);
  const results = [];
  results.push(
    await withSqlite('query', async (sqlite) => {
      const t0 = performance.now();
      for (const sql of Object.values(sqlitePopulationSql(now))) sqlite.database.exec(sql);
      sqlite.database.exec('ANALYZE');
      console.log(`  SQLite filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const keyward = createKeyward({ prefix: 'acme', store: sqlite });
      const result = await timeQueries('sqlite', keyward, now);
      await keyward.close();
      return result;
    }),
  );
  const postgres = await withPostgres('query', details, async (store, pool, table) => {
    const t0 = performance.now();
    for (const sql of Object.values(populationSql(`"${table}_usage"`, now))) await pool.query(sql);
    await pool.query(`VACUUM ANALYZE "${table}_usage"`);
    console.log(`  PostgreSQL filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: store,
      limitStore: new MemoryStore(),
    });
    const result = await timeQueries('postgres', keyward, now);
    await keyward.close();
    return result;
  });
  if (postgres !== undefined) results.push(postgres);
  const redis = await redisQueries(details);
  if (redis !== undefined) results.push(redis);
  const rows = [
    ['store', 'busy key p50', 'busy p95', 'typical key p50', 'typical p95', 'target p50 ≤ 50 ms'],
  ];
  details.query = {};
  for (const r of results) {
    const worst = Math.max(r.busy.p50, r.typical.p50);
    rows.push([
      r.name,
      `${r.busy.p50.toFixed(2)} ms`,
      `${r.busy.p95.toFixed(2)} ms`,
      `${r.typical.p50.toFixed(2)} ms`,
      `${r.typical.p95.toFixed(2)} ms`,
      worst <= 50 ? 'met' : 'NOT met',
    ]);
    figures[`usageQuery.${r.name}.busy.p50`] = figure(
      `usage() 30 days hourly, ${r.name}, busiest key, p50`,
      r.busy.p50,
      'ms',
      'lower',
    );
    figures[`usageQuery.${r.name}.typical.p50`] = figure(
      `usage() 30 days hourly, ${r.name}, typical key, p50`,
      r.typical.p50,
      'ms',
      'lower',
    );
    details.query[r.name] = r;
  }
  printTable(rows);
  if (redis !== undefined) {
    console.log(
      `\n  Redis, usage() of one key over 365 days, daily: busy key p50 ${redis.daily.busy.p50.toFixed(2)} ms,` +
        ` typical key p50 ${redis.daily.typical.p50.toFixed(2)} ms`,
    );
    figures['usageQuery.redis.daily365.typical.p50'] = figure(
      'usage() 365 days daily, redis, typical key, p50',
      redis.daily.typical.p50,
      'ms',
      'lower',
    );
    figures['usageQuery.redis.bytes'] = figure(
      'Redis memory for 30 days of 10,000 keys (hourly) and 7 days of minutes',
      redis.bytes,
      'bytes',
      'lower',
    );
  }
}

// ---------------------------------------------------------------------------------------------

const figures = {};
const details = {};
await verifyCost(figures, details);
await pendingMemory(figures, details);
await flushes(figures, details);
await queries(figures, details);
await publish({ figures, details });
