import { describe, expect, it } from 'vitest';
import { AuditChainCheck } from '../audit/chain.js';
import { sealAuditRecord } from '../audit/seal.js';
import type { AuditDraft, AuditRecord, AuditStore } from '../audit/types.js';
import type {
  KeyListQuery,
  KeyRecord,
  KeyStore,
  LimitStore,
  MaybePromise,
} from '../stores/types.js';
import { listFilterCases } from './list-filters.js';
import { randomId } from './random-id.js';
import { sampleRecord } from './sample-record.js';

export type { UsageStoreSuiteOptions } from './usage.js';
export { describeUsageStore } from './usage.js';

/**
 * Options of {@link describeLimitStore}.
 *
 * @example
 * ```ts
 * describeLimitStore('RedisStore', () => store, { ownClock: true });
 * ```
 */
export interface LimitStoreSuiteOptions {
  /**
   * The store keeps time by its own clock (e.g. the Redis server's) and ignores `now`. The suite
   * then waits in real time for refills and skips window-rollover checks that need a fake clock.
   */
  ownClock?: boolean;
}

/**
 * A record as keyward reads it: one without `type` is a secret key, so a store that fills in
 * `type: 'secret'` for a record written without one (a column default) reads back the same key.
 */
function asRead(record: KeyRecord | undefined): KeyRecord | undefined {
  if (record == null) return record;
  return record.type === undefined ? { ...record, type: 'secret' } : record;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Options of {@link describeKeyStore}.
 *
 * @example
 * ```ts
 * describeKeyStore('KvKeyStore', () => store, { listFilters: 'refused' });
 * ```
 */
export interface KeyStoreSuiteOptions {
  /**
   * `'supported'` (default): `listKeys` honours `status` and `search`, and the suite checks each
   * filter, their combinations and their pages. `'refused'`: the store refuses both with an
   * `InvalidOptionsError` (code `invalid_options`), and the suite checks that instead.
   */
  listFilters?: 'supported' | 'refused' | undefined;
}

/**
 * The key-store conformance suite. Call it inside a vitest test file with a factory that returns
 * your store (a fresh or shared one: every test uses new random ids and a unique owner).
 *
 * @example
 * ```ts
 * import { describeKeyStore } from '@keyward/core/testing';
 * describeKeyStore('MyStore', () => new MyStore());
 * ```
 */
export function describeKeyStore(
  name: string,
  factory: () => MaybePromise<KeyStore>,
  options: KeyStoreSuiteOptions = {},
): void {
  describe(`${name} — key store conformance`, () => {
    const store = async () => factory();
    listFilterCases(store, options.listFilters === 'refused');

    it('returns undefined for an unknown id', async () => {
      const s = await store();
      expect(await s.getKey(randomId())).toBeUndefined();
    });

    it('round-trips every field of a full record', async () => {
      const s = await store();
      const record = sampleRecord({
        ownerId: `owner_${randomId()}`,
        previousHash: 'hmac-sha256:v2:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
        previousHashExpiresAt: Date.UTC(2030, 0, 2, 3, 4, 5, 678),
        scopes: ['invoices:read', 'invoices:*', '*'],
        ips: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
        referrers: ['https://*.example.com/*'],
        rateLimit: { capacity: 20, refillPerSecond: 0.5 },
        quota: { limit: 10_000, period: 'month' },
        expiresAt: Date.UTC(2031, 5, 6, 7, 8, 9, 10),
        disabled: true,
        revokedAt: Date.UTC(2029, 1, 1),
        revokedReason: 'leaked — "quoted" ünïcode',
        metadata: { team: 'billing', nested: { list: [1, 'two', null, true] }, empty: null },
        rotatedAt: Date.UTC(2028, 11, 31, 23, 59, 59, 999),
        version: 7,
      });
      await s.insertKey(record);
      expect(asRead(await s.getKey(record.id))).toStrictEqual(asRead(record));
    });

    it('round-trips a publishable key of a deployment-named environment, with routes (#14)', async () => {
      const s = await store();
      const record = sampleRecord({
        environment: 'staging',
        type: 'publishable',
        referrers: ['https://shop.example.com/*'],
        routes: ['GET /invoices', 'GET /invoices/*', 'POST /reports/**', '* /health'],
        rateLimit: { capacity: 20, refillPerSecond: 1 },
      });
      await s.insertKey(record);
      expect(await s.getKey(record.id)).toStrictEqual(record);
      const secret = sampleRecord({ environment: 'dev2', type: 'secret' });
      await s.insertKey(secret);
      expect(await s.getKey(secret.id)).toStrictEqual(secret);
      const next: KeyRecord = { ...record, routes: ['GET /health'], version: 2 };
      expect(await s.updateKey(next, 1)).toBe(true);
      expect(await s.getKey(record.id)).toStrictEqual(next);
      const { routes: _routes, ...withoutRoutes } = next;
      const last: KeyRecord = { ...withoutRoutes, version: 3 };
      expect(await s.updateKey(last, 2)).toBe(true);
      const stored = await s.getKey(record.id);
      expect(stored).toStrictEqual(last);
      expect(stored !== undefined && 'routes' in stored).toBe(false);
    });

    it('lists by type, a record without one counting as secret (#14)', async () => {
      const s = await store();
      const owner = `owner_${randomId()}`;
      const publishable: string[] = [];
      const secret: string[] = [];
      for (let i = 0; i < 5; i++) {
        const type = i % 2 === 0 ? 'publishable' : i === 1 ? 'secret' : undefined;
        const record = sampleRecord({
          ownerId: owner,
          environment: i < 2 ? 'staging' : 'live',
          ...(type === undefined ? {} : { type }),
        });
        await s.insertKey(record);
        (type === 'publishable' ? publishable : secret).push(record.id);
      }
      const ids = async (query: Partial<KeyListQuery>) =>
        (await s.listKeys({ ownerId: owner, limit: 100, ...query })).items
          .map((item) => item.id)
          .sort();
      expect(await ids({ type: 'publishable' })).toStrictEqual([...publishable].sort());
      expect(await ids({ type: 'secret' })).toStrictEqual([...secret].sort());
      expect(await ids({})).toStrictEqual([...publishable, ...secret].sort());
      expect(await ids({ type: 'publishable', environment: 'staging' })).toStrictEqual(
        [publishable[0]!].sort(),
      );
      const onePerPage = await s.listKeys({ ownerId: owner, type: 'publishable', limit: 1 });
      expect(onePerPage.items).toHaveLength(1);
      expect(onePerPage.cursor ?? undefined).toBeDefined();
    });

    it('keeps absent optional fields absent', async () => {
      const s = await store();
      const record = sampleRecord();
      await s.insertKey(record);
      const stored = (await s.getKey(record.id))!;
      expect(asRead(stored)).toStrictEqual(asRead(record));
      for (const field of [
        'ownerId',
        'ips',
        'referrers',
        'routes',
        'rateLimit',
        'quota',
        'expiresAt',
        'revokedAt',
        'metadata',
        'previousHash',
      ]) {
        expect(field in stored, `${field} should be absent`).toBe(false);
      }
    });

    it('refuses a duplicate id with code duplicate_key_id', async () => {
      const s = await store();
      const record = sampleRecord();
      await s.insertKey(record);
      let error: unknown;
      try {
        await s.insertKey({ ...record, name: 'other' });
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string } | undefined)?.code).toBe('duplicate_key_id');
      expect((await s.getKey(record.id))?.name).toBe('conformance');
    });

    it('updates when the version matches and refuses a stale version', async () => {
      const s = await store();
      const record = sampleRecord();
      await s.insertKey(record);
      const next = { ...record, name: 'renamed', version: 2, updatedAt: record.updatedAt + 1 };
      expect(await s.updateKey(next, 1)).toBe(true);
      expect(asRead(await s.getKey(record.id))).toStrictEqual(asRead(next));
      const stale = { ...record, name: 'stale', version: 2 };
      expect(await s.updateKey(stale, 1)).toBe(false);
      expect((await s.getKey(record.id))?.name).toBe('renamed');
    });

    it('removes fields an update leaves out', async () => {
      const s = await store();
      const record = sampleRecord({
        ips: ['10.0.0.0/8'],
        metadata: { a: 1 },
        expiresAt: Date.now() + 1e6,
      });
      await s.insertKey(record);
      const { ips: _ips, metadata: _metadata, expiresAt: _expiresAt, ...rest } = record;
      const next: KeyRecord = { ...rest, version: 2 };
      expect(await s.updateKey(next, 1)).toBe(true);
      expect(asRead(await s.getKey(record.id))).toStrictEqual(asRead(next));
    });

    it('reports false when updating a missing record', async () => {
      const s = await store();
      expect(await s.updateKey(sampleRecord({ version: 2 }), 1)).toBe(false);
    });

    it('lets exactly one of many concurrent updates of one version win', async () => {
      const s = await store();
      const record = sampleRecord();
      await s.insertKey(record);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          Promise.resolve(s.updateKey({ ...record, name: `writer ${i}`, version: 2 }, 1)),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await s.getKey(record.id))?.name).toBe(`writer ${winner}`);
    });

    it('lists by owner and environment, paginating without gaps or repeats', async () => {
      const s = await store();
      const owner = `owner_${randomId()}`;
      const live: string[] = [];
      const test: string[] = [];
      for (let i = 0; i < 7; i++) {
        const record = sampleRecord({ ownerId: owner, environment: i % 3 === 0 ? 'live' : 'test' });
        await s.insertKey(record);
        (record.environment === 'live' ? live : test).push(record.id);
      }
      await s.insertKey(sampleRecord({ ownerId: `other_${randomId()}` }));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.listKeys({ ownerId: owner, limit: 3, cursor });
        expect(page.items.length).toBeLessThanOrEqual(3);
        for (const item of page.items) expect(item.ownerId).toBe(owner);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.cursor ?? undefined;
        pages++;
      } while (cursor !== undefined && pages < 10);
      expect([...seen].sort()).toStrictEqual([...live, ...test].sort());
      expect(new Set(seen).size).toBe(seen.length);
      const onlyLive = await s.listKeys({ ownerId: owner, environment: 'live', limit: 100 });
      expect(onlyLive.items.map((item) => item.id).sort()).toStrictEqual([...live].sort());
      expect(onlyLive.cursor ?? undefined).toBeUndefined();
    });
  });
}

