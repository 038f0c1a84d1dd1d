import { describe, expect, it } from 'vitest';
import type { OwnerLimits } from './keyward.js';
import { bearer, setup } from './test-helpers.js';
import type { VerifyResult } from './types.js';

const sync = (result: VerifyResult | Promise<VerifyResult>): VerifyResult => {
  if (result instanceof Promise) throw new Error('expected a synchronous verify');
  return result;
};
const code = (result: VerifyResult) => (result.ok ? 'ok' : result.code);

describe('owner-shared limits (ownerLimits)', () => {
  it('gives all keys of an owner one bucket, after each key’s own, with both policies in the headers', async () => {
    const calls: string[] = [];
    const { keyward } = setup({
      ownerLimits: (ownerId) => {
        calls.push(ownerId);
        return ownerId === 'acct_1'
          ? { rateLimit: { capacity: 3, refillPerSecond: 0.001 } }
          : undefined;
      },
    });
    const a = await keyward.create({
      name: 'a',
      ownerId: 'acct_1',
      rateLimit: { capacity: 10, refillPerSecond: 1 },
    });
    const b = await keyward.create({ name: 'b', ownerId: 'acct_1' });
    const other = await keyward.create({ name: 'c', ownerId: 'acct_2' });
    const alone = await keyward.create({ name: 'd' });
    const first = sync(keyward.verify(bearer(a.key)));
    expect(first.ok).toBe(true);
    expect(first.headers).toEqual({
      'ratelimit-policy': '"key";q=10;w=10, "owner";q=3;w=3000',
      ratelimit: '"key";r=9;t=0, "owner";r=2;t=0',
    });
    expect(sync(keyward.verify(bearer(b.key))).headers).toEqual({
      'ratelimit-policy': '"owner";q=3;w=3000',
      ratelimit: '"owner";r=1;t=0',
    });
    expect(code(sync(keyward.verify(bearer(a.key))))).toBe('ok');
    const refused = sync(keyward.verify(bearer(b.key)));
    expect(code(refused)).toBe('rate_limited');
    expect(refused.ok ? undefined : refused.status).toBe(429);
    expect(refused.headers['ratelimit']).toMatch(/^"owner";r=0;t=\d+$/);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    // The key's own bucket was taken first: a's own count went on.
    const again = sync(keyward.verify(bearer(a.key)));
    expect(code(again)).toBe('rate_limited');
    expect(again.headers['ratelimit']).toMatch(/^"key";r=7;t=0, "owner";r=0;t=\d+$/);
    // Another owner, and a key without an owner, are untouched.
    for (let i = 0; i < 5; i++) expect(code(sync(keyward.verify(bearer(other.key))))).toBe('ok');
    expect(sync(keyward.verify(bearer(alone.key))).headers).toEqual({});
    // One call per owner while cached.
    expect(calls.sort()).toEqual(['acct_1', 'acct_2']);
  });

  it('counts an owner quota shared by its keys: 429 quota_exceeded with "owner-quota"', async () => {
    const { keyward } = setup({ ownerLimits: () => ({ quota: { limit: 2, period: 'day' } }) });
    const a = await keyward.create({ name: 'a', ownerId: 'acct_1' });
    const b = await keyward.create({ name: 'b', ownerId: 'acct_1' });
    expect(sync(keyward.verify(bearer(a.key))).headers['ratelimit']).toBe('"owner-quota";r=1;t=0');
    expect(code(sync(keyward.verify(bearer(b.key))))).toBe('ok');
    const refused = sync(keyward.verify(bearer(a.key)));
    expect(code(refused)).toBe('quota_exceeded');
    expect(refused.headers['ratelimit-policy']).toBe('"owner-quota";q=2;w=86400');
  });

  it('costs exactly one more bucket take per request when the plan is a rate limit', async () => {
    const { keyward, store } = setup({
      ownerLimits: () => ({ rateLimit: { capacity: 100, refillPerSecond: 10 } }),
    });
    const { key } = await keyward.create({
      name: 'a',
      ownerId: 'acct_1',
      rateLimit: { capacity: 100, refillPerSecond: 10 },
    });
    const takes: string[] = [];
    const take = store.takeToken.bind(store);
    store.takeToken = (name, ...rest) => {
      takes.push(name);
      return take(name, ...rest);
    };
    const quotas: string[] = [];
    const count = store.countQuota.bind(store);
    store.countQuota = (name, ...rest) => {
      quotas.push(name);
      return count(name, ...rest);
    };
    sync(keyward.verify(bearer(key)));
    sync(keyward.verify(bearer(key)));
    expect(takes.filter((name) => name.startsWith('owner:'))).toEqual([
      'owner:acct_1',
      'owner:acct_1',
    ]);
    expect(takes).toHaveLength(4);
    expect(quotas).toEqual([]);
  });

  it('asks again after the record cache TTL, and shares one pending call', async () => {
    let calls = 0;
    let plan: OwnerLimits = { rateLimit: { capacity: 1, refillPerSecond: 0.001 } };
    const { keyward, clock } = setup({
      cache: { ttlMs: 1000 },
      ownerLimits: async () => {
        calls++;
        return plan;
      },
    });
    const { key } = await keyward.create({ name: 'a', ownerId: 'acct_1' });
    const [one, two] = await Promise.all([
      keyward.verify(bearer(key)),
      keyward.verify(bearer(key)),
    ]);
    expect(calls).toBe(1);
    expect([code(one!), code(two!)].sort()).toEqual(['ok', 'rate_limited']);
    plan = { rateLimit: { capacity: 50, refillPerSecond: 50 } };
    expect(code(await keyward.verify(bearer(key)))).toBe('rate_limited');
    clock.advance(1001);
    const fresh = await keyward.verify(bearer(key));
    expect(calls).toBe(2);
    expect(code(fresh)).toBe('ok');
  });

  it('fails closed (503 store_unavailable) when ownerLimits throws, rejects or answers nonsense', async () => {
    for (const ownerLimits of [
      () => {
        throw new Error('plans db down');
      },
      () => Promise.reject(new Error('plans db down')),
      () => ({ rateLimit: { capacity: -1, refillPerSecond: 1 } }),
      () => ({ ratelimit: { capacity: 1, refillPerSecond: 1 } }) as OwnerLimits,
      () => 'gold' as unknown as OwnerLimits,
    ]) {
      const { keyward, events } = setup({ ownerLimits });
      const { key } = await keyward.create({ name: 'a', ownerId: 'acct_1' });
      const result = await keyward.verify(bearer(key));
      expect(result.ok ? 'ok' : `${result.status} ${result.code}`).toBe('503 store_unavailable');
      expect(events.some((e) => e.type === 'anomaly' && e.kind === 'store_error')).toBe(true);
    }
  });

  it.each([
    ['bucket', 'throws'],
    ['bucket', 'rejects'],
    ['quota', 'throws'],
    ['quota', 'rejects'],
  ] as const)(
    'when the limit store %s call for the owner %s: 503 when closed, served when open',
    async (stage, how) => {
      for (const limitStoreFailure of ['closed', 'open'] as const) {
        const { keyward, store, events } = setup({
          limitStoreFailure,
          ownerLimits: () =>
            stage === 'bucket'
              ? { rateLimit: { capacity: 10, refillPerSecond: 1 } }
              : { quota: { limit: 10, period: 'day' } },
        });
        const { key } = await keyward.create({ name: 'a', ownerId: 'acct_1' });
        // The recording store is synchronous by type; a rejected Promise is what a remote one returns.
        const fail = (): never => {
          if (how === 'throws') throw new Error('limit store down');
          return Promise.reject(new Error('limit store down')) as never;
        };
        // Only the owner's calls fail: the key's own bucket is not what is tested here.
        if (stage === 'bucket') {
          const take = store.takeToken.bind(store);
          store.takeToken = (name, ...rest) =>
            name.startsWith('owner:') ? fail() : take(name, ...rest);
        } else {
          const count = store.countQuota.bind(store);
          store.countQuota = (name, ...rest) =>
            name.startsWith('owner:') ? fail() : count(name, ...rest);
        }
        const result = await keyward.verify(bearer(key));
        const expected = limitStoreFailure === 'closed' ? '503 store_unavailable' : '200 ok';
        expect(result.ok ? '200 ok' : `${result.status} ${result.code}`).toBe(expected);
        if (!result.ok) expect(result.headers['retry-after']).toBe('1');
        expect(events).toContainEqual(
          expect.objectContaining({ type: 'anomaly', kind: 'store_error', store: 'limit' }),
        );
      }
    },
  );

  it('charges a later guard’s explicit cost to the owner as well (verifyOnce)', async () => {
    const { keyward } = setup({
      ownerLimits: () => ({ rateLimit: { capacity: 4, refillPerSecond: 0.001 } }),
    });
    const { key } = await keyward.create({ name: 'a', ownerId: 'acct_1' });
    const carrier = {};
    expect(code(sync(keyward.verifyOnce(carrier, bearer(key))))).toBe('ok');
    const later = sync(keyward.verifyOnce(carrier, bearer(key), { cost: 3 }));
    expect(later.headers['ratelimit']).toBe('"owner";r=1;t=0');
    expect(code(sync(keyward.verify(bearer(key), { cost: 2 })))).toBe('rate_limited');
  });
});
