import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionsError } from '../errors.js';
import { formatKey } from '../key/format.js';
import { createKeyward, type KeywardOptions } from '../keyward.js';
import { MemoryStore } from '../stores/memory-store.js';
import {
  AsyncKeyStore,
  bearer,
  fakeClock,
  otherSecret,
  PREFIX,
  secretOf,
  settle,
  withSecret,
} from '../test-helpers.js';
import type { KeywardEvent } from '../types.js';
import { MAX_USAGE_BUCKETS } from './query.js';
import type { UsageRow, UsageStore } from './types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const START = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A MemoryStore that remembers every recordUsage call, and can be told to fail. */
class SpyUsageStore extends MemoryStore {
  readonly batches: { rows: readonly UsageRow[]; batchId: string | undefined }[] = [];
  /** Fail the next n calls: before writing ('before') or after writing ('after'). */
  failures: { n: number; when: 'before' | 'after' } = { n: 0, when: 'before' };

  override recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): void {
    this.batches.push({ rows, batchId });
    const fail = this.failures.n > 0;
    if (fail) this.failures.n--;
    if (fail && this.failures.when === 'before') throw new Error('usage store down');
    super.recordUsage(rows, lastUsed, batchId);
    if (fail) throw new Error('reply lost');
  }
}

function setup(options: Partial<KeywardOptions> = {}) {
  const store = new SpyUsageStore();
  const clock = fakeClock(START);
  const events: KeywardEvent[] = [];
  const keyward = createKeyward({
    prefix: PREFIX,
    store,
    clock,
    onEvent: (event) => events.push(event),
    usage: { flushIntervalMs: 60_000 },
    ...options,
  } as KeywardOptions);
  return { keyward, store, clock, events };
}