/**
 * The limit-store conformance suite: token buckets (drain, refill, cost, concurrency) and quota
 * windows. Every test uses new random bucket names.
 *
 * @example
 * ```ts
 * import { describeLimitStore } from '@keyward/core/testing';
 * describeLimitStore('MyStore', () => new MyStore());
 * describeLimitStore('RedisStore', () => redisStore, { ownClock: true });
 * ```
 */
export function describeLimitStore(
  name: string,
  factory: () => MaybePromise<LimitStore>,
  options: LimitStoreSuiteOptions = {},
): void {
  describe(`${name} — limit store conformance`, () => {
    const store = async () => factory();

    it('starts full, drains to zero, then refuses with a wait', async () => {
      const s = await store();
      const bucket = `bucket_${randomId()}`;
      const limit = { capacity: 3, refillPerSecond: 0.1 };
      const now = Date.now();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await s.takeToken(bucket, limit, 1, now));
      expect(results.map((r) => r.allowed)).toStrictEqual([true, true, true, false]);
      expect(results.map((r) => r.remaining)).toStrictEqual([2, 1, 0, 0]);
      expect(results[3]!.retryAfterMs).toBeGreaterThan(9_000);
      expect(results[3]!.retryAfterMs).toBeLessThanOrEqual(10_000);
      expect(results[0]!.retryAfterMs).toBe(0);
    });

    it('refills over time at refillPerSecond', async () => {
      const s = await store();
      const bucket = `bucket_${randomId()}`;
      // A store on its own clock sees the real time between the calls: its refill is slow enough
      // that a loaded machine's gap between the two takes cannot refill a token (1 s per token).
      const refillPerSecond = options.ownClock ? 1 : 20;
      const wait = options.ownClock ? 1_100 : 120;
      const limit = { capacity: 2, refillPerSecond };
      const start = Date.now();
      await s.takeToken(bucket, limit, 2, start);
      expect((await s.takeToken(bucket, limit, 1, start)).allowed).toBe(false);
      if (options.ownClock) await sleep(wait);
      const later = await s.takeToken(bucket, limit, 1, start + wait);
      expect(later.allowed).toBe(true);
    });

    it('charges cost > 1 and refuses a cost above what is left', async () => {
      const s = await store();
      const bucket = `bucket_${randomId()}`;
      const limit = { capacity: 10, refillPerSecond: 0.01 };
      const now = Date.now();
      const first = await s.takeToken(bucket, limit, 7, now);
      expect(first.allowed).toBe(true);
      expect(first.remaining).toBe(3);
      const second = await s.takeToken(bucket, limit, 4, now);
      expect(second.allowed).toBe(false);
      expect(second.remaining).toBe(3);
      expect((await s.takeToken(bucket, limit, 3, now)).allowed).toBe(true);
    });

    it('refuses a cost larger than the capacity', async () => {
      const s = await store();
      const result = await s.takeToken(
        `bucket_${randomId()}`,
        { capacity: 5, refillPerSecond: 1 },
        6,
        Date.now(),
      );
      expect(result.allowed).toBe(false);
    });

    it('keeps buckets apart', async () => {
      const s = await store();
      const limit = { capacity: 1, refillPerSecond: 0.01 };
      const now = Date.now();
      expect((await s.takeToken(`a_${randomId()}`, limit, 1, now)).allowed).toBe(true);
      expect((await s.takeToken(`b_${randomId()}`, limit, 1, now)).allowed).toBe(true);
    });

    it('never over-grants under concurrent takes', async () => {
      const s = await store();
      const bucket = `bucket_${randomId()}`;
      const limit = { capacity: 10, refillPerSecond: 0.001 };
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 60 }, () => Promise.resolve(s.takeToken(bucket, limit, 1, now))),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    });

    it('counts a quota and refuses past the limit until the window resets', async () => {
      const s = await store();
      const name = `quota_${randomId()}`;
      const quota = { limit: 3, period: 'hour' as const };
      const now = Date.now();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await s.countQuota(name, quota, 1, now));
      expect(results.map((r) => r.allowed)).toStrictEqual([true, true, true, false]);
      expect(results.map((r) => r.remaining)).toStrictEqual([2, 1, 0, 0]);
      expect(results[3]!.retryAfterMs).toBeGreaterThan(0);
      expect(results[3]!.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    });

    it('charges quota cost > 1 and keeps quotas apart', async () => {
      const s = await store();
      const quota = { limit: 10, period: 'day' as const };
      const now = Date.now();
      const a = `quota_${randomId()}`;
      expect((await s.countQuota(a, quota, 8, now)).remaining).toBe(2);
      expect((await s.countQuota(a, quota, 3, now)).allowed).toBe(false);
      expect((await s.countQuota(`quota_${randomId()}`, quota, 3, now)).allowed).toBe(true);
    });

    it('never over-counts a quota under concurrency', async () => {
      const s = await store();
      const name = `quota_${randomId()}`;
      // A day: a store on its own clock counts by real time, and a window boundary falling between
      // the calls (every minute for `minute`) would start a fresh count and grant more than 10.
      const quota = { limit: 10, period: 'day' as const };
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 40 }, () => Promise.resolve(s.countQuota(name, quota, 1, now))),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    });

    it.skipIf(options.ownClock === true)(
      'starts a new quota window at the UTC boundary',
      async () => {
        const s = await store();
        const name = `quota_${randomId()}`;
        const quota = { limit: 1, period: 'day' as const };
        const beforeMidnight = Date.UTC(2030, 0, 1, 23, 59, 59, 999);
        expect((await s.countQuota(name, quota, 1, beforeMidnight)).allowed).toBe(true);
        const refused = await s.countQuota(name, quota, 1, beforeMidnight);
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterMs).toBe(1);
        expect((await s.countQuota(name, quota, 1, beforeMidnight + 1)).allowed).toBe(true);
      },
    );
  });
}

