// List section: the first page (limit 50) of listKeys over 100,000 keys on SQLite and PostgreSQL,
// with each filter the console uses (status, search, owner, environment) and some combinations,
// then the same pages without schema step 5's indexes. Run: node bench/run.mjs list
//
// Target: every first page under 100 ms (DESIGN, the console's key list). Figures are medians of
// interleaved rounds (bench/lib.mjs compare), each case also as a ratio to the unfiltered first
// page measured in the same run.
//
// Redis is measured too (no target: a filtered Redis listing walks the id index; docs/redis.md).
//
// Needs PostgreSQL (DATABASE_URL, default postgres://root@127.0.0.1:5432/test) and Redis
// (REDIS_URL, default redis://127.0.0.1:6379); a part whose service is down is skipped with the
// reason. Everything written is removed afterwards: a unique PostgreSQL table, Redis keys under a
// unique prefix, a temporary SQLite file. KEYWARD_BENCH_LIST_KEYS changes the number of keys
// (default 100,000); KEYWARD_BENCH_LIST_ONLY=sqlite|postgres|redis runs one part.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  boundedInt,
  compare,
  dropPostgresTables,
  figure,
  formatNs,
  formatRatio,
  heading,
  loadPackage,
  printTable,
  publish,
  ratio,
  subheading,
} from './lib.mjs';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TAG = `${process.pid}_${randomBytes(4).toString('hex')}`;
const KEYS = boundedInt(process.env.KEYWARD_BENCH_LIST_KEYS, 100_000, 1000, 1_000_000);
const LIMIT = 50;
const NOW = Date.now();
const DAY = 86_400_000;
const WORDS = ['billing', 'reports', 'ci', 'mobile', 'partner', 'export', 'webhook', 'sync'];
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random 12-char base62 ids, as keyward issues them (insertion order is not id order). */
function randomIds(count) {
  const bytes = randomBytes(count * 12);
  const ids = new Set();
  for (let i = 0; ids.size < count; i++) {
    let id = '';
    for (let j = 0; j < 12; j++) id += ALPHABET[bytes[(i * 12 + j) % bytes.length] % 62];
    ids.add(id);
  }
  return [...ids];
}

/**
 * Key i of the data set: 10 % revoked, 0.05 % disabled, 0.05 % expired (so those two filters
 * must find 50 needles in 100,000), a quarter with a future expiry, 1000 owners, 1/3 test keys.
 */
function keyRecord(id, i) {
  const record = {
    id,
    environment: i % 3 === 0 ? 'test' : 'live',
    name: `service ${i} ${WORDS[i % WORDS.length]}`,
    ownerId: `acct_${i % 1000}`,
    hash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
    scopes: ['invoices:read'],
    disabled: i % 2000 === 1,
    createdAt: NOW - DAY,
    updatedAt: NOW - DAY,
    version: 1,
  };
  if (i % 10 === 0) record.revokedAt = NOW - DAY;
  if (i % 2000 === 2) record.expiresAt = NOW - DAY;
  else if (i % 4 === 3) record.expiresAt = NOW + 30 * DAY;
  return record;
}

/** The cases: a name and the filters of a first page. */
function cases(ids) {
  return [
    ['no filter (baseline)', {}],
    ['status active', { status: 'active' }],
    ['status disabled (0.05 %)', { status: 'disabled' }],
    ['status revoked (10 %)', { status: 'revoked' }],
    ['status expired (0.05 %)', { status: 'expired' }],
    ['search common word (1/8)', { search: 'Billing' }],
    ['search one name', { search: 'service 77777 ' }],
    ['search matching nothing', { search: 'no such key' }],
    ['search an id', { search: ids[4242] }],
    ['owner (100 keys)', { ownerId: 'acct_7' }],
    ['owner + status expired', { ownerId: 'acct_2', status: 'expired' }],
    ['environment test + search nothing', { environment: 'test', search: 'no such key' }],
    ['environment test + status disabled', { environment: 'test', status: 'disabled' }],
    ['search word + status expired', { search: 'billing', status: 'expired' }],
  ].map(([name, filters]) => ({ name, query: { limit: LIMIT, now: NOW, ...filters } }));
}

/**
 * The console's 24 h sparklines for one page: usage of each of the first page's 50 keys, hourly
 * over the last 24 hours, as 50 `keyward.usage` calls at once. Each key has a verified request
 * every minute of the day (72,000 minute rows).
 */
