import { describe, expect, it } from 'vitest';
import { formatKey, newKeyId, newSecret } from '../key/format.js';
import { bearer, PREFIX, rejection, settle, setup } from '../test-helpers.js';
import type { VerifyResult } from '../types.js';

/** keyward's default failedAttempts bucket: 20 bad keys per client IP, then 1 per second. */
const DEFAULT_CAPACITY = 20;
const ATTACKS = 10_000;
const ATTACKER = '198.51.100.7';
const BYSTANDER = '198.51.100.8';

/** A key that passes every format check (prefix, env, charset, checksum) but was never issued. */
function randomWellFormedKey(): string {
  return formatKey(PREFIX, 'live', newKeyId(), newSecret());
}

function code(result: VerifyResult): string {
  return result.ok ? 'ok' : result.code;
}

describe('brute force from one IP with random well-formed keys', () => {
  it('throttles the IP after the failedAttempts capacity, so store reads stay bounded', async () => {
    const { keyward, store, events } = setup({ environments: ['live'] });
    const codes: string[] = [];
    let retryAfterMissing = 0;
    for (let i = 0; i < ATTACKS; i++) {
      const result = await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER })));
      codes.push(code(result));
      if (!result.ok && result.code === 'too_many_failures') {
        if (!(Number(result.headers['retry-after']) >= 1) || result.status !== 429) {
          retryAfterMissing++;
        }
      }
    }
    const firstThrottled = codes.indexOf('too_many_failures');
    expect(firstThrottled).toBeGreaterThanOrEqual(DEFAULT_CAPACITY);
    expect(firstThrottled).toBeLessThanOrEqual(DEFAULT_CAPACITY + 1);
    expect(new Set(codes.slice(0, firstThrottled))).toEqual(new Set(['invalid_key']));
    expect(codes.slice(firstThrottled).every((c) => c === 'too_many_failures')).toBe(true);
    expect(retryAfterMissing).toBe(0);
    expect(store.reads).toBeLessThanOrEqual(DEFAULT_CAPACITY + 2);
    expect(store.reads).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'anomaly' && e.kind === 'failed_attempts')).toHaveLength(
      1,
    );
  });

  it('refuses even a valid key from the throttled IP without reading the store', async () => {
    const { keyward, store } = setup({ environments: ['live'] });
    const { key } = await keyward.create({ name: 'victim', environment: 'live' });
    for (let i = 0; i < DEFAULT_CAPACITY * 2; i++) {
      await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER })));
    }
    keyward.clearCache();
    const readsBefore = store.reads;
    const r = rejection(await settle(keyward.verify(bearer(key, { ip: ATTACKER }))));
    expect(r.code).toBe('too_many_failures');
    expect(r.status).toBe(429);
    expect(store.reads).toBe(readsBefore);
  });

  it('leaves a different IP unaffected', async () => {
    const { keyward } = setup({ environments: ['live'] });
    const { key } = await keyward.create({ name: 'bystander', environment: 'live' });
    for (let i = 0; i < DEFAULT_CAPACITY * 5; i++) {
      await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER })));
    }
    expect(code(await settle(keyward.verify(bearer(key, { ip: ATTACKER }))))).toBe(
      'too_many_failures',
    );
    expect(code(await settle(keyward.verify(bearer(key, { ip: BYSTANDER }))))).toBe('ok');
    expect(
      code(await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: BYSTANDER })))),
    ).toBe('invalid_key');
  });

  it('lets the IP try again once the bucket refills, one attempt per refilled token', async () => {
    const { keyward, clock } = setup({ environments: ['live'] });
    for (let i = 0; i < DEFAULT_CAPACITY + 5; i++) {
      await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER })));
    }
    const blocked = rejection(
      await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER }))),
    );
    expect(blocked.code).toBe('too_many_failures');
    clock.advance(Number(blocked.headers['retry-after']) * 1000);
    expect(
      code(await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER })))),
    ).toBe('invalid_key');
    expect(
      code(await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER })))),
    ).toBe('too_many_failures');
  });
});

describe('negative cache with failedAttempts: false', () => {
  for (const negativeTtlMs of [5_000, 1_000]) {
    it(`reads the store once per ${negativeTtlMs} ms window for a retried unknown id`, async () => {
      const { keyward, store, clock } = setup({
        environments: ['live'],
        failedAttempts: false,
        cache: { negativeTtlMs },
      });
      const unknown = randomWellFormedKey();
      const windows = 4;
      const callsPerWindow = 250;
      for (let w = 0; w < windows; w++) {
        for (let i = 0; i < callsPerWindow; i++) {
          const r = rejection(await settle(keyward.verify(bearer(unknown, { ip: ATTACKER }))));
          expect(r.code).toBe('invalid_key');
          clock.advance(negativeTtlMs / callsPerWindow);
        }
        expect(store.reads).toBe(w + 1);
      }
    });
  }

  it('does not throttle: every distinct unknown id is one store read', async () => {
    const { keyward, store } = setup({ environments: ['live'], failedAttempts: false });
    const attempts = 200;
    const codes = new Set<string>();
    for (let i = 0; i < attempts; i++) {
      codes.add(
        code(await settle(keyward.verify(bearer(randomWellFormedKey(), { ip: ATTACKER })))),
      );
    }
    expect(codes).toEqual(new Set(['invalid_key']));
    expect(store.reads).toBe(attempts);
  });
});