const sum = (points: readonly { total: number }[]) => points.reduce((s, p) => s + p.total, 0);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('usage recording', () => {
  it('counts per key, minute, outcome and route, and writes nothing until a flush', async () => {
    const { keyward, store, clock } = setup();
    const { key, record } = await keyward.create({ name: 'u', scopes: ['invoices:read'] });
    const get = bearer(key, { method: 'GET', route: '/invoices/:id', url: '/invoices/42' });
    for (let i = 0; i < 5; i++) await settle(keyward.verify(get));
    await settle(keyward.verify(get, { scopes: ['invoices:write'] }));
    clock.advance(MINUTE);
    await settle(keyward.verify(bearer(key, { method: 'POST', route: '/reports' }), { cost: 3 }));
    expect(store.batches).toHaveLength(0);
    await keyward.flush();
    expect(store.batches).toHaveLength(1);
    const { points } = await keyward.usage({
      keyId: record.id,
      from: START,
      to: START + 3 * MINUTE,
      granularity: 'minute',
    });
    expect(points.map((p) => [p.start.getTime() - START, p.total, p.cost, p.outcomes])).toEqual([
      [0, 6, 6, { verified: 5, insufficient_scope: 1 }],
      [MINUTE, 1, 3, { verified: 1 }],
      [2 * MINUTE, 0, 0, {}],
    ]);
    const { routes } = await keyward.usage({
      keyId: record.id,
      from: START,
      to: START + HOUR,
      groupBy: 'route',
    });
    expect(routes).toEqual([
      {
        route: 'GET /invoices/:id',
        total: 6,
        cost: 6,
        outcomes: { verified: 5, insufficient_scope: 1 },
      },
      { route: 'POST /reports', total: 1, cost: 3, outcomes: { verified: 1 } },
    ]);
  });

  it('counts a request without a route template under route "" — never its URL', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'u' });
    await settle(keyward.verify(bearer(key, { method: 'GET', url: '/invoices/42?x=1' })));
    await keyward.flush();
    const { routes } = await keyward.usage({
      keyId: record.id,
      from: START,
      to: START + HOUR,
      groupBy: 'route',
    });
    expect(routes.map((r) => r.route)).toEqual(['']);
  });

  it('counts rejections whose secret matched no stored key under the deployment, a wrong secret for a real id included', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'u' });
    const unknown = formatKey(PREFIX, 'live', 'ZZZZZZZZZZZZ', secretOf(key));
    await settle(keyward.verify({ headers: {} }));
    await settle(keyward.verify(bearer('acme_live_junk')));
    await settle(keyward.verify(bearer(withSecret(key, otherSecret(secretOf(key))))));
    await settle(keyward.verify(bearer(unknown)));
    await keyward.flush();
    const range = { from: START, to: START + HOUR };
    // A wrong secret is not the key's: counting it there would time a guess at a real id apart
    // from one at a made-up id (security/timing.mjs, comparison b).
    const forKey = await keyward.usage({ keyId: record.id, ...range });
    expect(forKey.points[0]?.outcomes).toEqual({});
    const all = await keyward.usage(range);
    expect(all.points[0]?.outcomes).toEqual({
      missing_key: 1,
      malformed_key: 1,
      invalid_key: 2,
    });
  });

  it('counts each verification once on the async path too', async () => {
    const store = new MemoryStore();
    const keyStore = new AsyncKeyStore(new MemoryStore(), 1);
    const keyward = createKeyward({
      prefix: PREFIX,
      keyStore,
      limitStore: store,
      cache: { max: 0 },
      clock: fakeClock(START),
      usage: { store, flushIntervalMs: 60_000 },
    });
    const { key, record } = await keyward.create({
      name: 'u',
      rateLimit: { capacity: 3, refillPerSecond: 0.001 },
    });
    await Promise.all(Array.from({ length: 5 }, () => settle(keyward.verify(bearer(key)))));
    await keyward.flush();
    const { points } = await keyward.usage({ keyId: record.id, from: START, to: START + HOUR });
    expect(points[0]?.outcomes).toEqual({ verified: 3, rate_limited: 2 });
  });

  it('keeps at most maxPending rows, dropping and counting the rest (event, stats)', async () => {
    const { keyward, events } = setup({ usage: { flushIntervalMs: 60_000, maxPending: 3 } });
    const keys = await Promise.all(
      Array.from({ length: 5 }, (_, i) => keyward.create({ name: `k${i}` })),
    );
    for (const { key } of keys) await settle(keyward.verify(bearer(key)));
    await settle(keyward.verify(bearer(keys[0]!.key)));
    expect(keyward.stats()).toMatchObject({ pendingUsageRows: 3, droppedUsage: 2 });
    await keyward.flush();
    expect(events.filter((e) => e.type === 'usage.dropped')).toEqual([
      { type: 'usage.dropped', at: new Date(START), count: 2 },
    ]);
    const all = await keyward.usage({ from: START, to: START + HOUR });
    expect(sum(all.points)).toBe(4);
    expect(keyward.stats().pendingUsageRows).toBe(0);
  });

  it('keeps a failed batch and retries it whole, counting it once even when the store applied it', async () => {
    const { keyward, store, events } = setup();
    const { key, record } = await keyward.create({ name: 'u' });
    store.failures = { n: 1, when: 'after' };
    await settle(keyward.verify(bearer(key)));
    await expect(keyward.flush()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(events.at(-1)).toMatchObject({ type: 'anomaly', kind: 'store_error', store: 'usage' });
    await settle(keyward.verify(bearer(key)));
    await keyward.flush();
    expect(store.batches.map((b) => b.rows.length)).toEqual([1, 1, 1]);
    expect(store.batches[1]?.batchId).toBe(store.batches[0]?.batchId);
    expect(store.batches[2]?.batchId).not.toBe(store.batches[0]?.batchId);
    const { points } = await keyward.usage({ keyId: record.id, from: START, to: START + HOUR });
    expect(points[0]?.total).toBe(2);
  });

  it('lets a failed batch hold its rows against maxPending until it is written', async () => {
    const { keyward, store } = setup({ usage: { flushIntervalMs: 60_000, maxPending: 2 } });
    const keys = await Promise.all(
      Array.from({ length: 3 }, (_, i) => keyward.create({ name: `k${i}` })),
    );
    store.failures = { n: 2, when: 'before' };
    await settle(keyward.verify(bearer(keys[0]!.key)));
    await expect(keyward.flush()).rejects.toThrow();
    await settle(keyward.verify(bearer(keys[1]!.key)));
    await settle(keyward.verify(bearer(keys[2]!.key)));
    expect(keyward.stats()).toMatchObject({ pendingUsageRows: 2, droppedUsage: 1 });
    await expect(keyward.flush()).rejects.toThrow();
    await keyward.flush();
    const all = await keyward.usage({ from: START, to: START + HOUR });
    expect(sum(all.points)).toBe(2);
  });

  it('flushes from one unref’d timer while something is pending', async () => {
    const { keyward, store } = setup({ usage: { flushIntervalMs: 20 } });
    const { key } = await keyward.create({ name: 'u' });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 50; i++) await settle(keyward.verify(bearer(key)));
    const timers = spy.mock.results.map(
      (r) => r.value as { unref?: unknown; hasRef?: () => boolean },
    );
    expect(timers).toHaveLength(1);
    expect(timers[0]?.hasRef?.()).toBe(false);
    await vi.waitFor(() => expect(store.batches).toHaveLength(1), { timeout: 10_000, interval: 5 });
    expect(store.batches[0]?.rows[0]?.count).toBe(50);
    await keyward.close();
  });

  it('close() flushes, stops recording and is safe twice; it never rejects', async () => {
    const { keyward, store } = setup();
    const { key, record } = await keyward.create({ name: 'u' });
    await settle(keyward.verify(bearer(key)));
    const first = keyward.close();
    expect(keyward.close()).toBe(first);
    await first;
    await settle(keyward.verify(bearer(key)));
    expect(keyward.stats().pendingUsageRows).toBe(0);
    const { points } = await keyward.usage({ keyId: record.id, from: START, to: START + HOUR });
    expect(points[0]?.total).toBe(1);

    const failing = setup();
    const issued = await failing.keyward.create({ name: 'u' });
    failing.store.failures = { n: 5, when: 'before' };
    await settle(failing.keyward.verify(bearer(issued.key)));
    await expect(failing.keyward.close()).resolves.toBeUndefined();
    expect(store.batches.length + failing.store.batches.length).toBe(2);
  });

  it('close() unsubscribes from invalidations', async () => {
    let unsubscribed = 0;
    const keyward = createKeyward({
      prefix: PREFIX,
      invalidation: {
        publishInvalidation: () => {},
        subscribeInvalidations: () => () => {
          unsubscribed++;
        },
      },
    });
    await keyward.close();
    await keyward.close();
    expect(unsubscribed).toBe(1);
  });
});

