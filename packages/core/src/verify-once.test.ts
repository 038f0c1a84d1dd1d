import { describe, expect, it } from 'vitest';
import { createKeyward } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';
import { AsyncKeyStore, bearer, PREFIX, rejection, settle, setup } from './test-helpers.js';
import type { VerifyOptions, VerifyResult } from './types.js';

const LIMITS = {
  name: 'limited',
  scopes: ['items:read'],
  rateLimit: { capacity: 20, refillPerSecond: 0.001 },
  quota: { limit: 100, period: 'day' as const },
};

/** The `r` of the token bucket in a result's `ratelimit` header (NaN when there is none). */
function tokensLeft(result: VerifyResult): number {
  return Number(/"key";r=(\d+)/.exec(result.headers['ratelimit'] ?? '')?.[1] ?? Number.NaN);
}

function isPromise(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

describe('verifyOnce: one verification per request, however many guards', () => {
  it('verifies a request once; a later guard checks its scopes and charges nothing it does not name', async () => {
    const { keyward, events } = setup();
    const { key, record } = await keyward.create(LIMITS);
    const request = bearer(key);
    const req = {};
    const first = keyward.verifyOnce(req, request);
    expect(isPromise(first)).toBe(false);
    expect(tokensLeft(first as VerifyResult)).toBe(19);
    const later = keyward.verifyOnce(req, request, {}, { scopes: ['items:read'] });
    expect(isPromise(later)).toBe(false);
    expect(later).toEqual({
      ok: true,
      key: (first as VerifyResult & { ok: true }).key,
      headers: {},
    });
    // Nothing more was charged, and only one key.verified was emitted.
    expect(tokensLeft(await settle(keyward.verify(request)))).toBe(18);
    expect(events.filter((e) => e.type === 'key.verified' && e.keyId === record.id)).toHaveLength(
      2,
    );
  });

  it('refuses a later guard whose scopes the key lacks, with the scope challenge', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create(LIMITS);
    const req = {};
    expect((await settle(keyward.verifyOnce(req, bearer(key)))).ok).toBe(true);
    const options = Object.freeze({ anyScopes: Object.freeze(['items:admin', 'items:write']) });
    const refused = rejection(await settle(keyward.verifyOnce(req, bearer(key), options)));
    expect({ code: refused.code, status: refused.status }).toEqual({
      code: 'insufficient_scope',
      status: 403,
    });
    expect(refused.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  it('charges the sum of the costs the guards name, or 1 when none names one', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create(LIMITS);
    const sequences: ReadonlyArray<[ReadonlyArray<number | undefined>, number]> = [
      [[undefined], 1],
      [[undefined, undefined, undefined], 1],
      [[undefined, 3], 3],
      [[2, undefined], 2],
      [[2, 3], 5],
      [[undefined, 3, 2], 5],
      [[1, 1], 2],
    ];
    let before = 20;
    for (const [costs, expected] of sequences) {
      const req = {};
      let last: VerifyResult | undefined;
      for (const [i, cost] of costs.entries()) {
        const options: VerifyOptions = cost === undefined ? {} : { cost };
        const result = await settle(
          i === 0
            ? keyward.verifyOnce(req, bearer(key), options)
            : keyward.verifyOnce(req, bearer(key), {}, options),
        );
        expect(result.ok).toBe(true);
        if (Number.isFinite(tokensLeft(result))) last = result;
      }
      const left = tokensLeft(last!);
      expect({ costs, charged: before - left }).toEqual({ costs, charged: expected });
      before = left;
    }
  });

  it('keeps the charge state with the mark: a copy of the request carries both', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create(LIMITS);
    const req: Record<string | symbol, unknown> = {};
    expect(tokensLeft(await settle(keyward.verifyOnce(req, bearer(key))))).toBe(19);
    expect(tokensLeft(await settle(keyward.verifyOnce(req, bearer(key), {}, { cost: 5 })))).toBe(
      15,
    );
    // The default 1 is used up on the original, so on its copy as well: 5 more, not 4.
    const copy = { ...req };
    expect(tokensLeft(await settle(keyward.verifyOnce(copy, bearer(key), {}, { cost: 5 })))).toBe(
      10,
    );
  });

  it('verifies and charges afresh a request whose mark it did not make', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create(LIMITS);
    const req: Record<string | symbol, unknown> = {};
    expect(tokensLeft(await settle(keyward.verifyOnce(req, bearer(key), { cost: 2 })))).toBe(18);
    const mark = Object.getOwnPropertySymbols(req).find(
      (symbol) => symbol.description === 'keyward.verified',
    );
    req[mark!] = { id: 'forged000000', scopes: ['*'] };
    // Verified again in full (1 unit), and that verification's default charge counts as new.
    expect(tokensLeft(await settle(keyward.verifyOnce(req, bearer(key))))).toBe(17);
    expect(tokensLeft(await settle(keyward.verifyOnce(req, bearer(key), {}, { cost: 3 })))).toBe(
      15,
    );
  });

  it('answers a later cost the bucket cannot pay with rate_limited and its headers', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({
      ...LIMITS,
      rateLimit: { capacity: 3, refillPerSecond: 0.001 },
    });
    const req = {};
    expect((await settle(keyward.verifyOnce(req, bearer(key)))).ok).toBe(true);
    const refused = rejection(await settle(keyward.verifyOnce(req, bearer(key), {}, { cost: 5 })));
    expect(refused.code).toBe('rate_limited');
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(refused.headers['ratelimit']).toMatch(/^"key";r=2;t=\d+/);
  });

  it('marks only successes: after a rejection a later guard verifies in full', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create(LIMITS);
    const req = {};
    const refused = await settle(keyward.verifyOnce(req, bearer(key), { scopes: ['items:admin'] }));
    expect(refused.ok).toBe(false);
    const verified = await settle(keyward.verifyOnce(req, bearer(key), { scopes: ['items:read'] }));
    expect(tokensLeft(verified)).toBe(19);
  });

  it('never counts a mark of another instance, a forged mark, or a value the app set', async () => {
    const store = new MemoryStore();
    const a = createKeyward({ prefix: PREFIX, store });
    const b = createKeyward({ prefix: PREFIX, store });
    const { key } = await a.create(LIMITS);
    const req: Record<string | symbol, unknown> = {};
    expect(tokensLeft(await settle(a.verifyOnce(req, bearer(key))))).toBe(19);
    // Another instance verifies (and charges) on its own.
    expect(tokensLeft(await settle(b.verifyOnce(req, bearer(key))))).toBe(18);
    // A forged KeyInfo under the instance's own symbol, or on `apiKey`, is no verification.
    const forged = { id: 'forged000000', scopes: ['*'] };
    const other: Record<string | symbol, unknown> = { apiKey: forged };
    for (const symbol of Object.getOwnPropertySymbols(req)) other[symbol] = forged;
    const result = rejection(await settle(a.verifyOnce(other, { headers: {} })));
    expect(result.code).toBe('missing_key');
  });

  it('marks a request verified through the Promise path; the later check stays synchronous', async () => {
    const keyStore = new AsyncKeyStore();
    const keyward = createKeyward({
      prefix: PREFIX,
      keyStore,
      limitStore: new MemoryStore(),
      cache: { max: 0 },
    });
    const { key } = await keyward.create(LIMITS);
    const req = {};
    const first = keyward.verifyOnce(req, bearer(key));
    expect(isPromise(first)).toBe(true);
    expect(tokensLeft(await first)).toBe(19);
    const later = keyward.verifyOnce(req, bearer(key), {}, { scopes: ['items:read'] });
    expect(isPromise(later)).toBe(false);
    expect((later as VerifyResult).ok).toBe(true);
    expect(keyStore.reads).toBe(1);
  });

  it('verifies a frozen request, or one that is not an object, every time without throwing', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create(LIMITS);
    const frozen = Object.freeze({});
    expect(tokensLeft(await settle(keyward.verifyOnce(frozen, bearer(key))))).toBe(19);
    expect(tokensLeft(await settle(keyward.verifyOnce(frozen, bearer(key))))).toBe(18);
    expect(tokensLeft(await settle(keyward.verifyOnce(null as never, bearer(key))))).toBe(17);
  });
});

