import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, postgresAvailable } from '../../../test-support/services.js';
import { freePort, sleep, waitFor } from '../../../test-support/wait.js';
import { type PostgresListenClient, PostgresStore } from '../src/index.js';
import { migratedTable, testPool, unhandledRejections, uniqueTable } from './pg-fixture.js';

const available = await postgresAvailable();

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

async function codeOf(keyward: Keyward, key: string): Promise<string> {
  const result = await keyward.verify(bearer(key));
  return result.ok ? 'ok' : result.code;
}

/** Real pg clients: to a closed port while `down()` holds, to the test database after. */
function clientFactory(deadPort: number, down: () => boolean) {
  const factory = {
    calls: 0,
    create: (): PostgresListenClient => {
      factory.calls++;
      return down()
        ? new pg.Client({ host: '127.0.0.1', port: deadPort, user: 'root', database: 'test' })
        : new pg.Client({ connectionString: DATABASE_URL });
    },
  };
  return factory;
}

describe('PostgresStore invalidation options', () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  afterAll(() => pool.end());

  it.each([
    ['a client that is not a function', { client: 'pg' }],
    ['an empty channel', { channel: '' }],
    ['a channel over 63 bytes', { channel: 'c'.repeat(64) }],
    ['a channel with NUL', { channel: 'a\u0000' }],
    ['not an object', 'yes'],
  ])('refuses %s with a TypeError', (_case, invalidation) => {
    expect(
      () => new PostgresStore({ pool, invalidation: invalidation as { channel?: string } }),
    ).toThrow(TypeError);
  });

  it('derives the channel from the table', () => {
    expect(new PostgresStore({ pool }).channel).toBe('keyward:keyward_keys');
    expect(new PostgresStore({ pool, table: 'auth.api_keys' }).channel).toBe(
      'keyward:auth.api_keys',
    );
    expect(new PostgresStore({ pool, invalidation: { channel: 'mine' } }).channel).toBe('mine');
  });
});