function sampleDraft(keyId: string, overrides: Partial<AuditDraft> = {}): AuditDraft {
  return {
    id: `aud_${randomId()}${randomId()}`,
    at: Date.now(),
    type: 'key.updated',
    keyId,
    ...overrides,
  };
}

/** Every entry of the trail, in seq order, read in pages of 1000 (bounded by `max`). */
async function readTrail(store: AuditStore, max = 1_000_000): Promise<AuditRecord[]> {
  const all: AuditRecord[] = [];
  let afterSeq = 0;
  while (all.length < max) {
    const page = await store.listAudit({ afterSeq, limit: 1000 });
    all.push(...page);
    const last = page[page.length - 1];
    if (page.length < 1000 || last === undefined) break;
    afterSeq = last.seq;
  }
  return all;
}

function isKeyStore(store: unknown): store is KeyStore & AuditStore {
  return typeof (store as KeyStore).insertKey === 'function';
}

/**
 * The audit-store conformance suite: a hash chain sealed with `sealAuditRecord` (seq without
 * gaps, each entry chained to the one before), exact round trips, listing by key, time and seq,
 * concurrent appends keeping one chain, no way to change an entry, and — for a store that is also
 * a key store — entries appended with `insertKey`/`updateKey` only when the write happened. The
 * factory may return a shared store: every test uses new random key ids.
 *
 * @example
 * ```ts
 * import { describeAuditStore } from '@keyward/core/testing';
 * describeAuditStore('MyStore', () => new MyStore());
 * ```
 */
