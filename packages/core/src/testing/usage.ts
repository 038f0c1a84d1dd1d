import { describe, expect, it } from 'vitest';
import type { MaybePromise } from '../stores/types.js';
import { USAGE_OUTCOMES } from '../usage/buckets.js';
import type { UsageQuery, UsageRow, UsageStore, UsageTotal } from '../usage/types.js';
import { randomId } from './random-id.js';

/**
 * Options of {@link describeUsageStore}.
 *
 * @example
 * ```ts
 * describeUsageStore('RedisStore', () => store, { secondWriter: () => otherStore, ownClock: true });
 * ```
 */
export interface UsageStoreSuiteOptions {
  /**
   * Another store over the same data (its own connection), for the two-writers test. Default:
   * the factory again.
   */
  secondWriter?: () => MaybePromise<UsageStore>;
  /**
   * The store prunes by its own clock (e.g. Redis key expiry) and ignores `pruneUsage(now)`: the
   * retention checks that need a chosen `now` are skipped.
   */
  ownClock?: boolean;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A random UTC day start between 2031 and 2040, so tests sharing a store never share a bucket. */
function randomDay(): number {
  const [word] = globalThis.crypto.getRandomValues(new Uint32Array(1));
  return Date.UTC(2031, 0, 1) + ((word ?? 0) % 3600) * DAY;
}

function row(overrides: Partial<UsageRow> & Pick<UsageRow, 'keyId' | 'minute'>): UsageRow {
  return { outcome: 'verified', route: '', count: 1, cost: 1, ...overrides };
}

/** Totals in a stable order, for comparing. */
function sorted(totals: readonly UsageTotal[]): UsageTotal[] {
  const key = (t: UsageTotal) => `${String(t.start).padStart(16, '0')}\n${t.route}\n${t.outcome}`;
  return totals
    .map((t) => ({
      start: t.start,
      route: t.route,
      outcome: t.outcome,
      count: t.count,
      cost: t.cost,
    }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function query(overrides: Partial<UsageQuery> & Pick<UsageQuery, 'from' | 'to'>): UsageQuery {
  return { granularity: 'minute', groupBy: 'time', ...overrides };
}

/**
 * A random day on which `store` holds no usage at all, for a test that reads the whole
 * deployment's totals: two tests of a shared store (or of earlier runs on the same database) can
 * draw the same random day, 1 in 3,600 per pair.
 */
async function emptyDay(store: UsageStore): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const day = randomDay();
    const held = await store.queryUsage(query({ from: day, to: day + DAY, granularity: 'day' }));
    if (held.length === 0) return day;
  }
  throw new Error('no empty day in 20 random draws: the store holds usage on most days');
}

/**
 * The usage-store conformance suite: rows added (never replaced) per minute, hour and day, by
 * key, owner and for the whole deployment, grouped by time or route; two writers adding to one
 * row; a batch applied once; last use as a maximum; retention. Every test writes to its own
 * random day between 2031 and 2040 with new random key ids, so a shared store is fine.
 *
 * @example
 * ```ts
 * import { describeUsageStore } from '@keyward/core/testing';
 * describeUsageStore('MyStore', () => new MyStore());
 * ```
 */
export function describeUsageStore(
  name: string,
  factory: () => MaybePromise<UsageStore>,
  options: UsageStoreSuiteOptions = {},
): void {
  describe(`${name} — usage store conformance`, () => {
    const store = async () => factory();
    const second = async () => (options.secondWriter ?? factory)();

    it('returns nothing for a key with no usage', async () => {
      const s = await store();
      const day = randomDay();
      expect(await s.queryUsage(query({ keyId: randomId(), from: day, to: day + DAY }))).toEqual(
        [],
      );
      expect((await s.lastUsed([randomId()])).size).toBe(0);
    });

    it('adds rows per minute, hour and day, keeping outcomes apart and summing routes', async () => {
      const s = await store();
      const day = randomDay();
      const keyId = randomId();
      const m = day + 5 * HOUR + 7 * MINUTE;
      await s.recordUsage(
        [
          row({ keyId, minute: m, route: 'GET /invoices', count: 3, cost: 6 }),
          row({ keyId, minute: m, route: 'GET /invoices/:id', count: 2, cost: 2 }),
          row({
            keyId,
            minute: m,
            outcome: 'rate_limited',
            route: 'GET /invoices',
            count: 4,
            cost: 4,
          }),
          row({ keyId, minute: m + MINUTE, count: 5, cost: 5 }),
          row({ keyId, minute: m + HOUR, count: 7, cost: 7 }),
          row({ keyId: randomId(), minute: m, count: 100, cost: 100 }),
        ],
        new Map(),
      );
      expect(sorted(await s.queryUsage(query({ keyId, from: day, to: day + DAY })))).toEqual([
        { start: m, route: '', outcome: 'rate_limited', count: 4, cost: 4 },
        { start: m, route: '', outcome: 'verified', count: 5, cost: 8 },
        { start: m + MINUTE, route: '', outcome: 'verified', count: 5, cost: 5 },
        { start: m + HOUR, route: '', outcome: 'verified', count: 7, cost: 7 },
      ]);
      const hours = await s.queryUsage(
        query({ keyId, from: day, to: day + DAY, granularity: 'hour' }),
      );
      expect(sorted(hours)).toEqual([
        { start: day + 5 * HOUR, route: '', outcome: 'rate_limited', count: 4, cost: 4 },
        { start: day + 5 * HOUR, route: '', outcome: 'verified', count: 10, cost: 13 },
        { start: day + 6 * HOUR, route: '', outcome: 'verified', count: 7, cost: 7 },
      ]);
      const days = await s.queryUsage(
        query({ keyId, from: day - DAY, to: day + 2 * DAY, granularity: 'day' }),
      );
      expect(sorted(days)).toEqual([
        { start: day, route: '', outcome: 'rate_limited', count: 4, cost: 4 },
        { start: day, route: '', outcome: 'verified', count: 17, cost: 20 },
      ]);
    });

    it('reads only [from, to)', async () => {
      const s = await store();
      const day = randomDay();
      const keyId = randomId();
      await s.recordUsage(
        [9, 10, 11, 12].map((i) => row({ keyId, minute: day + i * MINUTE, count: i, cost: i })),
        new Map(),
      );
      const totals = await s.queryUsage(
        query({ keyId, from: day + 10 * MINUTE, to: day + 12 * MINUTE }),
      );
      expect(sorted(totals).map((t) => t.count)).toEqual([10, 11]);
    });

    it('groups by route over the whole range', async () => {
      const s = await store();
      const day = randomDay();
      const keyId = randomId();
      await s.recordUsage(
        [
          row({ keyId, minute: day, route: 'GET /invoices', count: 2, cost: 2 }),
          row({ keyId, minute: day + 3 * HOUR, route: 'GET /invoices', count: 5, cost: 10 }),
          row({ keyId, minute: day + HOUR, route: 'POST /reports/:id', count: 1, cost: 3 }),
          row({
            keyId,
            minute: day + 2 * MINUTE,
            outcome: 'insufficient_scope',
            route: 'POST /reports/:id',
            count: 4,
            cost: 4,
          }),
          row({ keyId, minute: day + 4 * HOUR, count: 6, cost: 6 }),
        ],
        new Map(),
      );
      for (const granularity of ['minute', 'hour', 'day'] as const) {
        const totals = await s.queryUsage(
          query({ keyId, from: day, to: day + DAY, granularity, groupBy: 'route' }),
        );
        expect(sorted(totals), granularity).toEqual([
          { start: day, route: '', outcome: 'verified', count: 6, cost: 6 },
          { start: day, route: 'GET /invoices', outcome: 'verified', count: 7, cost: 12 },
          {
            start: day,
            route: 'POST /reports/:id',
            outcome: 'insufficient_scope',
            count: 4,
            cost: 4,
          },
          { start: day, route: 'POST /reports/:id', outcome: 'verified', count: 1, cost: 3 },
        ]);
      }
    });

    it('adds a row recorded again instead of replacing it', async () => {
      const s = await store();
      const day = randomDay();
      const keyId = randomId();
      for (let i = 0; i < 3; i++) {
        await s.recordUsage([row({ keyId, minute: day, count: 2, cost: 5 })], new Map());
      }
      expect(await s.queryUsage(query({ keyId, from: day, to: day + MINUTE }))).toEqual([
        { start: day, route: '', outcome: 'verified', count: 6, cost: 15 },
      ]);
    });

    it('lets two writers add to the same row at once without losing a count', async () => {
      const [a, b] = [await store(), await second()];
      const day = randomDay();
      const keyId = randomId();
      const ownerId = `owner_${randomId()}`;
      const writes = Array.from({ length: 20 }, (_, i) =>
        Promise.resolve(
          (i % 2 === 0 ? a : b).recordUsage(
            [
              row({
                keyId,
                ownerId,
                minute: day,
                route: 'GET /x',
                count: i + 1,
                cost: 2 * (i + 1),
              }),
            ],
            new Map([[keyId, day + i]]),
          ),
        ),
      );
      await Promise.all(writes);
      const expected = [{ start: day, route: '', outcome: 'verified', count: 210, cost: 420 }];
      expect(await a.queryUsage(query({ keyId, from: day, to: day + MINUTE }))).toEqual(expected);
      expect(await b.queryUsage(query({ ownerId, from: day, to: day + MINUTE }))).toEqual(expected);
      expect((await b.lastUsed([keyId])).get(keyId)).toBe(day + 19);
    });

    it('applies a batch id once', async () => {
      const s = await store();
      const day = randomDay();
      const keyId = randomId();
      const batch = [row({ keyId, minute: day, count: 3, cost: 3 })];
      const batchId = `batch_${randomId()}`;
      await s.recordUsage(batch, new Map([[keyId, day]]), batchId);
      await s.recordUsage(batch, new Map([[keyId, day]]), batchId);
      await s.recordUsage(batch, new Map(), `batch_${randomId()}`);
      expect(await s.queryUsage(query({ keyId, from: day, to: day + MINUTE }))).toEqual([
        { start: day, route: '', outcome: 'verified', count: 6, cost: 6 },
      ]);
    });

    it('sums an owner’s keys, and everything for the deployment', async () => {
      const s = await store();
      const day = await emptyDay(s);
      const ownerId = `owner_${randomId()}`;
      const [k1, k2, other] = [randomId(), randomId(), randomId()];
      await s.recordUsage(
        [
          row({ keyId: k1, ownerId, minute: day, count: 2, cost: 2 }),
          row({ keyId: k2, ownerId, minute: day, count: 3, cost: 3 }),
          row({ keyId: k2, ownerId, minute: day, outcome: 'ip_not_allowed', count: 1, cost: 1 }),
          row({ keyId: other, ownerId: `owner_${randomId()}`, minute: day, count: 10, cost: 10 }),
          row({ keyId: '', minute: day, outcome: 'missing_key', count: 4, cost: 4 }),
        ],
        new Map(),
      );
      expect(sorted(await s.queryUsage(query({ ownerId, from: day, to: day + MINUTE })))).toEqual([
        { start: day, route: '', outcome: 'ip_not_allowed', count: 1, cost: 1 },
        { start: day, route: '', outcome: 'verified', count: 5, cost: 5 },
      ]);
      const everything = await s.queryUsage(
        query({ from: day, to: day + DAY, granularity: 'hour' }),
      );
      expect(sorted(everything)).toEqual([
        { start: day, route: '', outcome: 'ip_not_allowed', count: 1, cost: 1 },
        { start: day, route: '', outcome: 'missing_key', count: 4, cost: 4 },
        { start: day, route: '', outcome: 'verified', count: 15, cost: 15 },
      ]);
    });

    it('round-trips every outcome and unusual route text', async () => {
      const s = await store();
      const day = randomDay();
      const keyId = randomId();
      const routes = ['', 'GET /a|b/:id', 'POST /ünïcode/✓', 'PUT /x\ny', 'DELETE /*'];
      const rows = USAGE_OUTCOMES.map((outcome, i) =>
        row({
          keyId,
          minute: day,
          outcome,
          route: routes[i % routes.length]!,
          count: i + 1,
          cost: i + 1,
        }),
      );
      await s.recordUsage(rows, new Map());
      const totals = await s.queryUsage(
        query({ keyId, from: day, to: day + MINUTE, groupBy: 'route' }),
      );
      expect(sorted(totals)).toEqual(
        sorted(
          rows.map((r) => ({
            start: day,
            route: r.route,
            outcome: r.outcome,
            count: r.count,
            cost: r.cost,
          })),
        ),
      );
    });

    it('records a large batch whole', async () => {
      const s = await store();
      const day = await emptyDay(s);
      const keys = Array.from({ length: 500 }, () => randomId());
      const rows = keys.flatMap((keyId, i) => [
        row({ keyId, minute: day + (i % 60) * MINUTE, count: 1, cost: 1 }),
        row({
          keyId,
          minute: day + (i % 60) * MINUTE,
          outcome: 'rate_limited',
          route: 'GET /r',
          count: 2,
          cost: 2,
        }),
        row({ keyId, minute: day + HOUR, route: 'GET /r', count: 3, cost: 3 }),
        row({ keyId, minute: day + 2 * HOUR, count: 4, cost: 4 }),
      ]);
      await s.recordUsage(rows, new Map(keys.map((keyId, i) => [keyId, day + i])));
      const all = await s.queryUsage(query({ from: day, to: day + DAY, granularity: 'day' }));
      expect(all.reduce((sum, t) => sum + t.count, 0)).toBe(500 * 10);
      const sample = keys[123]!;
      const hours = await s.queryUsage(
        query({ keyId: sample, from: day, to: day + DAY, granularity: 'hour' }),
      );
      expect(sorted(hours).map((t) => [t.start - day, t.outcome, t.count])).toEqual([
        [0, 'rate_limited', 2],
        [0, 'verified', 1],
        [HOUR, 'verified', 3],
        [2 * HOUR, 'verified', 4],
      ]);
      const last = await s.lastUsed(keys);
      expect(last.size).toBe(500);
      expect(last.get(sample)).toBe(day + 123);
    });

    it('keeps the latest last use of each key and reads many at once', async () => {
      const s = await store();
      const day = randomDay();
      const [a, b, c] = [randomId(), randomId(), randomId()];
      await s.recordUsage(
        [],
        new Map([
          [a, day + 100],
          [b, day + 5],
        ]),
      );
      await s.recordUsage(
        [],
        new Map([
          [a, day + 50],
          [b, day + 7],
        ]),
      );
      const found = await s.lastUsed([a, b, c]);
      expect(found.get(a)).toBe(day + 100);
      expect(found.get(b)).toBe(day + 7);
      expect(found.has(c)).toBe(false);
    });

    it.skipIf(options.ownClock === true)(
      'prunes by retention: minute rows after 7 days (still counted per hour), hour rows after 90 (per day), day rows after 3 years',
      async () => {
        const s = await store();
        const day = randomDay();
        const keyId = randomId();
        await s.recordUsage(
          [row({ keyId, minute: day + 30 * MINUTE, count: 3, cost: 4 })],
          new Map(),
        );
        const read = async (granularity: 'minute' | 'hour' | 'day') =>
          (await s.queryUsage(query({ keyId, from: day, to: day + DAY, granularity }))).reduce(
            (sum, t) => sum + t.count,
            0,
          );
        await s.pruneUsage(day + 6 * DAY);
        expect([await read('minute'), await read('hour'), await read('day')]).toEqual([3, 3, 3]);
        await s.pruneUsage(day + 8 * DAY);
        expect([await read('minute'), await read('hour'), await read('day')]).toEqual([0, 3, 3]);
        await s.pruneUsage(day + 92 * DAY);
        expect([await read('minute'), await read('hour'), await read('day')]).toEqual([0, 0, 3]);
        await s.pruneUsage(day + 4 * 365 * DAY);
        expect([await read('minute'), await read('hour'), await read('day')]).toEqual([0, 0, 0]);
      },
    );
  });
}
