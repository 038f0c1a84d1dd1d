import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createKeyward, type Keyward } from '@keyward/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import {
  deletePrefix,
  REDIS_URL,
  redisAvailable,
  sleep,
  testClient,
  uniquePrefix,
} from './support.js';

const available = await redisAvailable();
const root = fileURLToPath(new URL('../../../', import.meta.url));
const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

interface Worker {
  child: ChildProcess;
  next(type: string): Promise<Record<string, unknown>>;
}

function startWorker(prefix: string): Worker {
  const child = fork(workerPath, {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: `${root}tsconfig.json`,
      KW_REDIS_URL: REDIS_URL,
      KW_STORE_PREFIX: prefix,
      KW_CHANNEL: `${prefix}:invalidate`,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: Record<string, unknown>[] = [];
  const waiting: Array<(message: Record<string, unknown>) => void> = [];
  child.on('message', (message) => {
    const resolve = waiting.shift();
    if (resolve) resolve(message as Record<string, unknown>);
    else inbox.push(message as Record<string, unknown>);
  });
  return {
    child,
    async next(type) {
      const message =
        inbox.shift() ?? (await new Promise<Record<string, unknown>>((r) => waiting.push(r)));
      expect(message.type).toBe(type);
      return message;
    },
  };
}

describe.skipIf(!available)('RedisStore across processes', () => {
  const prefix = uniquePrefix('procs');
  let client: Redis;
  let store: RedisStore;
  let keyward: Keyward;
  let workers: Worker[] = [];

  beforeAll(async () => {
    client = testClient(REDIS_URL);
    store = new RedisStore({ client, prefix, channel: `${prefix}:invalidate` });
    keyward = createKeyward({ prefix: 'acme', store });
    workers = [startWorker(prefix), startWorker(prefix)];
    await Promise.all(workers.map((worker) => worker.next('ready')));
  }, 30_000);

  afterAll(async () => {
    for (const worker of workers) {
      if (worker.child.connected) worker.child.send({ type: 'exit' });
    }
    await sleep(100);
    for (const worker of workers) worker.child.kill();
    await keyward.close();
    store.close();
    await deletePrefix(client, prefix);
    await client.quit();
  });

  it('shares one token bucket between two processes without over-granting', async () => {
    const capacity = 50;
    const refillPerSecond = 10;
    const { key } = await keyward.create({
      name: 'hammered',
      environment: 'live',
      rateLimit: { capacity, refillPerSecond },
    });
    const startAt = Date.now() + 300;
    for (const worker of workers) {
      worker.child.send({ type: 'hammer', key, startAt, durationMs: 3000, concurrency: 8 });
    }
    const reports = await Promise.all(workers.map((worker) => worker.next('hammered')));
    const counts = reports.map((report) => report.counts as Record<string, number>);
    const granted = counts.reduce((sum, c) => sum + (c.ok ?? 0), 0);
    const refused = counts.reduce((sum, c) => sum + (c.rate_limited ?? 0), 0);
    const others = counts.flatMap((c) =>
      Object.keys(c).filter((k) => k !== 'ok' && k !== 'rate_limited'),
    );
    const firstAt = Math.min(...reports.map((report) => report.firstAt as number));
    const lastAt = Math.max(...reports.map((report) => report.lastAt as number));
    const bound = capacity + (refillPerSecond * (lastAt - firstAt)) / 1000 + 1;
    expect(others).toStrictEqual([]);
    expect(counts.every((c) => (c.ok ?? 0) > 0)).toBe(true);
    expect(refused).toBeGreaterThan(0);
    expect(granted).toBeLessThanOrEqual(bound);
    expect(granted).toBeGreaterThanOrEqual(0.8 * bound);
  }, 30_000);

  it('drops a revoked key from another process cache within 100 ms over pub/sub', async () => {
    const { key, record } = await keyward.create({ name: 'revoked', environment: 'live' });
    const [worker] = workers as [Worker];
    worker.child.send({ type: 'verify', key });
    expect(await worker.next('verified')).toMatchObject({
      withInvalidation: 'ok',
      withoutInvalidation: 'ok',
    });
    await keyward.revoke(record.id, { reason: 'test' });
    await sleep(100);
    worker.child.send({ type: 'verify', key });
    expect(await worker.next('verified')).toMatchObject({
      withInvalidation: 'revoked_key',
      // The same process without invalidation still serves its cached copy: the cache TTL bounds it.
      withoutInvalidation: 'ok',
    });
  }, 30_000);
});
