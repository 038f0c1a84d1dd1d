import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay, capped, with jitter between half and all of it', () => {
    const low = (n: number) => backoffDelay(n, 1000, 60_000, () => 0);
    const high = (n: number) => backoffDelay(n, 1000, 60_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(high)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect([1, 2, 3, 7].map(low)).toEqual([500, 1000, 2000, 30_000]);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(3, 1000, 60_000, Math.random);
      expect(delay).toBeGreaterThanOrEqual(2000);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it.each([
    ['delay-seconds', '120', 120_000],
    ['zero', '0', 0],
    ['an HTTP-date', 'Tue, 01 Jan 2030 00:00:30 GMT', 30_000],
    ['a past HTTP-date', 'Mon, 31 Dec 2029 23:00:00 GMT', 0],
    ['padding', ' 5 ', 5000],
  ])('reads %s', (_name, value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([
    ['absent', null],
    ['negative', '-5'],
    ['garbage', 'soon'],
    ['a huge number', '1'.repeat(40)],
  ])('ignores %s', (_name, value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it('retries 429 and 5xx only', () => {
    const retried = [
      200, 301, 302, 400, 401, 403, 404, 408, 409, 410, 422, 429, 500, 502, 503, 504,
    ].filter(isRetryableStatus);
    expect(retried).toEqual([429, 500, 502, 503, 504]);
  });
});