describe('lastUsedAt', () => {
  it('is the latest verification with the key’s secret, from get and list after a flush', async () => {
    const { keyward, clock } = setup();
    const { key, record } = await keyward.create({ name: 'u' });
    const unused = await keyward.create({ name: 'never' });
    expect((await keyward.get(record.id))?.lastUsedAt).toBeUndefined();
    await settle(keyward.verify(bearer(key)));
    clock.advance(1234);
    await settle(keyward.verify(bearer(key), { scopes: ['missing:scope'] }));
    const usedAt = clock.now;
    clock.advance(1000);
    await settle(keyward.verify(bearer(withSecret(key, otherSecret(secretOf(key))))));
    await keyward.flush();
    expect((await keyward.get(record.id))?.lastUsedAt).toEqual(new Date(usedAt));
    const { items } = await keyward.list();
    const byId = new Map(items.map((info) => [info.id, info]));
    expect(byId.get(record.id)?.lastUsedAt).toEqual(new Date(usedAt));
    expect(byId.get(unused.record.id)?.lastUsedAt).toBeUndefined();
    expect(Object.isFrozen(byId.get(record.id))).toBe(true);
  });

  it('never goes back when an older flush arrives later, and counts a revoked key’s correct secret', async () => {
    const { keyward, store, clock } = setup();
    const { key, record } = await keyward.create({ name: 'u' });
    store.recordUsage([], new Map([[record.id, START + HOUR]]));
    await settle(keyward.verify(bearer(key)));
    await keyward.flush();
    expect((await keyward.get(record.id))?.lastUsedAt).toEqual(new Date(START + HOUR));
    clock.set(START + 2 * HOUR);
    await keyward.revoke(record.id);
    await settle(keyward.verify(bearer(key)));
    await keyward.flush();
    expect((await keyward.get(record.id))?.lastUsedAt).toEqual(new Date(START + 2 * HOUR));
  });
});

