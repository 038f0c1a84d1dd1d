import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableObjectKeyStore, DurableObjectLimitStore } from '@keyward/cloudflare';
import type { LimitResult } from '@keyward/core';
import { Miniflare, Response as MiniflareResponse } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPATIBILITY_DATE,
  codeOf,
  endpoint,
  post,
  randomId,
  remoteKeyStore,
  remoteLimitStore,
  startWorkers,
  testRecord,
  testWorker,
  type WorkerEndpoint,
  workerScript,
} from './workerd.js';

// Two Workers (two isolates, as two locations would be) bound to the same Durable Object classes.
let mf: Miniflare;
let main: WorkerEndpoint;
let second: WorkerEndpoint;
beforeAll(async () => {
  mf = await startWorkers(['main', 'second']);
  main = endpoint(mf, 'main');
  second = endpoint(mf, 'second');
});
afterAll(async () => {
  await mf?.dispose();
});

const record = testRecord;

/**
 * The test Worker behind a KV binding that reports each read of a key record to Node (the RACE
 * service) and asks it before each write of one, so Node decides when the writes land.
 */
const RACE_GATE = `
import worker from './worker.mjs';
const isRecord = (name) => name.includes(':rec:');
const gated = (kv, race) => ({
  async get(name, type) {
    const value = await kv.get(name, type);
    if (isRecord(name)) await race.fetch('http://race/read', { method: 'POST' });
    return value;
  },
  async put(name, value, options) {
    if (isRecord(name)) await race.fetch('http://race/write', { method: 'POST' });
    return kv.put(name, value, options);
  },
  delete: (name) => kv.delete(name),
  list: (options) => kv.list(options),
});
export default {
  fetch: (request, env, ctx) =>
    worker.fetch(request, { ...env, KEYS: gated(env.KEYS, env.RACE) }, ctx),
};
`;

/** Two Workers (two isolates) sharing one KV namespace through {@link RACE_GATE}. */
async function startRacingWorkers(
  race: (request: { url: string }) => Promise<MiniflareResponse>,
): Promise<Miniflare> {
  const script = await workerScript();
  const worker = (name: string) => ({
    name,
    modules: [
      { type: 'ESModule' as const, path: 'race-gate.mjs', contents: RACE_GATE },
      { type: 'ESModule' as const, path: 'worker.mjs', contents: script },
    ],
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: { KEYS: 'keyward-race-keys' },
    serviceBindings: { RACE: race },
  });
  const mf = new Miniflare({ workers: [worker('race-a'), worker('race-b')] });
  await mf.ready;
  return mf;
}

/** Sends `raw` (or no body) straight to an object and returns its status and JSON code. */
async function rawCall(binding: 'LIMITS' | 'KEY_OBJECTS', operation: string, raw?: string) {
  return (await post(main, `/object/${operation}`, {
    binding,
    name: binding === 'LIMITS' ? `bucket:raw_${randomId()}` : 'keys:keyward',
    ...(raw === undefined ? { method: 'GET' } : { raw }),
  })) as { status: number; body: string };
}

describe('DurableObjectKeyStore across isolates', () => {
  it('lets exactly one of concurrent updates from two Workers win', async () => {
    const a = remoteKeyStore(main, 'do');
    const b = remoteKeyStore(second, 'do');
    const stored = record();
    await a.insertKey(stored);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        Promise.resolve(
          (i % 2 === 0 ? a : b).updateKey({ ...stored, name: `writer ${i}`, version: 2 }, 1),
        ),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await b.getKey(stored.id))?.name).toBe(`writer ${winner}`);
  });

  it('where KvKeyStore cannot: two Workers racing on one key can both win there', async ({
    onTestFinished,
  }) => {
    // The documented limit of KV (no compare-and-set), forced rather than left to timing: each
    // Worker's write of the record waits until both Workers have read it, an order KV's delay
    // allows across locations. A store exact across isolates would let one of them win (or, if
    // it serialized them, hang here until the test times out); KvKeyStore lets both win.
    let armed = false;
    let reads = 0;
    const held: Array<() => void> = [];
    const mf = await startRacingWorkers(async (request) => {
      if (armed && new URL(request.url).pathname === '/read') {
        reads++;
        if (reads === 2) for (const write of held.splice(0)) write();
      } else if (armed && reads < 2) {
        await new Promise<void>((resolve) => held.push(resolve));
      }
      return new MiniflareResponse(null, { status: 204 });
    });
    onTestFinished(async () => {
      for (const write of held.splice(0)) write();
      await mf.dispose();
    });
    const a = remoteKeyStore(endpoint(mf, 'race-a'), 'kv');
    const b = remoteKeyStore(endpoint(mf, 'race-b'), 'kv');
    const stored = record();
    await a.insertKey(stored);
    armed = true;
    const results = await Promise.all(
      [a, b, a, b].map((store, i) =>
        Promise.resolve(store.updateKey({ ...stored, name: `writer ${i}`, version: 2 }, 1)),
      ),
    );
    // The first update in each Worker read version 1 and wrote; the second read version 2.
    expect(results).toStrictEqual([true, true, false, false]);
    expect(reads).toBeGreaterThanOrEqual(2); // the gate saw the reads it held the writes for
  });

  it('refuses in one Worker an id another Worker inserted', async () => {
    const stored = record();
    await remoteKeyStore(main, 'do').insertKey(stored);
    expect(await codeOf(remoteKeyStore(second, 'do').insertKey(stored))).toBe('duplicate_key_id');
  });

  it('revokes at once everywhere when the cache TTL is 0, and after the TTL otherwise', async () => {
    const { key, id } = (await post(main, '/keyward/create', {
      store: 'do',
      options: { name: 'edge', environment: 'live' },
    })) as { key: string; id: string };
    const verify = async (worker: WorkerEndpoint, cacheTtlMs: number) =>
      (await post(worker, '/keyward/verify', { store: 'do', key, cacheTtlMs })) as {
        ok: boolean;
        code?: string;
        status?: number;
      };
    expect((await verify(second, 0)).ok).toBe(true);
    expect((await verify(second, 600_000)).ok).toBe(true); // now cached for 10 minutes there
    await post(main, '/keyward/revoke', { store: 'do', id });
    const uncached = await verify(second, 0);
    expect([uncached.code, uncached.status]).toStrictEqual(['revoked_key', 401]);
    // The other isolate's cached copy is still trusted until its TTL ends: what the TTL bounds.
    expect((await verify(second, 600_000)).ok).toBe(true);
  });
});

