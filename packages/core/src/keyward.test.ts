import { describe, expect, it } from 'vitest';
import { createKeyward, type KeywardOptions } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';

const base = { prefix: 'acme' };

describe('createKeyward configuration', () => {
  it.each<[string, Partial<KeywardOptions> | Record<string, unknown>]>([
    ['missing prefix', { prefix: undefined }],
    ['one-letter prefix', { prefix: 'a' }],
    ['upper-case prefix', { prefix: 'Acme' }],
    ['prefix with underscore', { prefix: 'ac_me' }],
    ['prefix starting with a digit', { prefix: '1acme' }],
    ['17-char prefix', { prefix: 'a'.repeat(17) }],
    ['empty environments', { environments: [] }],
    ['an environment named pk', { environments: ['live', 'pk'] }],
    ['an environment with an upper-case letter', { environments: ['Live'] }],
    ['a one-letter environment', { environments: ['l'] }],
    ['a 9-char environment', { environments: ['stagingxx'] }],
    ['an environment with an underscore', { environments: ['st_ag'] }],
    ['an environment that is not a string', { environments: [7] }],
    ['a misspelt option name', { prefix: 'acme', environmnets: ['live'] }],
    ['an unknown cache option', { cache: { maxEntries: 10 } }],
    ['publishableScopes with a bad scope', { publishableScopes: ['a b'] }],
    ['publishableRateLimit with no refill', { publishableRateLimit: { capacity: 5 } }],
    ['ownerLimits that is not a function', { ownerLimits: { rateLimit: {} } }],
    ['environments not an array', { environments: 'live' }],
    ['empty keyHeaders', { keyHeaders: [] }],
    ['upper-case keyHeaders', { keyHeaders: ['Authorization'] }],
    ['keyHeaders with a space', { keyHeaders: ['x api key'] }],
    ['17 keyHeaders', { keyHeaders: Array.from({ length: 17 }, (_, i) => `x-key-${i}`) }],
    ['negative cache.max', { cache: { max: -1 } }],
    ['fractional cache.max', { cache: { max: 1.5 } }],
    ['NaN cache.ttlMs', { cache: { ttlMs: Number.NaN } }],
    ['negative cache.negativeTtlMs', { cache: { negativeTtlMs: -5 } }],
    ['short pepper', { pepper: 'too-short' }],
    ['pepper of the wrong type', { pepper: 42 }],
    [
      'pepper.current not in peppers',
      { pepper: { current: 'v3', peppers: { v1: 'x'.repeat(32) } } },
    ],
    [
      'pepper version with punctuation',
      { pepper: { current: 'v-1', peppers: { 'v-1': 'x'.repeat(32) } } },
    ],
    ['short versioned pepper', { pepper: { current: 'v1', peppers: { v1: 'short' } } }],
    ['failedAttempts capacity 0', { failedAttempts: { capacity: 0, refillPerSecond: 1 } }],
    ['failedAttempts refill 0', { failedAttempts: { capacity: 5, refillPerSecond: 0 } }],
    ['failedAttempts true', { failedAttempts: true }],
    ['limitStoreFailure "ignore"', { limitStoreFailure: 'ignore' }],
    ['storeTimeoutMs 0', { storeTimeoutMs: 0 }],
    ['negative storeTimeoutMs', { storeTimeoutMs: -1 }],
    ['realm with a quote', { realm: 'a"b' }],
    ['clock not a function', { clock: 5 }],
    ['onEvent not a function', { onEvent: 'log' }],
    ['store without methods', { store: {} }],
    ['keyStore without limitStore methods', { keyStore: new MemoryStore(), limitStore: {} }],
    ['invalidation without methods', { invalidation: {} }],
  ])('throws a TypeError for %s', (_case, options) => {
    expect(() => createKeyward({ ...base, ...options } as KeywardOptions)).toThrow(TypeError);
  });

  it('throws a TypeError for a missing options object', () => {
    expect(() => createKeyward(undefined as unknown as KeywardOptions)).toThrow(TypeError);
  });

  it('accepts a minimal configuration and the documented defaults', () => {
    const keyward = createKeyward(base);
    expect(keyward.prefix).toBe('acme');
    expect(keyward.environments).toEqual(['live', 'test']);
    expect(() =>
      createKeyward({ ...base, failedAttempts: false, cache: { max: 0 } }),
    ).not.toThrow();
  });

  it('does not let a throwing onEvent break verification or lifecycle calls', async () => {
    const keyward = createKeyward({
      ...base,
      onEvent: () => {
        throw new Error('handler bug');
      },
    });
    const { key } = await keyward.create({ name: 'x' });
    expect((await keyward.verify({ headers: { 'x-api-key': key } })).ok).toBe(true);
    expect((await keyward.verify({ headers: {} })).ok).toBe(false);
  });
});

describe('verify options', () => {
  it('refuses a fractional or non-positive cost (RateLimit counts whole units)', () => {
    const keyward = createKeyward({ prefix: 'acme' });
    for (const cost of [0.5, 0, -1, Number.NaN]) {
      expect(() => keyward.checkVerifyOptions({ cost })).toThrow(TypeError);
    }
    expect(() => keyward.checkVerifyOptions({ cost: 3 })).not.toThrow();
  });
});
