// Faults injected under a steady request loop, through a real Express server with
// @keyward/express on 127.0.0.1: Redis killed and restarted, PostgreSQL connections terminated,
// a key store that answers after 5 s. Every loop is bounded (startRequestLoop's maxMs), every
// server and child process is stopped in `finally`.

import { Agent } from 'node:http';
import type { Keyward } from '@keyward/core';
import {
  createKeyward,
  type KeyListQuery,
  type KeyRecord,
  type KeyStore,
  MemoryStore,
} from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import { migrate, PostgresStore } from '@keyward/postgres';
import { RedisStore } from '@keyward/redis';
import express from 'express';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { dropTables } from '../packages/postgres/test/pg-fixture.js';
import { listenOnLoopback } from '../test-support/adapter-cases.js';
import { DATABASE_URL, serviceAvailable } from '../test-support/services.js';
import { redisServerOnPath, ThrowawayRedis } from '../test-support/throwaway-redis.js';
import { freePort, sleep, waitFor } from '../test-support/wait.js';
import { type Outcome, probe } from './support/probe.js';
import { watchProcessFailures } from './support/process-failures.js';
import { startRequestLoop } from './support/request-loop.js';

/**
 * `storeTimeoutMs` where the store is up and must answer in time (Redis and PostgreSQL): longer
 * than any event-loop stall of a loaded machine (100 ms–2 s seen). Server and stores share this
 * process, and after a stall past the timeout Node runs the expired timer before it reads the
 * store's answer: a 503 from a store that was up. The outage answers do not wait for it: while
 * Redis is down, `RedisStore` fails at once.
 */
const STORE_TIMEOUT_MS = 3000;
/**
 * Every answer of the Redis test within this: the store timeout (a command in flight when Redis
 * died waits for it) plus a stall. A request left hanging would run into the probe's 10 s.
 */
const PROMPT_MS = 6000;
/** `storeTimeoutMs` of the slow-store test, the figure under test there: a stall only delays it. */
const SLOW_STORE_TIMEOUT_MS = 300;
/** When the slow store answers: a 503 before this came from the timeout, not the store. */
const SLOW_STORE_DELAY_MS = 5000;

const canSpawnRedis = redisServerOnPath();
const postgresUp = await serviceAvailable('postgres');

/** An Express app with one guarded route per keyward instance: `GET /<name>` → 200 `{ keyId }`. */
function guardedApp(instances: Record<string, Keyward>) {
  const app = express();
  for (const [name, keyward] of Object.entries(instances)) {
    app.get(`/${name}`, apiKeyAuth(keyward), (req, res) => {
      res.json({ keyId: req.apiKey?.id });
    });
  }
  return app;
}

const statusesOf = (outcomes: readonly Outcome[]) =>
  [...new Set(outcomes.map((o) => o.status))].sort();
const codesOf = (outcomes: readonly Outcome[]) =>
  [...new Set(outcomes.filter((o) => o.status !== 200).map((o) => o.code))].sort();

