import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors.js';
import { bearer, rejection, settle, setup } from '../test-helpers.js';
import { type BucketState, takeToken, validateRateLimit } from './token-bucket.js';

describe('takeToken (pure)', () => {
  it('starts full and takes cost tokens', () => {
    const { state, result } = takeToken(undefined, { capacity: 5, refillPerSecond: 1 }, 2, 1000);
    expect(state).toEqual({ tokens: 3, updatedAt: 1000 });
    expect(result).toEqual({ allowed: true, remaining: 3, retryAfterMs: 0, resetMs: 2000 });
  });

  it('refills fractionally and refuses until a whole cost is available', () => {
    const limit = { capacity: 2, refillPerSecond: 2.5 }; // 400 ms per token
    let state: BucketState = takeToken(undefined, limit, 2, 0).state;
    let taken = takeToken(state, limit, 1, 399);
    expect(taken.result).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1 });
    expect(taken.state.tokens).toBeCloseTo(0.9975, 10);
    state = taken.state;
    taken = takeToken(state, limit, 1, 400);
    expect(taken.result).toMatchObject({ allowed: true, remaining: 0 });
    expect(taken.state.tokens).toBeCloseTo(0, 10);
  });

  it('never holds more than capacity and never gains tokens when time runs backwards', () => {
    const limit = { capacity: 3, refillPerSecond: 1 };
    const full = takeToken({ tokens: 0, updatedAt: 0 }, limit, 0, 10_000_000);
    expect(full.state.tokens).toBe(3);
    const back = takeToken({ tokens: 1, updatedAt: 5000 }, limit, 0, 1000);
    expect(back.state).toEqual({ tokens: 1, updatedAt: 5000 });
  });

  it('refuses a cost above capacity forever without consuming', () => {
    const limit = { capacity: 2, refillPerSecond: 1 };
    const { state, result } = takeToken(undefined, limit, 3, 0);
    expect(result.allowed).toBe(false);
    expect(state.tokens).toBe(2);
  });

  it('allows a refused request exactly retryAfterMs later (property)', () => {
    const scenario = fc.record({
      capacity: fc.integer({ min: 1, max: 1000 }),
      refill: fc.double({ min: 0.01, max: 1000, noNaN: true, noDefaultInfinity: true }),
      steps: fc.array(fc.tuple(fc.nat({ max: 5000 }), fc.integer({ min: 1, max: 5 })), {
        minLength: 1,
        maxLength: 20,
      }),
    });
    fc.assert(
      fc.property(scenario, ({ capacity, refill, steps }) => {
        const limit = { capacity, refillPerSecond: refill };
        let state: BucketState | undefined;
        let now = 1_700_000_000_000;
        for (const [gap, rawCost] of steps) {
          const cost = Math.min(rawCost, capacity);
          now += gap;
          const taken = takeToken(state, limit, cost, now);
          expect(taken.state.tokens).toBeLessThanOrEqual(capacity);
          expect(taken.state.tokens).toBeGreaterThanOrEqual(0);
          expect(taken.result.remaining).toBe(Math.floor(taken.state.tokens + 1e-9));
          if (!taken.result.allowed) {
            expect(taken.result.retryAfterMs).toBeGreaterThan(0);
            const later = takeToken(taken.state, limit, cost, now + taken.result.retryAfterMs);
            expect(later.result.allowed).toBe(true);
          }
          state = taken.state;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('validateRateLimit refuses non-positive or non-finite values naming the field', () => {
    for (const bad of [
      { capacity: 0, refillPerSecond: 1 },
      { capacity: -1, refillPerSecond: 1 },
      { capacity: 1, refillPerSecond: 0 },
      { capacity: Number.POSITIVE_INFINITY, refillPerSecond: 1 },
      { capacity: 1, refillPerSecond: Number.NaN },
    ]) {
      const field =
        bad.capacity > 0 && Number.isFinite(bad.capacity) ? 'refillPerSecond' : 'capacity';
      expect(() => validateRateLimit(bad)).toThrow(InvalidOptionsError);
      expect(() => validateRateLimit(bad)).toThrow(field);
    }
    expect(() => validateRateLimit(null)).toThrow(InvalidOptionsError);
  });
});

describe('rate limiting through verify', () => {
  it('reports exact r and t values as the bucket drains and refills (fake clock)', async () => {
    const { keyward, clock } = setup();
    const { key } = await keyward.create({
      name: 'l',
      rateLimit: { capacity: 3, refillPerSecond: 0.5 }, // 2 s per token
    });
    const ratelimit = async () => {
      const result = await settle(keyward.verify(bearer(key)));
      expect(result.headers['ratelimit-policy']).toBe('"key";q=3;w=6');
      return `${result.ok ? 'ok' : result.code} ${result.headers.ratelimit} ${result.headers['retry-after'] ?? '-'}`;
    };
    expect(await ratelimit()).toBe('ok "key";r=2;t=0 -');
    expect(await ratelimit()).toBe('ok "key";r=1;t=0 -');
    expect(await ratelimit()).toBe('ok "key";r=0;t=2 -');
    expect(await ratelimit()).toBe('rate_limited "key";r=0;t=2 2');
    clock.advance(1500);
    expect(await ratelimit()).toBe('rate_limited "key";r=0;t=1 1');
    clock.advance(499);
    expect(await ratelimit()).toBe('rate_limited "key";r=0;t=1 1');
    clock.advance(1);
    expect(await ratelimit()).toBe('ok "key";r=0;t=2 -');
    clock.advance(60_000);
    expect(await ratelimit()).toBe('ok "key";r=2;t=0 -');
  });

  it('says t=0 whenever a token remains, even with fractional refill rates', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({
      name: 'l',
      rateLimit: { capacity: 5, refillPerSecond: 3 },
    });
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await settle(keyward.verify(bearer(key)));
      seen.push(result.headers.ratelimit ?? '');
    }
    expect(seen).toEqual([
      '"key";r=4;t=0',
      '"key";r=3;t=0',
      '"key";r=2;t=0',
      '"key";r=1;t=0',
      '"key";r=0;t=1',
    ]);
  });

  it('charges cost tokens per request', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({
      name: 'l',
      rateLimit: { capacity: 5, refillPerSecond: 1 },
    });
    const heavy = { cost: 3 };
    expect((await settle(keyward.verify(bearer(key), heavy))).headers.ratelimit).toBe(
      '"key";r=2;t=0',
    );
    const refused = rejection(await settle(keyward.verify(bearer(key), heavy)));
    expect(refused.code).toBe('rate_limited');
    expect(refused.headers['retry-after']).toBe('1');
    // A cheaper request still fits.
    expect((await settle(keyward.verify(bearer(key), { cost: 2 }))).ok).toBe(true);
  });

  it('keeps separate buckets per key', async () => {
    const { keyward } = setup();
    const limit = { capacity: 1, refillPerSecond: 0.001 };
    const a = (await keyward.create({ name: 'a', rateLimit: limit })).key;
    const b = (await keyward.create({ name: 'b', rateLimit: limit })).key;
    expect((await settle(keyward.verify(bearer(a)))).ok).toBe(true);
    expect((await settle(keyward.verify(bearer(a)))).ok).toBe(false);
    expect((await settle(keyward.verify(bearer(b)))).ok).toBe(true);
  });

  it('refuses capacity <= 0 at create and update', async () => {
    const { keyward } = setup();
    await expect(
      keyward.create({ name: 'x', rateLimit: { capacity: 0, refillPerSecond: 1 } }),
    ).rejects.toMatchObject({
      code: 'invalid_options',
      message: expect.stringContaining('capacity'),
    });
    const { record } = await keyward.create({ name: 'x' });
    await expect(
      keyward.update(record.id, { rateLimit: { capacity: -5, refillPerSecond: 1 } }),
    ).rejects.toBeInstanceOf(InvalidOptionsError);
  });
});
