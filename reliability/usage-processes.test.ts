import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { migrate, PostgresStore } from '@keyward/postgres';
import { RedisStore } from '@keyward/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropTables } from '../packages/postgres/test/pg-fixture.js';
import { deletePrefix } from '../packages/redis/test/support.js';
import {
  DATABASE_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
} from '../test-support/services.js';
import { waitFor } from '../test-support/wait.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const workerPath = fileURLToPath(new URL('./support/usage-worker.ts', import.meta.url));
const available = { postgres: await postgresAvailable(), redis: await redisAvailable() };

interface Worker {
  readonly child: ChildProcess;
  readonly messages: Record<string, unknown>[];
  next(type: string): Promise<Record<string, unknown>>;
}

function startWorker(env: Record<string, string>): Worker {
  const child = fork(workerPath, {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TSX_TSCONFIG_PATH: `${root}tsconfig.json`, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Record<string, unknown>[] = [];
  let read = 0;
  child.on('message', (message) => messages.push(message as Record<string, unknown>));
  return {
    child,
    messages,
    async next(type) {
      const arrived = await waitFor(() => messages.length > read, 60_000);
      if (!arrived) throw new Error(`worker sent no ${type} message`);
      const message = messages[read++]!;
      expect(message.type).toBe(type);
      return message;
    },
  };
}

/** A store for the test process and the environment the workers need to reach the same data. */
interface Backend {
  keyward: Keyward;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  pool.on('error', () => {});
  const table = `keyward_usage_procs_${randomBytes(5).toString('hex')}`;
  await migrate(pool, { table });
  const keyward = createKeyward({
    prefix: 'acme',
    keyStore: new PostgresStore({ pool, table }),
    limitStore: new MemoryStore(),
    usage: { flushIntervalMs: 60_000 },
  });
  return {
    keyward,
    env: { KW_STORE: 'postgres', KW_URL: DATABASE_URL, KW_TABLE: table },
    async dispose() {
      await keyward.close();
      await dropTables(pool, table);
      await pool.end();
    },
  };
}

async function redisBackend(): Promise<Backend> {
  const client = new Redis(REDIS_URL);
  client.on('error', () => {});
  const prefix = `kwtest:usage-procs:${randomBytes(5).toString('hex')}`;
  const store = new RedisStore({ client, prefix });
  const keyward = createKeyward({
    prefix: 'acme',
    store,
    invalidation: false,
    usage: { flushIntervalMs: 60_000 },
  });
  return {
    keyward,
    env: { KW_STORE: 'redis', KW_URL: REDIS_URL, KW_PREFIX: prefix },
    async dispose() {
      await keyward.close();
      store.close();
      await deletePrefix(client, prefix);
      await client.quit();
    },
  };
}

/** Total verifications of a key (or the deployment) over the last hour and the next minute. */
async function stored(keyward: Keyward, keyId?: string): Promise<Record<string, number>> {
  const now = Date.now();
  const { points } = await keyward.usage({
    keyId,
    from: now - 3_600_000,
    to: now + 120_000,
    granularity: 'minute',
  });
  const outcomes: Record<string, number> = {};
  for (const point of points) {
    for (const [outcome, count] of Object.entries(point.outcomes)) {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + count;
    }
  }
  return outcomes;
}

describe.each([
  ['postgres', postgresBackend],
  ['redis', redisBackend],
] as const)('usage across processes on %s', (name, backendFor) => {
  let backend: Backend;
  const workers: Worker[] = [];

  beforeAll(async () => {
    if (available[name]) backend = await backendFor();
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await backend?.dispose();
  });

  it.skipIf(!available[name])(
    'four processes record exactly the total of the requests they served',
    async () => {
      const { keyward } = backend;
      const issued = await Promise.all(
        ['a', 'b', 'c'].map((label) => keyward.create({ name: label, environment: 'live' })),
      );
      const started = Date.now();
      const four = Array.from({ length: 4 }, () => startWorker(backend.env));
      workers.push(...four);
      await Promise.all(four.map((worker) => worker.next('ready')));
      for (const worker of four) {
        worker.child.send({ type: 'serve', keys: issued.map((i) => i.key), requests: 300 });
      }
      const reports = await Promise.all(four.map((worker) => worker.next('served')));
      const served: Record<string, number> = {};
      for (const report of reports) {
        for (const [cell, count] of Object.entries(report.counts as Record<string, number>)) {
          served[cell] = (served[cell] ?? 0) + count;
        }
      }
      const expected = (subject: string) =>
        Object.fromEntries(
          Object.entries(served)
            .filter(([cell]) => cell.split('|')[0] === subject)
            .map(([cell, count]) => [cell.split('|')[1], count]),
        );
      let total = 0;
      for (const { record } of issued) {
        const forKey = expected(record.id);
        expect(Object.keys(forKey)).toEqual(['verified']);
        expect(await stored(keyward, record.id)).toEqual(forKey);
        const info = await keyward.get(record.id);
        expect(info?.lastUsedAt?.getTime()).toBeGreaterThanOrEqual(started);
        expect(info?.lastUsedAt?.getTime()).toBeLessThanOrEqual(Date.now());
      }
      for (const count of Object.values(served)) total += count;
      expect(total).toBe(4 * 300);
      const everything = await stored(keyward);
      expect(Object.values(everything).reduce((a, b) => a + b, 0)).toBe(total);
      expect(everything.missing_key).toBe(expected('').missing_key);
      expect(everything.invalid_key).toBe(expected('').invalid_key);
      expect(expected('').invalid_key).toBeGreaterThan(0);
    },
    120_000,
  );

  it.skipIf(!available[name])(
    'a process killed with SIGKILL loses at most what it had not flushed, and nothing counts twice',
    async () => {
      const { keyward } = backend;
      const { key, record } = await keyward.create({ name: 'killed', environment: 'live' });
      const batch = 25;
      const worker = startWorker({ ...backend.env, KW_FLUSH_MS: '30' });
      workers.push(worker);
      await worker.next('ready');
      worker.child.send({ type: 'loop', key, batch });
      expect(await waitFor(() => worker.messages.length >= 12, 60_000)).toBe(true);
      // 'close' comes after every message the worker wrote before it died was read.
      const closed = new Promise((resolve) => worker.child.once('close', resolve));
      worker.child.kill('SIGKILL');
      await closed;
      const last = (type: string, field: string) =>
        worker.messages
          .filter((m) => m.type === type)
          .reduce((max, m) => Math.max(max, m[field] as number), 0);
      const flushed = last('flushed', 'total');
      const servedAtMost = last('serving', 'upTo');
      const counted = (await stored(keyward, record.id)).verified ?? 0;
      // Everything the process flushed is there; at most the batch it was serving when it died is
      // missing; and nothing is there twice.
      expect(servedAtMost - flushed).toBeLessThanOrEqual(batch);
      expect(counted).toBeGreaterThanOrEqual(flushed);
      expect(counted).toBeLessThanOrEqual(servedAtMost);
    },
    120_000,
  );
});