describe('keyward.usage()', () => {
  it('rounds from down and to up to whole buckets and includes empty buckets', async () => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'u' });
    const { points } = await keyward.usage({
      keyId: record.id,
      from: new Date(START + 10 * MINUTE),
      to: START + 2 * HOUR + 1,
      granularity: 'hour',
    });
    expect(points.map((p) => p.start.getTime())).toEqual([START, START + HOUR, START + 2 * HOUR]);
    expect(points.every((p) => p.total === 0 && p.cost === 0)).toBe(true);
  });

  it('sums an owner’s keys', async () => {
    const { keyward } = setup();
    const a = await keyward.create({ name: 'a', ownerId: 'acct_1' });
    const b = await keyward.create({ name: 'b', ownerId: 'acct_1' });
    const c = await keyward.create({ name: 'c', ownerId: 'acct_2' });
    for (const { key } of [a, b, b, c]) await settle(keyward.verify(bearer(key)));
    await keyward.flush();
    const { points } = await keyward.usage({ ownerId: 'acct_1', from: START, to: START + HOUR });
    expect(points[0]?.total).toBe(3);
  });

  it.each([
    ['keyId and ownerId', { keyId: 'AAAAAAAAAAAA', ownerId: 'x' }],
    ['a malformed keyId', { keyId: 'nope' }],
    ['an empty ownerId', { ownerId: '' }],
    ['to before from', { from: START + HOUR, to: START }],
    ['an invalid date', { from: new Date(Number.NaN) }],
    ['an unknown granularity', { granularity: 'week' }],
    ['an unknown groupBy', { groupBy: 'owner' }],
    [
      `more than ${MAX_USAGE_BUCKETS} buckets`,
      { to: START + (MAX_USAGE_BUCKETS + 1) * MINUTE, granularity: 'minute' },
    ],
  ])('refuses %s with invalid_options', async (_name, bad) => {
    const { keyward } = setup();
    const options = { from: START, to: START + HOUR, ...bad } as Parameters<
      typeof keyward.usage
    >[0];
    await expect(keyward.usage(options)).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(keyward.usage(options)).rejects.toMatchObject({ code: 'invalid_options' });
  });

  it('accepts exactly MAX_USAGE_BUCKETS buckets', async () => {
    const { keyward } = setup();
    const { points } = await keyward.usage({
      from: START,
      to: START + MAX_USAGE_BUCKETS * MINUTE,
      granularity: 'minute',
    });
    expect(points).toHaveLength(MAX_USAGE_BUCKETS);
  });
});

describe('the usage option', () => {
  it('is on by default with a MemoryStore and off with usage: false', async () => {
    const on = createKeyward({ prefix: PREFIX });
    const { key } = await on.create({ name: 'u' });
    await settle(on.verify(bearer(key)));
    expect(on.stats().pendingUsageRows).toBe(1);
    await on.close();
    const off = createKeyward({ prefix: PREFIX, usage: false });
    await settle(off.verify(bearer(key)));
    expect(off.stats().pendingUsageRows).toBe(0);
    await expect(off.usage({ from: 0, to: HOUR })).rejects.toBeInstanceOf(TypeError);
  });

  it('is off for a key store that is not a UsageStore, and uses usage.store when given', async () => {
    const keyStore = new AsyncKeyStore();
    const plain = createKeyward({ prefix: PREFIX, keyStore, limitStore: new MemoryStore() });
    await expect(plain.usage({ from: 0, to: HOUR })).rejects.toBeInstanceOf(TypeError);
    const usageStore = new MemoryStore();
    const clock = fakeClock(START);
    const withStore = createKeyward({
      prefix: PREFIX,
      keyStore,
      limitStore: new MemoryStore(),
      clock,
      usage: { store: usageStore },
    });
    const { key, record } = await withStore.create({ name: 'u' });
    await settle(withStore.verify(bearer(key)));
    await withStore.close();
    expect(usageStore.lastUsed([record.id]).get(record.id)).toBe(START);
  });

  it.each([
    ['a string', 'yes'],
    ['an unknown option', { flushEvery: 5 }],
    ['a zero interval', { flushIntervalMs: 0 }],
    ['a fractional maxPending', { maxPending: 1.5 }],
    ['a store without the methods', { store: {} }],
  ])('refuses %s with a TypeError', (_name, usage) => {
    expect(() => createKeyward({ prefix: PREFIX, usage } as KeywardOptions)).toThrow(TypeError);
  });

  it('refuses usage options without a usage store', () => {
    expect(() =>
      createKeyward({
        prefix: PREFIX,
        keyStore: new AsyncKeyStore(),
        limitStore: new MemoryStore(),
        usage: { flushIntervalMs: 10 },
      }),
    ).toThrow(/usage\.store/);
  });
});

