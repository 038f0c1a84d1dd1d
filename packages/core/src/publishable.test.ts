import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors.js';
import { checksum } from './key/checksum.js';
import { parseKey } from './key/format.js';
import { scanForKeys } from './key/scan.js';
import { bearer, PREFIX, setup } from './test-helpers.js';

const withChecksum = (body: string) => body + checksum(body);

import type { VerifyResult } from './types.js';

const outcome = (result: VerifyResult | Promise<VerifyResult>) => {
  if (result instanceof Promise) throw new Error('expected a synchronous verify');
  return result.ok ? 'ok' : `${result.status} ${result.code}`;
};

const SHOP = ['https://shop.example.com/*'];

describe('publishable keys', () => {
  it('are issued as acme_pk_<env>_…, typed publishable, with the default publishable rate limit', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({
      name: 'browser',
      type: 'publishable',
      environment: 'live',
      referrers: SHOP,
    });
    expect(key).toMatch(/^acme_pk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/);
    expect(record.type).toBe('publishable');
    expect(record.redacted).toBe(`acme_pk_live_${record.id}_…`);
    expect(record.rateLimit).toEqual({ capacity: 20, refillPerSecond: 1 });
    expect(parseKey(key, PREFIX)).toMatchObject({ type: 'publishable', environment: 'live' });
    const secret = await keyward.create({ name: 'server' });
    expect(secret.record.type).toBe('secret');
    expect(scanForKeys(`${key}\n${secret.key}`).map((f) => f.type)).toEqual([
      'publishable',
      'secret',
    ]);
  });

  it('take the deployment publishableRateLimit, or their own', async () => {
    const { keyward } = setup({ publishableRateLimit: { capacity: 5, refillPerSecond: 0.5 } });
    const dflt = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    expect(dflt.record.rateLimit).toEqual({ capacity: 5, refillPerSecond: 0.5 });
    const own = await keyward.create({
      name: 'b',
      type: 'publishable',
      referrers: SHOP,
      rateLimit: { capacity: 100, refillPerSecond: 10 },
    });
    expect(own.record.rateLimit).toEqual({ capacity: 100, refillPerSecond: 10 });
  });

  it('must carry an origin/referrer restriction, at create and update', async () => {
    const { keyward } = setup();
    await expect(keyward.create({ name: 'b', type: 'publishable' })).rejects.toThrow(
      /^referrers: /,
    );
    await expect(
      keyward.create({ name: 'b', type: 'publishable', referrers: [] }),
    ).rejects.toBeInstanceOf(InvalidOptionsError);
    const { record } = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    await expect(keyward.update(record.id, { referrers: null })).rejects.toThrow(/^referrers: /);
    await expect(keyward.update(record.id, { rateLimit: null })).rejects.toThrow(/^rateLimit: /);
    await expect(keyward.update(record.id, { type: 'secret' } as never)).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
    expect((await keyward.get(record.id))?.referrers).toEqual(SHOP);
  });

  it('may hold only the deployment publishableScopes (none by default)', async () => {
    const none = setup().keyward;
    await expect(
      none.create({ name: 'b', type: 'publishable', referrers: SHOP, scopes: ['checkout:read'] }),
    ).rejects.toThrow(/^scopes: "checkout:read" not allowed on a publishable key/);
    const { keyward } = setup({ publishableScopes: ['checkout:*', 'products:read'] });
    const ok = await keyward.create({
      name: 'b',
      type: 'publishable',
      referrers: SHOP,
      scopes: ['checkout:create', 'checkout:*', 'products:read'],
    });
    expect(ok.record.scopes).toEqual(['checkout:create', 'checkout:*', 'products:read']);
    for (const scopes of [['products:write'], ['*'], ['products:*'], ['admin']]) {
      await expect(
        keyward.create({ name: 'b', type: 'publishable', referrers: SHOP, scopes }),
      ).rejects.toBeInstanceOf(InvalidOptionsError);
    }
    await expect(keyward.update(ok.record.id, { scopes: ['orders:read'] })).rejects.toThrow(
      /^scopes: "orders:read"/,
    );
  });

  it('need a matching Origin header when the request has one', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    const at = (headers: Record<string, string>) =>
      outcome(keyward.verify(bearer(key, { headers })));
    const page = 'https://shop.example.com/cart';
    expect(at({ referer: page })).toBe('ok');
    expect(at({ referer: page, origin: 'https://shop.example.com' })).toBe('ok');
    expect(at({ origin: 'https://shop.example.com' })).toBe('ok');
    expect(at({ referer: page, origin: 'https://evil.example.net' })).toBe(
      '403 referrer_not_allowed',
    );
    expect(at({ referer: page, origin: 'null' })).toBe('403 referrer_not_allowed');
    expect(at({ referer: page, origin: 'http://shop.example.com' })).toBe(
      '403 referrer_not_allowed',
    );
    expect(at({})).toBe('403 referrer_not_allowed');
    // A secret key with the same referrers does not check Origin separately (unchanged).
    const secret = await keyward.create({ name: 's', referrers: SHOP });
    expect(
      outcome(
        keyward.verify(
          bearer(secret.key, { headers: { referer: page, origin: 'https://evil.example.net' } }),
        ),
      ),
    ).toBe('ok');
  });

  it('always count against a rate limit', async () => {
    const { keyward } = setup({ publishableRateLimit: { capacity: 2, refillPerSecond: 0.001 } });
    const { key } = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    const request = bearer(key, { headers: { origin: 'https://shop.example.com' } });
    expect(outcome(keyward.verify(request))).toBe('ok');
    expect(outcome(keyward.verify(request))).toBe('ok');
    expect(outcome(keyward.verify(request))).toBe('429 rate_limited');
  });

  it('keyType keeps each kind where it belongs: 403 wrong_key_type', async () => {
    const { keyward } = setup();
    const pk = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    const sk = await keyward.create({ name: 's' });
    const headers = { referer: 'https://shop.example.com/' };
    const pkRequest = bearer(pk.key, { headers });
    expect(outcome(keyward.verify(pkRequest, { keyType: 'publishable' }))).toBe('ok');
    expect(outcome(keyward.verify(pkRequest, { keyType: 'secret' }))).toBe('403 wrong_key_type');
    expect(outcome(keyward.verify(pkRequest))).toBe('ok');
    expect(outcome(keyward.verify(bearer(sk.key), { keyType: 'secret' }))).toBe('ok');
    expect(outcome(keyward.verify(bearer(sk.key), { keyType: 'publishable' }))).toBe(
      '403 wrong_key_type',
    );
    expect(() => keyward.checkVerifyOptions({ keyType: 'public' as 'secret' })).toThrow(TypeError);
    // A later guard on the same request (verifyOnce) checks its own keyType.
    const carrier = {};
    expect(outcome(keyward.verifyOnce(carrier, bearer(sk.key)))).toBe('ok');
    expect(outcome(keyward.verifyOnce(carrier, bearer(sk.key), { keyType: 'publishable' }))).toBe(
      '403 wrong_key_type',
    );
  });

  it('a key whose pk marker does not match its record is invalid_key (fail closed)', async () => {
    const { keyward } = setup();
    const pk = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    const sk = await keyward.create({ name: 's' });
    // The checksum is public: relabel each key as the other kind, with a recomputed checksum.
    const asSecret = withChecksum(pk.key.slice(0, -6).replace('acme_pk_live_', 'acme_live_'));
    const asPublishable = withChecksum(sk.key.slice(0, -6).replace('acme_live_', 'acme_pk_live_'));
    expect(parseKey(asSecret, PREFIX)?.type).toBe('secret');
    expect(parseKey(asPublishable, PREFIX)?.type).toBe('publishable');
    const headers = { referer: 'https://shop.example.com/' };
    expect(outcome(keyward.verify(bearer(asSecret, { headers })))).toBe('401 invalid_key');
    expect(outcome(keyward.verify(bearer(asPublishable, { headers })))).toBe('401 invalid_key');
    expect(outcome(keyward.verify(bearer(pk.key, { headers })))).toBe('ok');
  });

  it('rotate keeps the pk marker; list filters by type', async () => {
    const { keyward } = setup();
    const pk = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    const sk = await keyward.create({ name: 's' });
    const rotated = await keyward.rotate(pk.record.id);
    expect(rotated.key.startsWith(`acme_pk_live_${pk.record.id}_`)).toBe(true);
    expect((await keyward.list({ type: 'publishable' })).items.map((k) => k.id)).toEqual([
      pk.record.id,
    ]);
    expect((await keyward.list({ type: 'secret' })).items.map((k) => k.id)).toEqual([sk.record.id]);
  });

  it('review finds a publishable key without origins (hand-edited) and does not call it unrestricted', async () => {
    const { keyward, store } = setup();
    const { record } = await keyward.create({ name: 'b', type: 'publishable', referrers: SHOP });
    const stored = store.getKey(record.id)!;
    const { referrers: _referrers, ...bare } = stored;
    store.updateKey({ ...bare, version: 2 }, 1);
    const kinds = (await keyward.review({ now: Date.now() }))
      .filter((f) => f.keyId === record.id)
      .map((f) => f.kind);
    expect(kinds).toContain('publishable_without_origin');
    expect(kinds).not.toContain('unrestricted');
  });
});