describe('authorize', () => {
  it('checks a verified key against further options and charges a named cost', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create(LIMITS);
    const verified = await settle(keyward.verify(bearer(key)));
    if (!verified.ok) throw new Error('expected a verified key');
    expect(
      rejection(
        await settle(keyward.authorize(verified.key, bearer(key), { scopes: ['items:admin'] })),
      ).code,
    ).toBe('insufficient_scope');
    expect(await settle(keyward.authorize(verified.key, bearer(key)))).toEqual({
      ok: true,
      key: verified.key,
      headers: {},
    });
    expect(
      tokensLeft(await settle(keyward.authorize(verified.key, bearer(key), { cost: 4 }))),
    ).toBe(15);
  });

  it('throws a TypeError for a KeyInfo this instance did not verify', async () => {
    const store = new MemoryStore();
    const { keyward } = setup({ store });
    const other = createKeyward({ prefix: PREFIX, store });
    const { key, record } = await keyward.create(LIMITS);
    const elsewhere = await settle(other.verify(bearer(key)));
    if (!elsewhere.ok) throw new Error('expected a verified key');
    const fetched = await keyward.get(record.id);
    for (const info of [record, fetched!, elsewhere.key, { ...elsewhere.key }]) {
      expect(() => keyward.authorize(info, bearer(key))).toThrow(TypeError);
    }
  });
});
