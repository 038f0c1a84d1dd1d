import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatCount,
  newOwnerHeaderMemo,
  rateLimitHeaders,
  withOwnerHeaders,
} from './rate-limit-headers.js';

describe('formatCount', () => {
  it('writes the same digits as String() at the edges of the split', () => {
    const edges = [
      0,
      1,
      9,
      10,
      999_999_999,
      1_000_000_000,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 31 + 1,
      2 ** 32,
      1e12,
      1e12 - 1,
      1e12 + 1,
      5_000_000_007,
      1_000_000_000_000_000,
      1_000_000_000_000_001,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const count of edges) expect(formatCount(count)).toBe(String(count));
  });

  it('writes the same digits as String() for any whole count, and leaves other numbers alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (count) => {
        expect(formatCount(count)).toBe(String(count));
      }),
      { numRuns: 2000 },
    );
    for (const count of [2 ** 31 + 0.5, 2 ** 60, 1e21, 0.5]) {
      expect(formatCount(count)).toBe(String(count));
    }
  });
});

describe('rateLimitHeaders', () => {
  it('writes large remaining counts exactly', () => {
    const headers = rateLimitHeaders(
      { capacity: 1e12, refillPerSecond: 1e9 },
      { allowed: true, remaining: 999_999_000_007, resetMs: 1, retryAfterMs: 0 },
      { limit: 3e12, period: 'day' },
      { allowed: true, remaining: 2_000_000_000_005, resetMs: 1000, retryAfterMs: 0 },
    );
    expect(headers).toEqual({
      'ratelimit-policy': '"key";q=1000000000000;w=1000, "quota";q=3000000000000;w=86400',
      ratelimit: '"key";r=999999000007;t=0, "quota";r=2000000000005;t=0',
    });
  });

  it('shows each state exactly when states that share a table slot alternate', () => {
    const limit = { capacity: 1000, refillPerSecond: 1 };
    const quota = { limit: 5000, period: 'hour' } as const;
    const bucket = (remaining: number) => ({
      allowed: true,
      remaining,
      resetMs: 1000,
      retryAfterMs: 0,
    });
    // 5, 1029 and 2053 fall in one slot of the state table (mod 1024), so each replaces the other.
    for (let round = 0; round < 3; round++) {
      for (const remaining of [5, 1029, 2053, 5 + 2 ** 32]) {
        expect(rateLimitHeaders(limit, bucket(remaining), undefined, undefined).ratelimit).toBe(
          `"key";r=${remaining};t=0`,
        );
        expect(rateLimitHeaders(limit, bucket(remaining), quota, bucket(7)).ratelimit).toBe(
          `"key";r=${remaining};t=0, "quota";r=7;t=0`,
        );
        expect(rateLimitHeaders(undefined, undefined, quota, bucket(remaining)).ratelimit).toBe(
          `"quota";r=${remaining};t=0`,
        );
      }
      // Same remaining count, another reset: a new value, not the cached one.
      const one = { capacity: 1, refillPerSecond: 1 };
      const empty = { allowed: true, remaining: 0, resetMs: 2500, retryAfterMs: 0 };
      expect(rateLimitHeaders(one, empty, undefined, undefined).ratelimit).toBe('"key";r=0;t=3');
      expect(
        rateLimitHeaders(one, { ...empty, resetMs: 4500 }, undefined, undefined).ratelimit,
      ).toBe('"key";r=0;t=5');
    }
  });
});

describe('withOwnerHeaders', () => {
  const limit = { capacity: 100, refillPerSecond: 10 };
  const quota = { limit: 5000, period: 'day' as const };
  const policy = { bucket: '"owner";q=100;w=10', quota: '"owner-quota";q=5000;w=86400' };
  const allowed = (remaining: number) => ({
    allowed: true,
    remaining,
    retryAfterMs: 0,
    resetMs: 0,
  });
  const keyHeaders = rateLimitHeaders(
    { capacity: 10, refillPerSecond: 1 },
    allowed(7),
    undefined,
    undefined,
  );

  it('appends the owner items after the key items, for the bucket, the quota or both', () => {
    const both = withOwnerHeaders(
      newOwnerHeaderMemo(),
      keyHeaders,
      policy,
      limit,
      allowed(42),
      quota,
      allowed(4000),
    );
    expect(both).toEqual({
      'ratelimit-policy': `"key";q=10;w=10, ${policy.bucket}, ${policy.quota}`,
      ratelimit: '"key";r=7;t=0, "owner";r=42;t=0, "owner-quota";r=4000;t=0',
    });
    expect(
      withOwnerHeaders(
        newOwnerHeaderMemo(),
        keyHeaders,
        policy,
        limit,
        allowed(42),
        undefined,
        undefined,
      ),
    ).toEqual({
      'ratelimit-policy': `"key";q=10;w=10, ${policy.bucket}`,
      ratelimit: '"key";r=7;t=0, "owner";r=42;t=0',
    });
    expect(
      withOwnerHeaders(newOwnerHeaderMemo(), {}, policy, undefined, undefined, quota, allowed(0)),
    ).toEqual({
      'ratelimit-policy': policy.quota,
      ratelimit: '"owner-quota";r=0;t=0',
    });
    expect(
      withOwnerHeaders(
        newOwnerHeaderMemo(),
        {},
        policy,
        undefined,
        undefined,
        undefined,
        undefined,
      ),
    ).toEqual({});
  });

  it("gives the owner's own reset times: a refused bucket's wait, an exhausted quota's window", () => {
    const memo = newOwnerHeaderMemo();
    const refused = { allowed: false, remaining: 0, retryAfterMs: 2500, resetMs: 9000 };
    const exhausted = { allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 90_000 };
    for (let i = 0; i < 2; i++) {
      expect(
        withOwnerHeaders(memo, keyHeaders, policy, limit, refused, quota, exhausted).ratelimit,
      ).toBe('"key";r=7;t=0, "owner";r=0;t=3, "owner-quota";r=0;t=90');
    }
    expect(
      withOwnerHeaders(memo, keyHeaders, policy, limit, allowed(5), quota, allowed(9)).ratelimit,
    ).toBe('"key";r=7;t=0, "owner";r=5;t=0, "owner-quota";r=9;t=0');
  });

  it('gives the same values through one memo as through a fresh one, whatever changes between calls', () => {
    const memo = newOwnerHeaderMemo();
    const step = fc.record({
      keyRemaining: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      bucket: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      window: fc.option(fc.constantFrom(0, 1, 2 ** 40), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 20 }), (steps) => {
        for (const { keyRemaining, bucket, window } of steps) {
          const key =
            keyRemaining === undefined
              ? {}
              : rateLimitHeaders(
                  { capacity: 10, refillPerSecond: 1 },
                  allowed(keyRemaining),
                  undefined,
                  undefined,
                );
          const args = [
            policy,
            limit,
            bucket === undefined ? undefined : allowed(bucket),
            quota,
            window === undefined ? undefined : allowed(window),
          ] as const;
          const viaMemo = withOwnerHeaders(memo, key, ...args);
          expect(viaMemo).toEqual(withOwnerHeaders(newOwnerHeaderMemo(), key, ...args));
          // A new object every time: a caller adding retry-after changes no later response.
          (viaMemo as Record<string, string>)['retry-after'] = '1';
          expect(withOwnerHeaders(memo, key, ...args)).not.toHaveProperty('retry-after');
        }
      }),
      { numRuns: 300 },
    );
  });
});