describe('DurableObjectLimitStore', () => {
  it('never over-grants when two Workers take from one bucket at once', async () => {
    const bucket = `shared_${randomId()}`;
    const limit = { capacity: 10, refillPerSecond: 0.001 };
    const stores = [remoteLimitStore(main), remoteLimitStore(second)];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        Promise.resolve(stores[i % 2]!.takeToken(bucket, limit, 1, Date.now())),
      ),
    );
    expect(results.filter((result) => result.allowed)).toHaveLength(10);
  });

  it("times refills by the object's clock, not the caller's now", async () => {
    const store = remoteLimitStore(main);
    const bucket = `clock_${randomId()}`;
    const limit = { capacity: 1, refillPerSecond: 0.01 };
    expect((await store.takeToken(bucket, limit, 1, Date.now())).allowed).toBe(true);
    const dayLater = Date.now() + 86_400_000;
    const refused = await store.takeToken(bucket, limit, 1, dayLater);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(90_000);
    // A day: the object counts by its own clock, so a shorter window could end between the two
    // calls; `dayLater` is still in the next day, where a caller's clock would start a new count.
    const quota = { limit: 1, period: 'day' as const };
    const name = `clock_${randomId()}`;
    expect((await store.countQuota(name, quota, 1, Date.now())).allowed).toBe(true);
    expect((await store.countQuota(name, quota, 1, dayLater)).allowed).toBe(false);
  });

  it('rate-limits keyward on the edge: 429 rate_limited, then quota_exceeded', async () => {
    const { key } = (await post(main, '/keyward/create', {
      store: 'do',
      options: {
        name: 'limited',
        environment: 'live',
        rateLimit: { capacity: 2, refillPerSecond: 0.01 },
      },
    })) as { key: string };
    const verify = async (worker: WorkerEndpoint) =>
      (await post(worker, '/keyward/verify', { store: 'do', key })) as {
        ok: boolean;
        code?: string;
        status?: number;
        headers: Record<string, string>;
      };
    expect((await verify(main)).ok).toBe(true);
    expect((await verify(second)).ok).toBe(true);
    const limited = await verify(main);
    expect([limited.code, limited.status]).toStrictEqual(['rate_limited', 429]);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(90);

    const { key: quotaKey } = (await post(main, '/keyward/create', {
      store: 'do',
      options: { name: 'quota', environment: 'live', quota: { limit: 1, period: 'day' } },
    })) as { key: string };
    const first = (await post(second, '/keyward/verify', { store: 'do', key: quotaKey })) as {
      ok: boolean;
    };
    expect(first.ok).toBe(true);
    const over = (await post(main, '/keyward/verify', { store: 'do', key: quotaKey })) as {
      code: string;
      status: number;
    };
    expect([over.code, over.status]).toStrictEqual(['quota_exceeded', 429]);
  });
});