async function sparklines(label, store, options, figures, details, key) {
  const { createKeyward, MemoryStore } = await loadPackage('core');
  const keyward = createKeyward({
    prefix: 'acme',
    keyStore: store,
    limitStore: new MemoryStore(),
    ...options,
  });
  try {
    const { items } = await store.listKeys({ limit: LIMIT });
    const hour = Math.floor(NOW / 3_600_000) * 3_600_000;
    const from = hour - 23 * 3_600_000;
    for (const item of items) {
      const rows = [];
      for (let minute = from; minute < hour + 3_600_000; minute += 60_000) {
        rows.push({
          keyId: item.id,
          ownerId: item.ownerId,
          minute,
          outcome: 'verified',
          route: '',
          count: 1,
          cost: 1,
        });
      }
      await store.recordUsage(rows, new Map([[item.id, hour]]));
    }
    const page = () =>
      Promise.all(
        items.map((item) =>
          keyward.usage({ keyId: item.id, from, to: hour + 3_600_000, granularity: 'hour' }),
        ),
      );
    const points = (await page())[0].points;
    const [result] = await compare(
      [
        {
          name: 'sparklines',
          run: async (n) => {
            for (let i = 0; i < n; i++) await page();
          },
        },
      ],
      { rounds: 5, minRounds: 3, batchMs: 200, warmupMs: 100, maxMs: 20_000, maxIterations: 200 },
    );
    console.log(
      `  ${label}: 24 h sparklines of a page of ${items.length} keys (${points.length} hourly points each, 50 usage() calls at once): ${formatNs(result.wall.nsPerOp)}`,
    );
    figures[`list.${key}.sparklines.ms`] = figure(
      `${label}: 24 h hourly usage of 50 keys (50 usage() calls)`,
      result.wall.nsPerOp / 1e6,
      'ms',
      'lower',
    );
    details[`${key}Sparklines`] = { keys: items.length, points: points.length, ...result.wall };
  } finally {
    await keyward.close();
  }
}

/** Measures every case's first page on `store`; returns rows and figures. */
async function measure(label, store, list, figures, details, key) {
  const results = await compare(
    list.map(({ name, query }) => ({
      name,
      run: async (n) => {
        for (let i = 0; i < n; i++) await store.listKeys(query);
      },
    })),
    { rounds: 7, minRounds: 3, batchMs: 60, warmupMs: 100, maxMs: 40_000, maxIterations: 2000 },
  );
  const rows = [['first page (limit 50)', 'items', 'median', 'min', 'max', '× no filter']];
  details[key] = {};
  for (let k = 0; k < results.length; k++) {
    const result = results[k];
    const items = (await store.listKeys(list[k].query)).items.length;
    const vsBase = ratio(result, results[0]).wall.median;
    rows.push([
      result.name,
      String(items),
      formatNs(result.wall.nsPerOp),
      formatNs(result.wall.minNs),
      formatNs(result.wall.maxNs),
      formatRatio(vsBase),
    ]);
    const id = result.name
      .replace(/\(.*?\)/g, '')
      .trim()
      .replace(/[^a-z0-9]+(\w)/gi, (_, c) => c.toUpperCase());
    figures[`list.${key}.${id}.ms`] = figure(
      `${label}: first page, ${result.name}`,
      result.wall.nsPerOp / 1e6,
      'ms',
      'lower',
    );
    details[key][result.name] = { items, ...result.wall, vsNoFilter: vsBase };
  }
  subheading(`${label}: ${KEYS.toLocaleString('en-US')} keys`);
  printTable(rows);
}

async function sqlitePart(figures, details) {
  const { SqliteStore } = await loadPackage('sqlite');
  const file = path.join(os.tmpdir(), `keyward-bench-list-${TAG}.db`);
  const store = new SqliteStore({ path: file });
  try {
    const ids = randomIds(KEYS);
    const started = Date.now();
    store.database.transaction(() => {
      for (let i = 0; i < ids.length; i++) store.insertKey(keyRecord(ids[i], i));
    })();
    console.log(`  SQLite: ${KEYS} keys inserted in ${Date.now() - started} ms (one transaction)`);
    const list = cases(ids);
    await measure('SQLite', store, list, figures, details, 'sqlite');
    await sparklines('SQLite', store, {}, figures, details, 'sqlite');
    store.database.exec(
      'DROP INDEX keyward_keys_revoked; DROP INDEX keyward_keys_disabled; ' +
        'DROP INDEX keyward_keys_usable; DROP INDEX keyward_keys_list;',
    );
    await measure(
      'SQLite without step 5 indexes',
      store,
      list.filter(({ name }) => /status|search|baseline/.test(name)),
      figures,
      details,
      'sqliteNoIndexes',
    );
  } finally {
    store.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
  }
}