describe.skipIf(!canSpawnRedis)('Redis (limit store) killed and restarted mid-load', () => {
  it('answers a prompt 503 store_unavailable, or passes with limitStoreFailure "open", and recovers without a restart', async () => {
    const failures = watchProcessFailures();
    const redis = new ThrowawayRedis(await freePort());
    const client = new Redis(redis.url, { retryStrategy: () => 100, lazyConnect: true });
    client.on('error', () => {});
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const instances: Keyward[] = [];
    let server: Awaited<ReturnType<typeof listenOnLoopback>> | undefined;
    let loop: ReturnType<typeof startRequestLoop> | undefined;
    try {
      await redis.start();
      await client.connect();
      const limits = new RedisStore({ client });
      const keys = new MemoryStore();
      const common = {
        prefix: 'acme',
        keyStore: keys,
        limitStore: limits,
        storeTimeoutMs: STORE_TIMEOUT_MS,
      };
      const closed = createKeyward(common);
      const open = createKeyward({ ...common, limitStoreFailure: 'open' });
      instances.push(closed, open);
      const { key } = await closed.create({
        name: 'restart',
        environment: 'live',
        rateLimit: { capacity: 100_000, refillPerSecond: 10_000 },
      });
      server = await listenOnLoopback(guardedApp({ closed, open }));
      const url = server.url;

      loop = startRequestLoop({
        lanes: 4,
        maxMs: 20_000,
        send: (lane) => {
          const label = lane % 2 === 0 ? 'closed' : 'open';
          return probe(`${url}/${label}`, key, { label, agent });
        },
      });
      const running = loop;
      const closedOks = (since: number) =>
        running.since(since).filter((o) => o.label === 'closed' && o.status === 200).length;
      expect(await waitFor(() => closedOks(0) >= 10, 5000)).toBe(true);

      const killedAt = Date.now();
      await redis.stop();
      expect(await waitFor(() => client.status !== 'ready', 5000)).toBe(true);
      const noticedAt = Date.now();
      await sleep(1500);
      const restartAt = Date.now();
      await redis.start();
      expect(await waitFor(() => closedOks(restartAt) > 0, 10_000)).toBe(true);
      const recoveredAt = Math.min(
        ...running
          .since(restartAt)
          .filter((o) => o.label === 'closed' && o.status === 200)
          .map((o) => o.startedAt),
      );
      await waitFor(() => closedOks(recoveredAt) >= 20, 5000);
      await loop.stop();

      const all = running.outcomes;
      const before = all.filter((o) => o.startedAt + o.ms < killedAt);
      const down = all.filter((o) => o.startedAt >= noticedAt && o.startedAt + o.ms <= restartAt);
      const after = running.since(recoveredAt);
      const label = (outcomes: Outcome[], name: string) => outcomes.filter((o) => o.label === name);

      // Before the kill: everything passes.
      expect(statusesOf(before)).toStrictEqual([200]);
      // Throughout: only 200 or 503 store_unavailable, no socket error, every answer prompt.
      expect(all.filter((o) => o.status !== 200 && o.status !== 503)).toStrictEqual([]);
      expect(codesOf(all)).toStrictEqual(
        all.some((o) => o.status === 503) ? ['store_unavailable'] : [],
      );
      expect(all.filter((o) => o.ms >= PROMPT_MS)).toStrictEqual([]);
      // While Redis is down: fail closed answers 503 every time; fail open passes every time.
      expect(label(down, 'closed').length).toBeGreaterThan(0);
      expect(statusesOf(label(down, 'closed'))).toStrictEqual([503]);
      expect(label(down, 'open').length).toBeGreaterThan(0);
      expect(statusesOf(label(down, 'open'))).toStrictEqual([200]);
      // Fail open never refused anything, at any time.
      expect(statusesOf(label(all, 'open'))).toStrictEqual([200]);
      // After the restart: the same keyward, store and client serve again.
      expect(label(after, 'closed').length).toBeGreaterThanOrEqual(20);
      expect(statusesOf(after)).toStrictEqual([200]);
      expect(failures.seen).toStrictEqual([]);
      const refused = label(all, 'closed').filter((o) => o.status === 503);
      console.info(
        `redis restart: ${all.length} requests, ${refused.length} answered 503 (slowest ` +
          `${Math.max(...refused.map((o) => o.ms))} ms), first success ${recoveredAt - restartAt} ms after the restart`,
      );
    } finally {
      await loop?.stop();
      await server?.close();
      agent.destroy();
      for (const keyward of instances) await keyward.close();
      client.disconnect();
      await redis.dispose();
      failures.stop();
    }
  }, 30_000);
});

