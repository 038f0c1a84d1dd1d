import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors.js';
import { bearer, rejection, settle, setup } from '../test-helpers.js';
import {
  countQuota,
  type QuotaPeriod,
  type QuotaState,
  quotaWindow,
  validateQuota,
} from './quota.js';

const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0) =>
  Date.UTC(y, m - 1, d, h, min, s, ms);

describe('quotaWindow', () => {
  it.each([
    ['Jan 31 → Feb 1', utc(2025, 1, 31, 23, 59, 59, 999), utc(2025, 1, 1), utc(2025, 2, 1)],
    ['Feb 28 (non-leap) → Mar 1', utc(2025, 2, 28, 12), utc(2025, 2, 1), utc(2025, 3, 1)],
    ['Feb 28 (leap year) → Mar 1', utc(2024, 2, 28, 12), utc(2024, 2, 1), utc(2024, 3, 1)],
    [
      'Feb 29 (leap year) → Mar 1',
      utc(2024, 2, 29, 23, 59, 59, 999),
      utc(2024, 2, 1),
      utc(2024, 3, 1),
    ],
    ['Dec 31 → Jan 1', utc(2025, 12, 31, 23, 59, 59, 999), utc(2025, 12, 1), utc(2026, 1, 1)],
    ['first instant of a month', utc(2025, 3, 1), utc(2025, 3, 1), utc(2025, 4, 1)],
  ])('month window: %s', (_case, now, start, end) => {
    expect(quotaWindow('month', now)).toEqual({ start, end });
  });

  it.each([
    ['day', utc(2025, 1, 31, 23, 59, 59, 999), utc(2025, 1, 31), utc(2025, 2, 1)],
    ['day', utc(2024, 2, 29, 0, 0, 0, 0), utc(2024, 2, 29), utc(2024, 3, 1)],
    ['day', utc(2025, 12, 31, 5), utc(2025, 12, 31), utc(2026, 1, 1)],
    ['hour', utc(2025, 6, 1, 13, 59, 59, 999), utc(2025, 6, 1, 13), utc(2025, 6, 1, 14)],
    ['minute', utc(2025, 6, 1, 13, 5, 30), utc(2025, 6, 1, 13, 5), utc(2025, 6, 1, 13, 6)],
  ] as const)('%s window at %d', (period, now, start, end) => {
    expect(quotaWindow(period, now)).toEqual({ start, end });
  });

  it('always contains now and is UTC-aligned (property)', () => {
    const periods: QuotaPeriod[] = ['minute', 'hour', 'day', 'month'];
    fc.assert(
      fc.property(
        fc.constantFrom(...periods),
        fc.integer({ min: utc(1990, 1, 1), max: utc(2200, 1, 1) }),
        (period, now) => {
          const { start, end } = quotaWindow(period, now);
          expect(start).toBeLessThanOrEqual(now);
          expect(end).toBeGreaterThan(now);
          const s = new Date(start);
          expect(s.getUTCMilliseconds() + s.getUTCSeconds()).toBe(0);
          if (period !== 'minute') expect(s.getUTCMinutes()).toBe(0);
          if (period === 'day' || period === 'month') expect(s.getUTCHours()).toBe(0);
          if (period === 'month') {
            expect(s.getUTCDate()).toBe(1);
            expect(new Date(end).getUTCDate()).toBe(1);
            expect(quotaWindow(period, end).start).toBe(end);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('countQuota (pure)', () => {
  it('counts up to the limit, refuses without counting, and resets in the next window', () => {
    const quota = { limit: 2, period: 'month' as const };
    const now = utc(2024, 2, 29, 23, 59, 59);
    let state: QuotaState | undefined;
    const results = [];
    for (let i = 0; i < 3; i++) {
      const counted = countQuota(state, quota, 1, now);
      state = counted.state;
      results.push(counted.result);
    }
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(results[2]!.retryAfterMs).toBe(1000);
    expect(state).toEqual({ windowStart: utc(2024, 2, 1), used: 2 });
    const next = countQuota(state, quota, 1, utc(2024, 3, 1));
    expect(next.result).toMatchObject({ allowed: true, remaining: 1 });
    expect(next.state).toEqual({ windowStart: utc(2024, 3, 1), used: 1 });
  });

  it('refuses a cost that would overshoot the limit but allows a smaller one', () => {
    const quota = { limit: 5, period: 'day' as const };
    const first = countQuota(undefined, quota, 4, 0);
    expect(countQuota(first.state, quota, 2, 1).result.allowed).toBe(false);
    expect(countQuota(first.state, quota, 1, 1).result).toMatchObject({
      allowed: true,
      remaining: 0,
    });
  });

  it('validateQuota refuses a bad limit or period', () => {
    for (const bad of [
      { limit: 0, period: 'day' },
      { limit: 1.5, period: 'day' },
      { limit: 10, period: 'week' },
      { limit: 10 },
      null,
    ]) {
      expect(() => validateQuota(bad)).toThrow(InvalidOptionsError);
    }
  });
});

describe('quotas through verify', () => {
  it.each([
    ['Jan 31 → Feb 1', utc(2025, 1, 31, 23, 59, 59), utc(2025, 2, 1)],
    ['Feb 28 → Mar 1 (non-leap)', utc(2025, 2, 28, 23, 59, 59), utc(2025, 3, 1)],
    ['Feb 29 → Mar 1 (leap)', utc(2024, 2, 29, 23, 59, 59), utc(2024, 3, 1)],
    ['Dec 31 → Jan 1', utc(2025, 12, 31, 23, 59, 59), utc(2026, 1, 1)],
  ])('a monthly quota resets at %s', async (_case, lastSecond, nextMonth) => {
    const { keyward, clock } = setup();
    clock.set(lastSecond - 86_400_000);
    const { key } = await keyward.create({ name: 'q', quota: { limit: 2, period: 'month' } });
    clock.set(lastSecond);
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    const refused = rejection(await settle(keyward.verify(bearer(key))));
    expect(refused.code).toBe('quota_exceeded');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    clock.set(nextMonth - 1);
    expect(rejection(await settle(keyward.verify(bearer(key)))).code).toBe('quota_exceeded');
    clock.set(nextMonth);
    const fresh = await settle(keyward.verify(bearer(key)));
    expect(fresh.ok).toBe(true);
    expect(fresh.headers.ratelimit).toBe('"quota";r=1;t=0');
    expect(fresh.headers['ratelimit-policy']).toBe('"quota";q=2;w=2592000');
  });

  it('a daily quota resets at UTC midnight, not 24 h after first use', async () => {
    const { keyward, clock } = setup();
    clock.set(utc(2025, 5, 5, 22, 0));
    const { key } = await keyward.create({ name: 'q', quota: { limit: 1, period: 'day' } });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    const refused = rejection(await settle(keyward.verify(bearer(key))));
    expect(refused.headers['retry-after']).toBe('7200');
    clock.set(utc(2025, 5, 6));
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
  });

  it('does not count a request the rate limit refused against the quota', async () => {
    const { keyward, clock } = setup();
    const { key } = await keyward.create({
      name: 'q',
      rateLimit: { capacity: 1, refillPerSecond: 1 },
      quota: { limit: 2, period: 'day' },
    });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    expect(rejection(await settle(keyward.verify(bearer(key)))).code).toBe('rate_limited');
    clock.advance(1000);
    const second = await settle(keyward.verify(bearer(key)));
    expect(second.ok).toBe(true);
    expect(second.headers.ratelimit).toContain('"quota";r=0');
  });

  it('refuses a bad quota period at create', async () => {
    const { keyward } = setup();
    await expect(
      keyward.create({ name: 'q', quota: { limit: 10, period: 'week' as 'day' } }),
    ).rejects.toMatchObject({
      code: 'invalid_options',
      message: expect.stringContaining('period'),
    });
  });
});