export function describeAuditStore(name: string, factory: () => MaybePromise<AuditStore>): void {
  describe(`${name} — audit store conformance`, () => {
    const store = async () => factory();

    it('seals each append after the last entry: the next seq, chained to its hash', async () => {
      const s = await store();
      const keyId = randomId();
      const first = await s.appendAudit(sampleDraft(keyId, { type: 'key.created' }));
      const second = await s.appendAudit(sampleDraft(keyId));
      expect(first.seq).toBeGreaterThanOrEqual(1);
      expect(second.seq).toBeGreaterThan(first.seq);
      const [before] =
        first.seq === 1 ? [undefined] : await s.listAudit({ afterSeq: first.seq - 2, limit: 1 });
      expect(first.prevHash).toBe(before?.hash ?? '0'.repeat(64));
      const { seq: _seq, prevHash: _prev, hash: _hash, ...draft } = first;
      expect(first).toStrictEqual(sealAuditRecord(draft, before));
      expect(second.hash).toMatch(/^[0-9a-f]{64}$/);
      expect((await s.listAudit({ keyId, limit: 10 })).map((r) => r.seq)).toStrictEqual([
        first.seq,
        second.seq,
      ]);
    });

    it('returns every field as it was sealed, and keeps absent fields absent', async () => {
      const s = await store();
      const keyId = randomId();
      const full = await s.appendAudit(
        sampleDraft(keyId, {
          type: 'key.revoked',
          actor: { type: 'console', id: 'adm_ünï "quoted"' },
          reason: 'leaked — "quoted" ünïcode 🔑',
          changes: {
            revokedAt: { from: null, to: Date.UTC(2030, 0, 1) },
            scopes: { from: ['a:read', 'b:*'], to: [] },
            metadata: { from: { nested: { list: [1, 'two', null, true, 0.5] } }, to: null },
          },
        }),
      );
      const bare = await s.appendAudit(sampleDraft(keyId));
      const listed = await s.listAudit({ keyId, limit: 10 });
      expect(listed).toStrictEqual([full, bare]);
      for (const field of ['actor', 'reason', 'changes']) {
        expect(field in listed[1]!, `${field} should be absent`).toBe(false);
      }
    });

    it('lists by key, since a time and after a seq, in seq order, up to the limit', async () => {
      const s = await store();
      const keyId = randomId();
      const other = randomId();
      // Later than every entry so far: a sealed entry is never earlier than the one before.
      const base = Math.max(Date.now(), ((await readTrail(s)).at(-1)?.at ?? 0) + 1);
      const mine: AuditRecord[] = [];
      for (let i = 0; i < 5; i++) {
        mine.push(await s.appendAudit(sampleDraft(keyId, { at: base + i * 1000 })));
        await s.appendAudit(sampleDraft(other, { at: base + i * 1000 }));
      }
      const seqs = (records: AuditRecord[]) => records.map((r) => r.seq);
      expect(seqs(await s.listAudit({ keyId, limit: 3 }))).toStrictEqual(seqs(mine.slice(0, 3)));
      expect(seqs(await s.listAudit({ keyId, afterSeq: mine[2]!.seq, limit: 10 }))).toStrictEqual(
        seqs(mine.slice(3)),
      );
      expect(seqs(await s.listAudit({ keyId, since: base + 2500, limit: 10 }))).toStrictEqual(
        seqs(mine.slice(3)),
      );
      const all = await s.listAudit({ afterSeq: mine[0]!.seq - 1, limit: 4 });
      expect(all).toHaveLength(4);
      expect(all.map((r) => r.seq)).toStrictEqual([0, 1, 2, 3].map((i) => mine[0]!.seq + i));
    });

    it('never lets an entry’s time go back before the entry it follows', async () => {
      const s = await store();
      const keyId = randomId();
      const later = await s.appendAudit(sampleDraft(keyId, { at: Date.now() + 60_000 }));
      const earlier = await s.appendAudit(sampleDraft(keyId, { at: Date.now() - 60_000 }));
      expect(earlier.at).toBe(later.at);
    });

    it('keeps one unbroken chain under concurrent appends', async () => {
      const s = await store();
      const keyId = randomId();
      const appended = await Promise.all(
        Array.from({ length: 16 }, () => Promise.resolve(s.appendAudit(sampleDraft(keyId)))),
      );
      const seqs = appended.map((r) => r.seq).sort((a, b) => a - b);
      expect(new Set(seqs).size).toBe(16);
      expect(seqs[15]! - seqs[0]!).toBe(15);
      const check = new AuditChainCheck();
      const trail = await readTrail(s);
      for (const record of trail) expect(check.next(record), `entry ${record.seq}`).toBeUndefined();
      expect(check.count).toBe(trail.length);
    });

    it('offers no way to change or remove an entry', async () => {
      const s = await store();
      const names = new Set<string>();
      for (let o: object | null = s; o !== null && o !== Object.prototype; ) {
        for (const key of Object.getOwnPropertyNames(o)) names.add(key);
        o = Object.getPrototypeOf(o) as object | null;
      }
      const mutators = [...names].filter((n) =>
        /^(update|delete|remove|clear|truncate|set|replace|prune)\w*audit/i.test(n),
      );
      expect(mutators).toStrictEqual([]);
    });

    it('appends with insertKey and updateKey only when the write happened', async (context) => {
      const s = await store();
      if (!isKeyStore(s)) {
        context.skip();
        return;
      }
      const record = sampleRecord();
      await s.insertKey(record, sampleDraft(record.id, { type: 'key.created' }));
      let duplicate: unknown;
      try {
        await s.insertKey({ ...record }, sampleDraft(record.id, { type: 'key.created' }));
      } catch (error) {
        duplicate = error;
      }
      expect((duplicate as { code?: string } | undefined)?.code).toBe('duplicate_key_id');
      const next = { ...record, name: 'renamed', version: 2 };
      expect(await s.updateKey(next, 1, sampleDraft(record.id, { reason: 'won' }))).toBe(true);
      expect(await s.updateKey({ ...next, name: 'stale' }, 1, sampleDraft(record.id))).toBe(false);
      expect(await s.updateKey(sampleRecord({ version: 2 }), 1, sampleDraft(record.id))).toBe(
        false,
      );
      const entries = await s.listAudit({ keyId: record.id, limit: 10 });
      expect(entries.map((e) => [e.type, e.reason])).toStrictEqual([
        ['key.created', undefined],
        ['key.updated', 'won'],
      ]);
      expect((await s.getKey(record.id))?.name).toBe('renamed');
    });
  });
}