describe.skipIf(!available)('PostgresStore invalidation (LISTEN/NOTIFY)', () => {
  let fixture: Awaited<ReturnType<typeof migratedTable>>;
  const pools: pg.Pool[] = [];
  const closers: (() => void)[] = [];

  function pool(config: pg.PoolConfig = {}): pg.Pool {
    const created = testPool(config);
    pools.push(created);
    return created;
  }

  function store(options: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {}) {
    const created = new PostgresStore({ pool: pool(), table: fixture.table, ...options });
    closers.push(() => created.close());
    return created;
  }

  /** Subscribes and records what the listener is told. */
  function record(from: PostgresStore) {
    const seen: (string | undefined)[] = [];
    closers.push(from.subscribeInvalidations((id) => seen.push(id)));
    return seen;
  }

  /** Publishes `probe` through `from` until `seen` holds it: its LISTEN is live. */
  function live(from: PostgresStore, seen: (string | undefined)[], probe: string) {
    return waitFor(
      () => seen.includes(probe),
      10_000,
      () => from.publishInvalidation(probe),
    );
  }

  async function listenBackends(applicationName: string): Promise<number[]> {
    const { rows } = await fixture.pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
      [applicationName],
    );
    return rows.map((row) => row.pid);
  }

  beforeAll(async () => {
    fixture = await migratedTable();
  });
  afterAll(async () => {
    for (const close of closers) close();
    await Promise.all(pools.map((p) => p.end()));
    await fixture?.dispose();
  });

  it('createKeyward picks the store as its channel: a revocation leaves another instance’s cache', async () => {
    const admin = createKeyward({
      prefix: 'acme',
      keyStore: store(),
      limitStore: new MemoryStore(),
    });
    const apiStore = store();
    const api = createKeyward({
      prefix: 'acme',
      keyStore: apiStore,
      limitStore: new MemoryStore(),
      cache: { ttlMs: 600_000 },
    });
    const uninformed = createKeyward({
      prefix: 'acme',
      keyStore: apiStore,
      limitStore: new MemoryStore(),
      cache: { ttlMs: 600_000 },
      invalidation: false,
    });
    closers.push(
      () => admin.close(),
      () => api.close(),
    );
    expect(await live(apiStore, record(apiStore), 'probe-keyward')).toBe(true);
    const { key, record: info } = await admin.create({ name: 'fan-out', environment: 'live' });
    expect(await codeOf(api, key)).toBe('ok');
    expect(await codeOf(uninformed, key)).toBe('ok');
    const revokedAt = Date.now();
    await admin.revoke(info.id, { reason: 'test' });
    // Up to 10 s: UPDATE, commit and NOTIFY on a loaded machine can stall for seconds. The cache
    // keeps records for 600 s, so only the notification can make `api` refuse the key.
    let code = await codeOf(api, key);
    while (code !== 'revoked_key' && Date.now() - revokedAt < 10_000) {
      await sleep(25);
      code = await codeOf(api, key);
    }
    expect(code).toBe('revoked_key');
    console.info(`postgres invalidation: revoked key refused after ${Date.now() - revokedAt} ms`);
    // The same process without the channel still serves its cached copy: the cache was in play.
    expect(await codeOf(uninformed, key)).toBe('ok');
  }, 30_000);

  it('takes any channel text: quotes, capitals and non-ASCII are safe', async () => {
    const channel = `Kw "${uniqueTable('x')}"; DROP TABLE x; -- ü`;
    const listener = store({ invalidation: { channel } });
    const publisher = store({ invalidation: { channel } });
    const seen = record(listener);
    expect(
      await waitFor(
        () => seen.includes('4GhT9xQ2mPz1'),
        10_000,
        () => publisher.publishInvalidation('4GhT9xQ2mPz1'),
      ),
    ).toBe(true);
    expect(seen).not.toContain(undefined);
  });

  it('connects once PostgreSQL answers, tells listeners to drop everything, then relays ids', async () => {
    const rejections = unhandledRejections();
    try {
      let down = true;
      const factory = clientFactory(await freePort(), () => down);
      const listener = store({ invalidation: { client: factory.create } });
      const seen = record(listener);
      expect(await waitFor(() => factory.calls >= 3, 10_000)).toBe(true);
      expect(seen).toStrictEqual([]);
      down = false;
      expect(await waitFor(() => seen.length > 0, 10_000)).toBe(true);
      expect(seen[0]).toBeUndefined();
      expect(await live(listener, seen, 'after-outage')).toBe(true);
      await sleep(50);
      expect(rejections.list).toStrictEqual([]);
    } finally {
      rejections.stop();
    }
  });

  it('a first connection that works at once does not drop everything', async () => {
    const listener = store();
    const seen = record(listener);
    expect(await live(listener, seen, 'first')).toBe(true);
    expect(seen).not.toContain(undefined);
  });

  it('close() stops reconnecting, with no unhandled rejection', async () => {
    const rejections = unhandledRejections();
    try {
      const factory = clientFactory(await freePort(), () => true);
      const listener = store({ invalidation: { client: factory.create } });
      record(listener);
      expect(await waitFor(() => factory.calls >= 3, 10_000)).toBe(true);
      listener.close();
      const calls = factory.calls;
      await sleep(1500);
      expect(factory.calls).toBe(calls);
      expect(rejections.list).toStrictEqual([]);
    } finally {
      rejections.stop();
    }
  });

  it('opens one LISTEN connection per store, and the last unsubscribe (keyward.close) closes it', async () => {
    const applicationName = uniqueTable('kw_listen');
    const listener = new PostgresStore({
      pool: pool({ application_name: applicationName }),
      table: fixture.table,
    });
    closers.push(() => listener.close());
    const options = { prefix: 'acme', keyStore: listener, limitStore: new MemoryStore() };
    const first = createKeyward(options);
    const second = createKeyward(options);
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length === 0; i++) {
      pids = await listenBackends(applicationName);
      if (pids.length === 0) await sleep(25);
    }
    expect(pids).toHaveLength(1);
    first.close();
    await sleep(200);
    expect(await listenBackends(applicationName)).toStrictEqual(pids);
    second.close();
    for (let i = 0; i < 200 && pids.length > 0; i++) {
      pids = await listenBackends(applicationName);
      if (pids.length > 0) await sleep(25);
    }
    expect(pids).toStrictEqual([]);
  });

  it('with a pg.Client as pool it publishes; it listens when given invalidation.client', async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const receiver = store();
      const seen = record(receiver);
      const bare = new PostgresStore({ pool: client, table: fixture.table });
      const bareSeen = record(bare);
      expect(
        await waitFor(
          () => seen.includes('from-client'),
          10_000,
          () => bare.publishInvalidation('from-client'),
        ),
      ).toBe(true);
      expect(bareSeen).toStrictEqual([]);
      const given = new PostgresStore({
        pool: client,
        table: fixture.table,
        invalidation: { client: () => new pg.Client({ connectionString: DATABASE_URL }) },
      });
      closers.push(() => given.close());
      expect(await live(given, record(given), 'to-client')).toBe(true);
    } finally {
      await client.end();
    }
  });
});