describe.skipIf(!postgresUp)('PostgreSQL (key store) connections terminated mid-load', () => {
  it('answers 200 or 503 store_unavailable, never crashes, and the pool recovers', async () => {
    const failures = watchProcessFailures();
    const suffix = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(6)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    const table = `keyward_faults_${suffix}`;
    const applicationName = `keyward_faults_${suffix}`;
    const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    admin.on('error', () => {});
    const pool = new pg.Pool({
      connectionString: DATABASE_URL,
      max: 4,
      application_name: applicationName,
      connectionTimeoutMillis: 2000,
    });
    // pg emits an idle client's error on the pool; Node exits on an unheard 'error' (see docs).
    const poolErrors: unknown[] = [];
    pool.on('error', (error) => poolErrors.push(error));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    let keyward: Keyward | undefined;
    let server: Awaited<ReturnType<typeof listenOnLoopback>> | undefined;
    let loop: ReturnType<typeof startRequestLoop> | undefined;
    try {
      await migrate(admin, { table });
      keyward = createKeyward({
        prefix: 'acme',
        keyStore: new PostgresStore({ pool, table }),
        limitStore: new MemoryStore(),
        cache: { max: 0 },
        storeTimeoutMs: STORE_TIMEOUT_MS,
      });
      const { key } = await keyward.create({ name: 'terminated', environment: 'live' });
      server = await listenOnLoopback(guardedApp({ items: keyward }));
      const url = `${server.url}/items`;

      loop = startRequestLoop({
        lanes: 4,
        maxMs: 20_000,
        send: () => probe(url, key, { label: 'items', agent }),
      });
      const running = loop;
      expect(
        await waitFor(() => running.outcomes.filter((o) => o.status === 200).length >= 10, 5000),
      ).toBe(true);

      let terminated = 0;
      for (let kill = 0; kill < 5; kill++) {
        const { rows } = await admin.query<{ terminated: boolean }>(
          'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
        terminated += rows.filter((row) => row.terminated).length;
        await sleep(400);
      }
      const lastKillAt = Date.now();
      await sleep(1500);
      await loop.stop();

      // Recovery, checked apart from the loop: 20 sequential requests all pass.
      const recovery: Outcome[] = [];
      for (let i = 0; i < 20; i++)
        recovery.push(await probe(url, key, { label: 'recovery', agent }));

      const all = running.outcomes;
      expect(terminated).toBeGreaterThan(0);
      expect(all.filter((o) => o.status !== 200 && o.status !== 503)).toStrictEqual([]);
      expect(codesOf(all)).toStrictEqual(
        all.some((o) => o.status === 503) ? ['store_unavailable'] : [],
      );
      // A second after the last kill the pool has replaced its connections: all pass again.
      const settled = running.since(lastKillAt + 1000);
      expect(settled.length).toBeGreaterThan(0);
      expect(statusesOf(settled)).toStrictEqual([200]);
      expect(statusesOf(recovery)).toStrictEqual([200]);
      expect(failures.seen).toStrictEqual([]);
      console.info(
        `postgres terminate: ${terminated} backends killed, ${all.length} requests, ` +
          `${all.filter((o) => o.status === 503).length} answered 503, ${poolErrors.length} idle-client errors on the pool`,
      );
    } finally {
      await loop?.stop();
      await server?.close();
      agent.destroy();
      await keyward?.close();
      await pool.end();
      await dropTables(admin, table).catch(() => {});
      await admin.end();
      failures.stop();
    }
  }, 30_000);
});

/**
 * A key store over a {@link MemoryStore} whose reads can be made to answer late: after `delayMs`
 * every other read resolves and the others reject, each late answer counted in `lateAnswers`.
 */
class SlowKeyStore implements KeyStore {
  readonly #inner = new MemoryStore();
  #slowReads = 0;
  delayMs = 0;
  lateAnswers = 0;

  getKey(id: string): KeyRecord | undefined | Promise<KeyRecord | undefined> {
    if (this.delayMs === 0) return this.#inner.getKey(id);
    const fail = this.#slowReads++ % 2 === 1;
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        this.lateAnswers++;
        if (fail) reject(new Error('answered late, and with an error'));
        else resolve(this.#inner.getKey(id));
      }, this.delayMs);
    });
  }

  insertKey(record: KeyRecord) {
    return this.#inner.insertKey(record);
  }

  updateKey(record: KeyRecord, expectedVersion: number) {
    return this.#inner.updateKey(record, expectedVersion);
  }

  listKeys(query: KeyListQuery) {
    return this.#inner.listKeys(query);
  }
}

describe('a key store that answers after 5 s', () => {
  it('gets a prompt 503 store_unavailable, shrugs off the late answers, and serves a later fast answer', async () => {
    const failures = watchProcessFailures();
    const store = new SlowKeyStore();
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: store,
      limitStore: new MemoryStore(),
      cache: { max: 0 },
      storeTimeoutMs: SLOW_STORE_TIMEOUT_MS,
    });
    const server = await listenOnLoopback(guardedApp({ items: keyward }));
    const url = `${server.url}/items`;
    try {
      const keys: string[] = [];
      for (let i = 0; i < 6; i++) {
        keys.push((await keyward.create({ name: `slow ${i}`, environment: 'live' })).key);
      }
      expect((await probe(url, keys[0]!)).status).toBe(200);

      // Six reads in flight at once, one per key: three will resolve late, three reject late.
      store.delayMs = SLOW_STORE_DELAY_MS;
      const slow = await Promise.all(keys.map((key) => probe(url, key, { label: 'slow' })));
      for (const outcome of slow) {
        expect(outcome).toMatchObject({ status: 503, code: 'store_unavailable' });
        expect(outcome.ms).toBeGreaterThanOrEqual(SLOW_STORE_TIMEOUT_MS - 50);
        // Well before the store's answer (half of them rejections, 503 too): room for a stall.
        expect(outcome.ms).toBeLessThan(SLOW_STORE_DELAY_MS - 1000);
      }
      console.info(`slow store: 503 after ${slow.map((o) => o.ms).join(', ')} ms`);

      // The store is fast again while the late answers are still pending: requests pass.
      store.delayMs = 0;
      expect(store.lateAnswers).toBe(0);
      for (const key of keys) expect((await probe(url, key)).status).toBe(200);

      // Let every late answer land (resolutions and rejections): nothing unhandled, no crash.
      expect(await waitFor(() => store.lateAnswers === keys.length, 8000)).toBe(true);
      await sleep(50);
      expect(failures.seen).toStrictEqual([]);
      for (const key of keys) expect((await probe(url, key)).status).toBe(200);
    } finally {
      await server.close();
      await keyward.close();
      failures.stop();
    }
  }, 20_000);
});