describe('subscribe() and verify events', () => {
  it('delivers events beside onEvent until unsubscribed, with environment; a throwing listener breaks nothing', async () => {
    const { keyward, events } = setup();
    const { key, record } = await keyward.create({ name: 'u', environment: 'test' });
    const seen: KeywardEvent[] = [];
    keyward.subscribe(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = keyward.subscribe((event) => seen.push(event));
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    await settle(keyward.verify(bearer(withSecret(key, otherSecret(secretOf(key))))));
    unsubscribe();
    unsubscribe();
    await settle(keyward.verify(bearer(key)));
    expect(seen).toEqual([
      {
        type: 'key.verified',
        at: new Date(START),
        keyId: record.id,
        environment: 'test',
        ip: '203.0.113.9',
      },
      {
        type: 'key.rejected',
        at: new Date(START),
        code: 'invalid_key',
        status: 401,
        keyId: record.id,
        ip: '203.0.113.9',
      },
    ]);
    expect(events.filter((e) => e.type === 'key.verified')).toHaveLength(2);
  });

  it('reads the timer only for a listener that asked for timings', async () => {
    const keyward = createKeyward({ prefix: PREFIX, usage: false });
    const { key } = await keyward.create({ name: 'u' });
    const now = vi.spyOn(performance, 'now');
    await settle(keyward.verify(bearer(key)));
    const seen: KeywardEvent[] = [];
    const stop = keyward.subscribe((event) => seen.push(event));
    await settle(keyward.verify(bearer(key)));
    expect(now).not.toHaveBeenCalled();
    expect(seen[0]).not.toHaveProperty('durationMs');
    stop();
    keyward.subscribe((event) => seen.push(event), { timing: true });
    await settle(keyward.verify(bearer(key)));
    await settle(keyward.verify({ headers: {} }));
    expect(now).toHaveBeenCalled();
    for (const event of seen.slice(1)) {
      expect((event as { durationMs?: number }).durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('names the store of a store_error', async () => {
    const events: KeywardEvent[] = [];
    const store = new MemoryStore();
    const keyward = createKeyward({
      prefix: PREFIX,
      keyStore: store,
      limitStore: {
        takeToken: () => {
          throw new Error('down');
        },
        countQuota: () => {
          throw new Error('down');
        },
      },
      onEvent: (event) => events.push(event),
      usage: false,
    });
    const { key } = await keyward.create({
      name: 'u',
      rateLimit: { capacity: 1, refillPerSecond: 1 },
    });
    await settle(keyward.verify(bearer(key)));
    expect(events.find((e) => e.type === 'anomaly')).toMatchObject({
      kind: 'store_error',
      store: 'limit',
    });
  });
});

describe('usage store failures on reads', () => {
  it('rejects get() with store_unavailable when lastUsed fails', async () => {
    const store = new MemoryStore();
    const broken: UsageStore = {
      recordUsage: () => {},
      queryUsage: () => [],
      lastUsed: () => {
        throw new Error('down');
      },
      pruneUsage: () => {},
    };
    const keyward = createKeyward({ prefix: PREFIX, store, usage: { store: broken } });
    const { record } = await keyward.create({ name: 'u' });
    await expect(keyward.get(record.id)).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});
