import { createServer, type Server, type Socket } from 'node:net';
import { createKeyward, MemoryStore } from '@keyward/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, postgresAvailable } from '../../../test-support/services.js';
import { PostgresStore } from '../src/index.js';
import { migratedTable, unhandledRejections, uniqueTable } from './pg-fixture.js';

const available = await postgresAvailable();

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` }, ip: '192.0.2.9' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A well-formed key (valid checksum) that no store knows. */
async function wellFormedKey(): Promise<string> {
  const scratch = createKeyward({ prefix: 'acme', store: new MemoryStore() });
  return (await scratch.create({ name: 'scratch', environment: 'live' })).key;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('PostgreSQL outage', () => {
  it('answers store_unavailable (503) when nothing listens on the port', async () => {
    const rejections = unhandledRejections();
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: await closedPort(),
      user: 'root',
      database: 'test',
      connectionTimeoutMillis: 2_000,
    });
    pool.on('error', () => {});
    try {
      const keyward = createKeyward({
        prefix: 'acme',
        keyStore: new PostgresStore({ pool }),
        limitStore: new MemoryStore(),
        storeTimeoutMs: 1_500,
      });
      const key = await wellFormedKey();
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const result = await keyward.verify(bearer(key));
        const elapsed = performance.now() - started;
        expect(result).toMatchObject({ ok: false, code: 'store_unavailable', status: 503 });
        expect(result.headers['retry-after']).toBeDefined();
        expect(elapsed).toBeLessThan(1_500 + 1_000);
      }
      await expect(keyward.create({ name: 'down', environment: 'live' })).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      await sleep(50);
      keyward.close();
      expect(rejections.list).toStrictEqual([]);
    } finally {
      rejections.stop();
      await pool.end();
    }
  });

  it('answers store_unavailable after storeTimeoutMs when the server accepts but never answers', async () => {
    const rejections = unhandledRejections();
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: (silent.address() as { port: number }).port,
      user: 'root',
      database: 'test',
      connectionTimeoutMillis: 3_000,
    });
    pool.on('error', () => {});
    try {
      const keyward = createKeyward({
        prefix: 'acme',
        keyStore: new PostgresStore({ pool }),
        limitStore: new MemoryStore(),
        storeTimeoutMs: 300,
      });
      const started = performance.now();
      const result = await keyward.verify(bearer(await wellFormedKey()));
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ ok: false, code: 'store_unavailable', status: 503 });
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(300 + 2_000);
      // Let pg's own connection timeout fire: its late rejection must not go unhandled (nor
      // that of the invalidation listener, which connects to the same silent server).
      await sleep(3_300);
      keyward.close();
      expect(rejections.list).toStrictEqual([]);
    } finally {
      rejections.stop();
      for (const socket of sockets) socket.destroy();
      await pool.end();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe.skipIf(!available)('PostgreSQL connection killed with pg_terminate_backend', () => {
  let fixture: Awaited<ReturnType<typeof migratedTable>>;
  const applicationName = uniqueTable('keyward_kill');
  const poolErrors: unknown[] = [];
  let pool: pg.Pool;

  beforeAll(async () => {
    fixture = await migratedTable();
    pool = new pg.Pool({
      connectionString: DATABASE_URL,
      max: 1,
      application_name: applicationName,
    });
    // pg emits errors of idle clients on the pool; an application must listen (see docs).
    pool.on('error', (error) => poolErrors.push(error));
  });
  afterAll(async () => {
    await pool?.end();
    await fixture?.dispose();
  });

  const terminate = () =>
    fixture.pool.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );

  async function waitFor(condition: () => Promise<boolean> | boolean, what: string) {
    const deadline = Date.now() + 5_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  it('recovers: a verify queued behind a killed query gets a new connection', async () => {
    const admin = createKeyward({
      prefix: 'acme',
      keyStore: new PostgresStore({ pool: fixture.pool, table: fixture.table }),
      limitStore: new MemoryStore(),
    });
    const { key } = await admin.create({ name: 'kill', environment: 'live' });
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: new PostgresStore({ pool, table: fixture.table }),
      limitStore: new MemoryStore(),
      cache: { max: 0 },
      storeTimeoutMs: 10_000,
    });
    expect(await keyward.verify(bearer(key))).toMatchObject({ ok: true });

    // Hold the pool's only connection, queue a verify behind it, then kill the connection.
    const sleeper = pool.query('SELECT pg_sleep(30)').then(
      () => undefined,
      (error: unknown) => error,
    );
    await waitFor(async () => {
      const { rows } = await fixture.pool.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%'",
        [applicationName],
      );
      return rows.length === 1;
    }, 'the sleeping query');
    const queued = keyward.verify(bearer(key));
    await terminate();
    expect(await sleeper).toMatchObject({ code: '57P01' });
    expect(await queued).toMatchObject({ ok: true });
    for (let i = 0; i < 20; i++)
      expect(await keyward.verify(bearer(key))).toMatchObject({ ok: true });

    // Kill the idle connection too: pg reports it on the pool, and the next verify reconnects.
    const errorsBefore = poolErrors.length;
    await terminate();
    await waitFor(() => poolErrors.length > errorsBefore, 'the idle client error');
    expect(await keyward.verify(bearer(key))).toMatchObject({ ok: true });
    keyward.close();
    admin.close();
  });
});