describe('the objects refuse what they cannot read', () => {
  it.each([
    ['take', undefined],
    ['take', 'not json'],
    ['take', '[1, 2]'],
    ['take', '{"capacity": 0, "refillPerSecond": 1, "cost": 1}'],
    ['take', '{"capacity": 10, "refillPerSecond": -1, "cost": 1}'],
    ['take', '{"capacity": 10, "refillPerSecond": 1, "cost": -1}'],
    ['take', '{"capacity": "10", "refillPerSecond": 1, "cost": 1}'],
    ['count', '{"limit": 10, "period": "week", "cost": 1}'],
    ['count', '{"limit": 10, "period": "day"}'],
    ['drain', '{"capacity": 10, "refillPerSecond": 1, "cost": 1}'],
  ])('KeywardLimits answers 400 bad_request to %s %s', async (operation, raw) => {
    const answer = await rawCall('LIMITS', operation, raw);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toStrictEqual({ code: 'bad_request' });
  });

  it.each([
    ['get', undefined],
    ['get', '{"id": 42}'],
    ['insert', '{"record": {"id": "x"}}'],
    ['insert', '{"record": null}'],
    ['update', '{"record": {"id": "x", "version": 2, "environment": "live", "hash": "h"}}'],
    ['list', '{"limit": 0}'],
    ['list', '{"limit": 5000}'],
    ['list', '{"limit": 10, "cursor": 7}'],
    ['delete', '{"id": "x"}'],
  ])('KeywardKeys answers 400 bad_request to %s %s', async (operation, raw) => {
    const answer = await rawCall('KEY_OBJECTS', operation, raw);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toStrictEqual({ code: 'bad_request' });
  });

  it('refuses a missing namespace at construction with a TypeError', () => {
    expect(() => new DurableObjectLimitStore(undefined as never)).toThrow(TypeError);
    expect(() => new DurableObjectLimitStore({ namespace: {} as never })).toThrow(/namespace/);
    expect(() => new DurableObjectKeyStore({ namespace: { get() {} } as never })).toThrow(
      /namespace/,
    );
    const namespace = { idFromName() {}, get() {} } as never;
    expect(() => new DurableObjectKeyStore({ namespace, name: '' })).toThrow(/name/);
  });
});

describe('Durable Object state', () => {
  it('outlives a restart of the runtime: a drained bucket and a used quota stay used', async () => {
    const persist = mkdtempSync(join(tmpdir(), 'keyward-do-'));
    const start = async () => {
      const runtime = new Miniflare({
        ...(await testWorker('main')),
        durableObjectsPersist: persist,
      });
      await runtime.ready;
      return runtime;
    };
    const bucket = `restart_${randomId()}`;
    const limit = { capacity: 2, refillPerSecond: 0.001 };
    const quota = { limit: 1, period: 'month' as const };
    let runtime = await start();
    try {
      let store = remoteLimitStore(endpoint(runtime));
      const taken: LimitResult[] = [];
      for (let i = 0; i < 3; i++) taken.push(await store.takeToken(bucket, limit, 1, 0));
      expect(taken.map((result) => result.allowed)).toStrictEqual([true, true, false]);
      expect((await store.countQuota(bucket, quota, 1, 0)).allowed).toBe(true);
      await runtime.dispose();
      runtime = await start();
      store = remoteLimitStore(endpoint(runtime));
      expect(await store.takeToken(bucket, limit, 1, 0)).toMatchObject({
        allowed: false,
        remaining: 0,
      });
      expect((await store.countQuota(bucket, quota, 1, 0)).allowed).toBe(false);
    } finally {
      await runtime.dispose();
      rmSync(persist, { recursive: true, force: true });
    }
  });

  it('fails KeywardKeys calls with store_unavailable when the object has no SQLite storage', async () => {
    const runtime = new Miniflare({
      name: 'main',
      modules: true,
      script: await workerScript(),
      compatibilityDate: COMPATIBILITY_DATE,
      kvNamespaces: ['KEYS'],
      durableObjects: {
        KEY_OBJECTS: { className: 'KeywardKeys', useSQLite: false },
        LIMITS: { className: 'KeywardLimits', useSQLite: false },
      },
    });
    try {
      await runtime.ready;
      const store = remoteKeyStore(endpoint(runtime), 'do');
      expect(await codeOf(store.getKey(randomId()))).toBe('store_unavailable');
      expect(await codeOf(store.insertKey(record()))).toBe('store_unavailable');
      const raw = (await post(endpoint(runtime), '/object/get', {
        binding: 'KEY_OBJECTS',
        name: 'keys:keyward',
        raw: '{"id": "x"}',
      })) as { status: number; body: string };
      expect([raw.status, JSON.parse(raw.body)]).toStrictEqual([500, { code: 'sqlite_required' }]);
      // KeywardLimits needs no SQL: it works on either storage backend.
      const limits = remoteLimitStore(endpoint(runtime));
      expect((await limits.takeToken('b', { capacity: 1, refillPerSecond: 1 }, 1, 0)).allowed).toBe(
        true,
      );
    } finally {
      await runtime.dispose();
    }
  });
});