async function postgresPart(figures, details) {
  const pool = new pg.Pool({
    connectionString: DATABASE_URL,
    max: 4,
    connectionTimeoutMillis: 3000,
  });
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    console.log(`  PostgreSQL skipped: not reachable (${error?.code ?? error?.message})`);
    details.postgresSkipped = String(error?.code ?? error?.message);
    await pool.end();
    return;
  }
  const { PostgresStore, migrate } = await loadPackage('postgres');
  const table = `keyward_bench_list_${TAG}`;
  try {
    await migrate(pool, { table });
    const store = new PostgresStore({ pool, table });
    const ids = randomIds(KEYS);
    const started = Date.now();
    // The rows PostgresStore.insertKey would write, 2000 per statement (100,000 single inserts
    // take minutes on a busy machine and measure nothing of interest here).
    for (let from = 0; from < KEYS; from += 2000) {
      const records = ids.slice(from, from + 2000).map((id, j) => keyRecord(id, from + j));
      const column = (pick) => records.map(pick);
      await pool.query(
        `INSERT INTO "${table}" (id, environment, name, owner_id, hash, scopes, expires_at, disabled, revoked_at, created_at, updated_at, version)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
           $7::bigint[], $8::boolean[], $9::bigint[], $10::bigint[], $11::bigint[], $12::integer[])`,
        [
          column((r) => r.id),
          column((r) => r.environment),
          column((r) => r.name),
          column((r) => r.ownerId),
          column((r) => r.hash),
          column((r) => JSON.stringify(r.scopes)),
          column((r) => r.expiresAt ?? null),
          column((r) => r.disabled),
          column((r) => r.revokedAt ?? null),
          column((r) => r.createdAt),
          column((r) => r.updatedAt),
          column((r) => r.version),
        ],
      );
    }
    await pool.query(`VACUUM ANALYZE "${table}"`);
    console.log(
      `  PostgreSQL: ${KEYS} keys inserted in ${Date.now() - started} ms, then VACUUM ANALYZE`,
    );
    const list = cases(ids);
    await measure('PostgreSQL', store, list, figures, details, 'postgres');
    await sparklines('PostgreSQL', store, {}, figures, details, 'postgres');
    for (const index of ['revoked', 'disabled', 'usable']) {
      await pool.query(`DROP INDEX IF EXISTS "${table}_${index}_idx"`);
    }
    await pool.query(`ANALYZE "${table}"`);
    await measure(
      'PostgreSQL without step 5 indexes',
      store,
      list.filter(({ name }) => /status|search|baseline/.test(name)),
      figures,
      details,
      'postgresNoIndexes',
    );
  } finally {
    await dropPostgresTables(pool, table);
    await pool.end();
  }
}

async function redisPart(figures, details) {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    console.log(`  Redis skipped: not reachable (${error?.code ?? error?.message})`);
    details.redisSkipped = String(error?.code ?? error?.message);
    return;
  }
  const { RedisStore } = await loadPackage('redis');
  const prefix = `kwbl${TAG.replace(/[^a-z0-9]/gi, '')}`;
  const store = new RedisStore({ client, prefix });
  try {
    const ids = randomIds(KEYS);
    const started = Date.now();
    for (let from = 0; from < KEYS; from += 1000) {
      const chunk = ids.slice(from, from + 1000);
      await Promise.all(chunk.map((id, j) => store.insertKey(keyRecord(id, from + j))));
    }
    console.log(`  Redis: ${KEYS} keys inserted in ${Date.now() - started} ms`);
    await measure('Redis', store, cases(ids), figures, details, 'redis');
  } finally {
    let cursor = '0';
    for (let pass = 0; pass < 100_000; pass++) {
      const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    client.disconnect();
  }
}

heading('listKeys: the first page of 100,000 keys with each filter');
console.log(
  `  ${KEYS.toLocaleString('en-US')} keys: 10 % revoked, 0.05 % disabled, 0.05 % expired, a quarter ` +
    'with a future expiry, 1000 owners, names "service <n> <word>" (8 words).\n' +
    '  Each case: store.listKeys({ limit: 50, …filters }) — the page the console asks for first.',
);
const figures = {};
const details = {};
const only = process.env.KEYWARD_BENCH_LIST_ONLY;
if (only === undefined || only === 'sqlite') await sqlitePart(figures, details);
if (only === undefined || only === 'postgres') await postgresPart(figures, details);
if (only === undefined || only === 'redis') await redisPart(figures, details);
await publish({ figures, details });
