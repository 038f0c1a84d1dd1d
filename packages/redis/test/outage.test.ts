import { createServer, type Server, type Socket } from 'node:net';
import { createKeyward, MemoryStore, type VerifyResult } from '@keyward/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import {
  freePort,
  redisServerOnPath,
  sleep,
  ThrowawayRedis,
  testClient,
  waitFor,
} from './support.js';

const STORE_TIMEOUT_MS = 500;
// Generous: the bound under test is "within the store timeout", not a tight latency figure.
const WITHIN_MS = STORE_TIMEOUT_MS + 1500;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** A well-formed key (checksum and all) issued by a throwaway in-memory instance. */
async function wellFormedKey(options: { rateLimit?: boolean } = {}) {
  const memory = new MemoryStore();
  const issuer = createKeyward({ prefix: 'acme', store: memory });
  const { key } = await issuer.create({
    name: 'outage',
    environment: 'live',
    ...(options.rateLimit ? { rateLimit: { capacity: 100, refillPerSecond: 10 } } : {}),
  });
  return { key, memory };
}

const request = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

async function timed(result: VerifyResult | Promise<VerifyResult>) {
  const started = Date.now();
  const value = await result;
  return { result: value, ms: Date.now() - started };
}

/** A TCP server that accepts connections and never answers. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, sockets };
}

describe('RedisStore when Redis is unreachable', () => {
  it('rejects at once with store_unavailable instead of queueing while reconnecting', async () => {
    const client = testClient(`redis://127.0.0.1:${await freePort()}`);
    const store = new RedisStore({ client });
    expect(await waitFor(() => client.status === 'reconnecting', 5000)).toBe(true);
    const limit = { capacity: 1, refillPerSecond: 1 };
    await expect(store.takeToken('b', limit, 1, 0)).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    await expect(store.getKey('4GhT9xQ2mPz1')).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    await expect(store.publishInvalidation('4GhT9xQ2mPz1')).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    client.disconnect();
  });

  it('answers store_unavailable within the timeout when nothing listens on the port', async () => {
    const client = testClient(`redis://127.0.0.1:${await freePort()}`);
    const store = new RedisStore({ client });
    const keyward = createKeyward({ prefix: 'acme', store, storeTimeoutMs: STORE_TIMEOUT_MS });
    const { key } = await wellFormedKey();
    await sleep(200);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => timed(keyward.verify(request(key)))),
    );
    for (const { result, ms } of outcomes) {
      expect(result).toMatchObject({ ok: false, code: 'store_unavailable', status: 503 });
      expect(ms).toBeLessThan(WITHIN_MS);
    }
    await expect(keyward.create({ name: 'x' })).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    keyward.close();
    store.close();
    client.disconnect();
    expect(unhandled).toStrictEqual([]);
  });

  it('fails closed, or passes with limitStoreFailure "open", when only limits are in Redis', async () => {
    const client = testClient(`redis://127.0.0.1:${await freePort()}`);
    const limits = new RedisStore({ client });
    const { key, memory } = await wellFormedKey({ rateLimit: true });
    const closed = createKeyward({
      prefix: 'acme',
      keyStore: memory,
      limitStore: limits,
      storeTimeoutMs: STORE_TIMEOUT_MS,
    });
    const open = createKeyward({
      prefix: 'acme',
      keyStore: memory,
      limitStore: limits,
      limitStoreFailure: 'open',
      storeTimeoutMs: STORE_TIMEOUT_MS,
    });
    await sleep(200);
    const refused = await timed(closed.verify(request(key)));
    expect(refused.result).toMatchObject({ ok: false, code: 'store_unavailable', status: 503 });
    expect(refused.ms).toBeLessThan(WITHIN_MS);
    const passed = await timed(open.verify(request(key)));
    expect(passed.result.ok).toBe(true);
    expect(passed.ms).toBeLessThan(WITHIN_MS);
    closed.close();
    open.close();
    client.disconnect();
    expect(unhandled).toStrictEqual([]);
  });

  for (const enableReadyCheck of [true, false]) {
    it(`answers store_unavailable within the timeout from a server that never answers (ready check ${enableReadyCheck ? 'on' : 'off'})`, async () => {
      const { server, port, sockets } = await silentServer();
      const client = testClient(`redis://127.0.0.1:${port}`, { enableReadyCheck });
      const store = new RedisStore({ client });
      const keyward = createKeyward({ prefix: 'acme', store, storeTimeoutMs: STORE_TIMEOUT_MS });
      const { key } = await wellFormedKey();
      await sleep(200);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () => timed(keyward.verify(request(key)))),
      );
      for (const { result, ms } of outcomes) {
        expect(result).toMatchObject({ ok: false, code: 'store_unavailable', status: 503 });
        expect(ms).toBeLessThan(WITHIN_MS);
      }
      keyward.close();
      store.close();
      client.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await sleep(50);
      expect(unhandled).toStrictEqual([]);
    });
  }
});

const canSpawnRedis = redisServerOnPath();

describe.skipIf(!canSpawnRedis)('RedisStore across a Redis restart', () => {
  let redis: ThrowawayRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = new ThrowawayRedis(await freePort());
    await redis.start();
    client = testClient(redis.url);
  });

  afterAll(async () => {
    client.disconnect();
    await redis.dispose();
  });

  it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const store = new RedisStore({ client });
    const limit = { capacity: 5, refillPerSecond: 1 };
    expect((await store.takeToken('flushed', limit, 1, 0)).remaining).toBe(4);
    await client.script('FLUSH');
    expect((await store.takeToken('flushed', limit, 1, 0)).remaining).toBe(3);
  });

  it('tells listeners to drop everything when a subscription first goes live after an outage', async () => {
    // Redis is down when the listener is added: invalidations published meanwhile are lost.
    const late = new ThrowawayRedis(await freePort());
    const lateClient = testClient(late.url);
    const store = new RedisStore({ client: lateClient });
    const invalidated: (string | undefined)[] = [];
    const unsubscribe = store.subscribeInvalidations((id) => invalidated.push(id));
    try {
      await sleep(300);
      await late.start();
      expect(await waitFor(() => invalidated.includes(undefined), 5000)).toBe(true);
      // And the subscription is live: a later invalidation arrives as itself.
      const ok = await waitFor(
        () => invalidated.includes('abc123DEF456'),
        5000,
        () => store.publishInvalidation('abc123DEF456'),
      );
      expect(ok).toBe(true);
    } finally {
      unsubscribe();
      store.close();
      lateClient.disconnect();
      await late.dispose();
    }
  }, 20_000);

  it('recovers without recreating keyward or the store', async () => {
    const store = new RedisStore({ client });
    const keyward = createKeyward({
      prefix: 'acme',
      store,
      storeTimeoutMs: STORE_TIMEOUT_MS,
      cache: { max: 0 },
    });
    const { key, record } = await keyward.create({
      name: 'survivor',
      environment: 'live',
      rateLimit: { capacity: 100, refillPerSecond: 10 },
    });
    const invalidated: (string | undefined)[] = [];
    const unsubscribe = store.subscribeInvalidations((id) => invalidated.push(id));
    expect((await keyward.verify(request(key))).ok).toBe(true);
    await client.save();

    await redis.stop();
    expect(await waitFor(() => client.status !== 'ready', 5000)).toBe(true);
    const down = await timed(keyward.verify(request(key)));
    expect(down.result).toMatchObject({ ok: false, code: 'store_unavailable', status: 503 });
    expect(down.ms).toBeLessThan(WITHIN_MS);

    await redis.start();
    expect(await waitFor(() => client.status === 'ready', 8000)).toBe(true);
    expect(await keyward.verify(request(key))).toMatchObject({ ok: true });
    // Messages published while the subscriber was away are lost, so it said "drop everything".
    expect(await waitFor(() => invalidated.includes(undefined), 10_000)).toBe(true);
    // The subscriber connection came back too: a revocation elsewhere still reaches this process.
    const ok = await waitFor(
      () => invalidated.includes(record.id),
      5000,
      () => store.publishInvalidation(record.id),
    );
    expect(ok).toBe(true);
    unsubscribe();
    keyward.close();
    store.close();
    expect(unhandled).toStrictEqual([]);
  }, 30_000);
});
