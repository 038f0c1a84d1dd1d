import { describe, expect, it } from 'vitest';
import { formatKey, type KeyEnvironment, parseKey } from './key/format.js';
import { createKeyward } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';
import type { KeyRecord, KeyStore } from './stores/types.js';
import {
  AsyncKeyStore,
  bearer,
  failingLimitStore,
  otherSecret,
  PREFIX,
  RecordingStore,
  rejection,
  secretOf,
  settle,
  setup,
  withSecret,
  wrongChecksum,
} from './test-helpers.js';
import type { VerifyRequest } from './types.js';

const PROBLEM = 'application/problem+json';

async function expectRejected(
  result: ReturnType<ReturnType<typeof setup>['keyward']['verify']>,
  code: string,
  status: number,
) {
  const r = rejection(await settle(result));
  expect(r.code).toBe(code);
  expect(r.status).toBe(status);
  expect(r.body.code).toBe(code);
  expect(r.body.status).toBe(status);
  expect(r.headers['content-type']).toBe(PROBLEM);
  if (status === 401) expect(r.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
  else if (code !== 'insufficient_scope') expect(r.headers['www-authenticate']).toBeUndefined();
  if (status === 429 || status === 503) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  return r;
}

describe('missing_key', () => {
  it('rejects a request with no key header with 401 and a Bearer challenge', async () => {
    const { keyward } = setup();
    const r = await expectRejected(keyward.verify({ headers: {} }), 'missing_key', 401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('treats an Authorization header with another scheme as no key', async () => {
    const { keyward } = setup();
    await expectRejected(
      keyward.verify({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      'missing_key',
      401,
    );
  });

  it('survives a missing or non-object headers bag', async () => {
    const { keyward } = setup();
    await expectRejected(
      keyward.verify({ headers: undefined } as unknown as VerifyRequest),
      'missing_key',
      401,
    );
    await expectRejected(keyward.verify(null as unknown as VerifyRequest), 'missing_key', 401);
  });
});

describe('ambiguous_key', () => {
  it('rejects Authorization and X-API-Key carrying different keys', async () => {
    const { keyward } = setup();
    const a = await keyward.create({ name: 'a' });
    const b = await keyward.create({ name: 'b' });
    await expectRejected(
      keyward.verify({ headers: { authorization: `Bearer ${a.key}`, 'x-api-key': b.key } }),
      'ambiguous_key',
      400,
    );
  });

  it('refuses a Bearer credential beside anything else in one comma-joined Authorization', async () => {
    const { keyward } = setup();
    const a = await keyward.create({ name: 'a' });
    const b = await keyward.create({ name: 'b' });
    const basic = 'Basic dXNlcjpwdw==';
    for (const headers of [
      { authorization: `${basic}, Bearer ${b.key}`, 'x-api-key': a.key },
      { authorization: `${basic}, Bearer ${a.key}, ${b.key}` },
      // One key, but beside another credential: no single credential holds a comma and a Bearer.
      { authorization: `${basic}, Bearer ${a.key}` },
    ]) {
      await expectRejected(keyward.verify({ headers }), 'ambiguous_key', 400);
    }
    // Another scheme alone is still no key at all.
    await expectRejected(keyward.verify({ headers: { authorization: basic } }), 'missing_key', 401);
  });

  it('rejects a comma-joined x-api-key with two keys', async () => {
    const { keyward } = setup();
    const a = await keyward.create({ name: 'a' });
    const b = await keyward.create({ name: 'b' });
    await expectRejected(
      keyward.verify({ headers: { 'x-api-key': `${a.key}, ${b.key}` } }),
      'ambiguous_key',
      400,
    );
  });

  it('rejects two Authorization values seen in rawHeaders even though headers kept one', async () => {
    const { keyward } = setup();
    const a = await keyward.create({ name: 'a' });
    const b = await keyward.create({ name: 'b' });
    await expectRejected(
      keyward.verify({
        headers: { authorization: `Bearer ${a.key}` },
        rawHeaders: ['Authorization', `Bearer ${a.key}`, 'authorization', `Bearer ${b.key}`],
      }),
      'ambiguous_key',
      400,
    );
  });

  it('accepts the same key in Authorization and X-API-Key, on one line each', async () => {
    const { keyward } = setup();
    const a = await keyward.create({ name: 'a' });
    const requests: VerifyRequest[] = [
      { headers: { authorization: `Bearer ${a.key}`, 'x-api-key': a.key } },
      { headers: {}, rawHeaders: ['Authorization', `Bearer ${a.key}`, 'X-API-Key', a.key] },
    ];
    for (const request of requests) {
      const result = await settle(keyward.verify(request));
      expect(result.ok).toBe(true);
    }
  });

  it('refuses the same key twice in one comma-joined value: a key holds no comma', async () => {
    const { keyward } = setup({ failedAttempts: false });
    const a = await keyward.create({ name: 'a' });
    const requests: VerifyRequest[] = [
      { headers: { 'x-api-key': `${a.key}, ${a.key}` } },
      { headers: {}, rawHeaders: ['x-api-key', `${a.key},${a.key}`] },
      { headers: { authorization: `Bearer ${a.key}, Bearer ${a.key}` } },
      { headers: { authorization: `Bearer ${a.key}, ${a.key}` } },
    ];
    for (const request of requests) {
      await expectRejected(keyward.verify(request), 'ambiguous_key', 400);
    }
  });

  it('refuses a second Authorization line beside a valid key, whatever it holds, in either order', async () => {
    const { keyward } = setup({ failedAttempts: false });
    const { key } = await keyward.create({ name: 'a' });
    const valid = `Bearer ${key}`;
    const seconds = [
      '',
      ' ',
      '\t',
      'garbage',
      'Basic dXNlcjpwdw==',
      'Bearer',
      valid,
      `bearer  ${key}`,
    ];
    for (const second of seconds) {
      for (const lines of [
        ['Authorization', valid, 'Authorization', second],
        ['authorization', second, 'AUTHORIZATION', valid],
      ]) {
        const r = rejection(
          await settle(
            keyward.verify({ headers: { authorization: lines[1]! }, rawHeaders: lines }),
          ),
        );
        expect({ lines, code: r.code, status: r.status }).toEqual({
          lines,
          code: 'ambiguous_key',
          status: 400,
        });
      }
    }
  });

  it('refuses two Authorization lines that hold no key at all (not missing_key)', async () => {
    const { keyward } = setup({ failedAttempts: false });
    const raw = ['Authorization', 'Basic dXNlcjpwdw==', 'Authorization', 'Basic dXNlcjpwdw=='];
    await expectRejected(
      keyward.verify({ headers: { authorization: raw[1]! }, rawHeaders: raw }),
      'ambiguous_key',
      400,
    );
    await expectRejected(
      keyward.verify({ headers: {}, rawHeaders: ['Authorization', '', 'Authorization', ''] }),
      'ambiguous_key',
      400,
    );
  });

  it('refuses two lines of any configured key header, even with the same key', async () => {
    const { keyward } = setup({ failedAttempts: false });
    const { key } = await keyward.create({ name: 'a' });
    for (const rawHeaders of [
      ['X-API-Key', key, 'x-api-key', key],
      ['X-API-Key', key, 'X-Api-Key', ''],
      ['x-api-key', 'junk', 'Authorization', `Bearer ${key}`, 'X-API-KEY', key],
    ]) {
      await expectRejected(keyward.verify({ headers: {}, rawHeaders }), 'ambiguous_key', 400);
    }
    const custom = setup({ failedAttempts: false, keyHeaders: ['x-token', 'authorization'] });
    const own = await custom.keyward.create({ name: 'b' });
    await expectRejected(
      custom.keyward.verify({ headers: {}, rawHeaders: ['x-token', own.key, 'X-Token', own.key] }),
      'ambiguous_key',
      400,
    );
    // Headers that are not configured may repeat freely.
    const result = await settle(
      custom.keyward.verify({
        headers: {},
        rawHeaders: ['X-Token', own.key, 'X-API-Key', 'a', 'X-API-Key', 'b'],
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('refuses a key header given as an array of more than one line in a headers bag', async () => {
    const { keyward } = setup({ failedAttempts: false });
    const { key } = await keyward.create({ name: 'a' });
    for (const headers of [
      { 'x-api-key': [key, key] },
      { authorization: [`Bearer ${key}`, ''] },
      { authorization: ['', `Bearer ${key}`] },
    ]) {
      await expectRejected(keyward.verify({ headers }), 'ambiguous_key', 400);
    }
    expect((await settle(keyward.verify({ headers: { 'x-api-key': [key] } }))).ok).toBe(true);
  });
});

describe('ambiguous_key: field lines a runtime joined into one value', () => {
  // What fetch `Headers` hand over for repeated lines (Bun, Deno, workerd, @hono/node-server),
  // and Node's `req.headers` for repeated lines of fields other than Authorization: the lines
  // joined with ", ". No line count is left; the comma rule decides.
  const KEY = '<key>';
  const ambiguous: ReadonlyArray<[string, Record<string, string>]> = [
    ['two Bearer lines with the same key', { authorization: `Bearer ${KEY}, Bearer ${KEY}` }],
    ['an empty line, then a Bearer line', { authorization: `, Bearer ${KEY}` }],
    ['a Bearer line, then an empty line', { authorization: `Bearer ${KEY}, ` }],
    ['a garbage line, then a Bearer line', { authorization: `garbage, Bearer ${KEY}` }],
    ['a bare Bearer line, then a Bearer line', { authorization: `Bearer, Bearer ${KEY}` }],
    ['a Bearer line after Digest parameters', { authorization: `Digest a=1, Bearer ${KEY}` }],
    ['a Bearer part inside a quoted string', { authorization: `Digest a="x, Bearer ${KEY}"` }],
    [
      'two Basic lines (no key at all)',
      { authorization: 'Basic dXNlcjpwdw==, Basic dXNlcjpwdw==' },
    ],
    ['two empty lines', { authorization: ', ' }],
    ['a Basic line, then an empty line', { authorization: 'Basic dXNlcjpwdw==, ' }],
    ['an empty Digest parameter', { authorization: 'Digest a=1, , b=2' }],
    ['a part that is no parameter after Digest', { authorization: 'Digest a=1, b' }],
    ['a quoted string left open', { authorization: 'Digest a="1, b=2' }],
    ['two X-API-Key lines with the same key', { 'x-api-key': `${KEY}, ${KEY}` }],
    ['an X-API-Key line, then an empty one', { 'x-api-key': `${KEY}, ` }],
    ['an empty X-API-Key line, then a key', { 'x-api-key': `, ${KEY}` }],
  ];

  for (const [name, headers] of ambiguous) {
    it(`refuses ${name} as ambiguous_key`, async () => {
      const { keyward } = setup({ failedAttempts: false });
      const { key } = await keyward.create({ name: 'a' });
      const filled = Object.fromEntries(
        Object.entries(headers).map(([header, value]) => [header, value.replaceAll(KEY, key)]),
      );
      await expectRejected(keyward.verify({ headers: filled }), 'ambiguous_key', 400);
      const rawHeaders = Object.entries(filled).flat();
      await expectRejected(keyward.verify({ headers: {}, rawHeaders }), 'ambiguous_key', 400);
    });
  }

  it('takes one Digest-like credential with commas as no key, beside a valid X-API-Key', async () => {
    const { keyward } = setup({ failedAttempts: false });
    const { key, record } = await keyward.create({ name: 'a' });
    for (const authorization of [
      'Digest a=1, b=2',
      'Digest a = 1 ,b= "2"',
      'Digest username="u", realm="Example, Inc.", uri="/a,b?c=d,e", qop=auth, nc=00000001, ' +
        'cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9"',
      'Digest realm="a \\"quoted, part\\"", b=2',
    ]) {
      const result = await settle(keyward.verify({ headers: { authorization, 'x-api-key': key } }));
      expect({ authorization, id: result.ok ? result.key.id : result.code }).toEqual({
        authorization,
        id: record.id,
      });
      await expectRejected(keyward.verify({ headers: { authorization } }), 'missing_key', 401);
    }
  });
});

describe('malformed_key', () => {
  it.each([
    ['too short', (k: string) => k.slice(0, -1)],
    ['too long', (k: string) => `${k}A`],
    ['bad charset', (k: string) => `${k.slice(0, 20)}-${k.slice(21)}`],
    ['non-ASCII look-alike', (k: string) => `${k.slice(0, 20)}\u0410${k.slice(21)}`],
    ['other prefix', (k: string) => `acmf${k.slice(4)}`],
    ['bad checksum', wrongChecksum],
    ['unknown environment', (k: string) => k.replace('_live_', '_prod_')],
  ])('rejects a key with %s without touching the store', async (_case, mutate) => {
    const { keyward, store } = setup({ failedAttempts: false });
    const { key } = await keyward.create({ name: 'a', environment: 'live' });
    const readsBefore = store.reads;
    await expectRejected(keyward.verify(bearer(mutate(key))), 'malformed_key', 401);
    expect(store.reads).toBe(readsBefore);
  });
});

describe('wrong_environment', () => {
  it('rejects a test key at a live-only deployment with zero store reads', async () => {
    const store = new RecordingStore();
    const issuer = createKeyward({ prefix: PREFIX, store });
    const { key } = await issuer.create({ name: 't', environment: 'test' });
    const live = createKeyward({ prefix: PREFIX, store, environments: ['live'] });
    const readsBefore = store.reads;
    await expectRejected(live.verify(bearer(key)), 'wrong_environment', 401);
    expect(store.reads).toBe(readsBefore);
  });

  // The env part is a label under a public checksum: relabelling a key keeps its id and secret.
  const relabel = (key: string, from: KeyEnvironment, to: KeyEnvironment): string => {
    const parsed = parseKey(key, PREFIX);
    if (parsed?.environment !== from) throw new Error(`not a ${from} key`);
    return formatKey(PREFIX, to, parsed.id, parsed.secret);
  };

  it('rejects a test key relabelled live (checksum recomputed) at a live-only deployment', async () => {
    const store = new MemoryStore();
    const live = createKeyward({ prefix: PREFIX, store, environments: ['live'] });
    const { key } = await live.create({ name: 't', environment: 'test' });
    const forged = relabel(key, 'test', 'live');
    expect(parseKey(forged, PREFIX)?.environment).toBe('live');
    // Twice: the first read fills the cache, the second is served from it.
    await expectRejected(live.verify(bearer(forged)), 'wrong_environment', 401);
    await expectRejected(live.verify(bearer(forged)), 'wrong_environment', 401);
  });

  it('rejects a relabelled key where both environments are accepted, and still accepts the key itself', async () => {
    const { keyward } = setup();
    const test = await keyward.create({ name: 't', environment: 'test' });
    const live = await keyward.create({ name: 'l', environment: 'live' });
    await expectRejected(
      keyward.verify(bearer(relabel(test.key, 'test', 'live'))),
      'wrong_environment',
      401,
    );
    await expectRejected(
      keyward.verify(bearer(relabel(live.key, 'live', 'test'))),
      'wrong_environment',
      401,
    );
    const ok = await settle(keyward.verify(bearer(test.key)));
    expect(ok.ok && ok.key.environment).toBe('test');
  });

  it('counts a relabelled key as a failed attempt by its client IP', async () => {
    const { keyward } = setup({ failedAttempts: { capacity: 2, refillPerSecond: 0.001 } });
    const { key } = await keyward.create({ name: 't', environment: 'test' });
    const forged = relabel(key, 'test', 'live');
    const ip = '203.0.113.9';
    await expectRejected(keyward.verify(bearer(forged, { ip })), 'wrong_environment', 401);
    await expectRejected(keyward.verify(bearer(forged, { ip })), 'wrong_environment', 401);
    const other = await keyward.create({ name: 'u', environment: 'test' });
    await expectRejected(keyward.verify(bearer(other.key, { ip })), 'too_many_failures', 429);
  });
});

describe('invalid_key', () => {
  it('gives one code to an unknown id (valid checksum) and to a wrong secret', async () => {
    const { keyward } = setup();
    const elsewhere = createKeyward({ prefix: PREFIX, store: new MemoryStore() });
    const unknown = (await elsewhere.create({ name: 'x' })).key;
    const known = (await keyward.create({ name: 'k' })).key;
    const wrong = withSecret(known, otherSecret(secretOf(known)));
    const a = await expectRejected(keyward.verify(bearer(unknown)), 'invalid_key', 401);
    const b = await expectRejected(keyward.verify(bearer(wrong)), 'invalid_key', 401);
    expect(a.headers).toEqual(b.headers);
    expect(a.body).toEqual(b.body);
  });
});

describe('expired_key', () => {
  it('rejects a key past expiresAt', async () => {
    const { keyward, clock } = setup();
    const { key } = await keyward.create({ name: 'e', expiresAt: clock.now + 1000 });
    clock.advance(1000);
    await expectRejected(keyward.verify(bearer(key)), 'expired_key', 401);
  });

  it('rejects an old secret past its rotation grace', async () => {
    const { keyward, clock } = setup();
    const created = await keyward.create({ name: 'r' });
    await keyward.rotate(created.record.id, { gracePeriodMs: 60_000 });
    clock.advance(60_000);
    await expectRejected(keyward.verify(bearer(created.key)), 'expired_key', 401);
  });
});

describe('revoked_key', () => {
  it('rejects a revoked key', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'r' });
    await keyward.revoke(record.id, { reason: 'leaked' });
    await expectRejected(keyward.verify(bearer(key)), 'revoked_key', 401);
  });
});

describe('disabled_key', () => {
  it('rejects a disabled key with 403, and re-enabling restores it', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'd' });
    await keyward.update(record.id, { disabled: true });
    await expectRejected(keyward.verify(bearer(key)), 'disabled_key', 403);
    await keyward.update(record.id, { disabled: false });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
  });
});

describe('ip_not_allowed', () => {
  it('rejects a client IP outside the allow-list and accepts one inside', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'i', ips: ['10.0.0.0/8'] });
    await expectRejected(keyward.verify(bearer(key, { ip: '11.0.0.1' })), 'ip_not_allowed', 403);
    expect((await settle(keyward.verify(bearer(key, { ip: '10.9.8.7' })))).ok).toBe(true);
  });
});

describe('referrer_not_allowed', () => {
  it('rejects a missing Referer when patterns are set, and falls back to Origin', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'r', referrers: ['https://example.com/*'] });
    await expectRejected(keyward.verify(bearer(key)), 'referrer_not_allowed', 403);
    await expectRejected(
      keyward.verify(bearer(key, { headers: { referer: 'https://evil.com/' } })),
      'referrer_not_allowed',
      403,
    );
    const viaOrigin = await settle(
      keyward.verify(bearer(key, { headers: { origin: 'https://example.com' } })),
    );
    expect(viaOrigin.ok).toBe(true);
  });
});

describe('insufficient_scope', () => {
  it('requires every scope of scopes', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 's', scopes: ['invoices:read'] });
    const r = await expectRejected(
      keyward.verify(bearer(key), { scopes: ['invoices:read', 'invoices:write'] }),
      'insufficient_scope',
      403,
    );
    expect(r.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect((await settle(keyward.verify(bearer(key), { scopes: ['invoices:read'] }))).ok).toBe(
      true,
    );
  });

  it('requires at least one of anyScopes', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 's', scopes: ['invoices:read'] });
    await expectRejected(
      keyward.verify(bearer(key), { anyScopes: ['users:read', 'users:write'] }),
      'insufficient_scope',
      403,
    );
    const ok = await settle(
      keyward.verify(bearer(key), { anyScopes: ['users:read', 'invoices:read'] }),
    );
    expect(ok.ok).toBe(true);
  });

  it('follows an options object mutated between calls (only frozen ones are compiled once)', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'r', scopes: ['invoices:read'] });
    const options: { scopes: string[] } = { scopes: ['invoices:read'] };
    expect((await settle(keyward.verify(bearer(key), options))).ok).toBe(true);
    options.scopes = ['admin:write'];
    await expectRejected(keyward.verify(bearer(key), options), 'insufficient_scope', 403);
    options.scopes = ['invoices:read'];
    expect((await settle(keyward.verify(bearer(key), options))).ok).toBe(true);
    options.scopes.push('admin:write');
    await expectRejected(keyward.verify(bearer(key), options), 'insufficient_scope', 403);
    (options as { scopes: unknown }).scopes = 'invoices:read';
    expect(() => keyward.verify(bearer(key), options)).toThrow(TypeError);
  });

  it('compiles a frozen options object once and still answers by it', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'r', scopes: ['invoices:read'] });
    // Frozen objects whose `scopes` getter counts how often verify reads it.
    let reads = 0;
    const counted = (scopes: readonly string[]) =>
      Object.freeze({
        get scopes() {
          reads++;
          return scopes;
        },
      });
    const read = counted(Object.freeze(['invoices:read']));
    const admin = counted(Object.freeze(['admin:write']));
    expect((await settle(keyward.verify(bearer(key), read))).ok).toBe(true);
    await expectRejected(keyward.verify(bearer(key), admin), 'insufficient_scope', 403);
    const afterFirstUse = reads;
    expect(afterFirstUse).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      expect((await settle(keyward.verify(bearer(key), read))).ok).toBe(true);
      await expectRejected(keyward.verify(bearer(key), admin), 'insufficient_scope', 403);
    }
    expect(reads).toBe(afterFirstUse);
  });

  it('lets invoices:* cover invoices actions only, and * cover everything', async () => {
    const { keyward } = setup();
    const resource = (await keyward.create({ name: 'r', scopes: ['invoices:*'] })).key;
    const all = (await keyward.create({ name: 'a', scopes: ['*'] })).key;
    const write = { scopes: ['invoices:write'] };
    const users = { scopes: ['users:read'] };
    expect((await settle(keyward.verify(bearer(resource), write))).ok).toBe(true);
    await expectRejected(keyward.verify(bearer(resource), users), 'insufficient_scope', 403);
    expect((await settle(keyward.verify(bearer(all), users))).ok).toBe(true);
  });
});

describe('rate_limited', () => {
  it('rejects with 429, Retry-After and RateLimit headers when the bucket is empty', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({
      name: 'l',
      rateLimit: { capacity: 2, refillPerSecond: 1 },
    });
    for (let i = 0; i < 2; i++) expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    const r = await expectRejected(keyward.verify(bearer(key)), 'rate_limited', 429);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers['ratelimit-policy']).toBe('"key";q=2;w=2');
    expect(r.headers.ratelimit).toBe('"key";r=0;t=1');
  });
});

describe('quota_exceeded', () => {
  it('rejects with 429 and Retry-After until the UTC period resets', async () => {
    const { keyward, clock } = setup();
    clock.set(Date.UTC(2025, 2, 10, 23, 0, 0));
    const { key } = await keyward.create({ name: 'q', quota: { limit: 1, period: 'day' } });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    const r = await expectRejected(keyward.verify(bearer(key)), 'quota_exceeded', 429);
    expect(r.headers['retry-after']).toBe('3600');
    expect(r.headers.ratelimit).toBe('"quota";r=0;t=3600');
    clock.set(Date.UTC(2025, 2, 11));
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
  });
});

describe('too_many_failures', () => {
  it('throttles an IP after N bad keys, refusing a key it has no cached record of, and refills over time', async () => {
    const { keyward, clock, events } = setup({
      failedAttempts: { capacity: 3, refillPerSecond: 1 },
    });
    const { key } = await keyward.create({ name: 'good' });
    const bad = withSecret(key, otherSecret(secretOf(key)));
    const ip = '198.51.100.7';
    for (let i = 0; i < 3; i++) {
      await expectRejected(keyward.verify(bearer(bad, { ip })), 'invalid_key', 401);
    }
    expect(events.some((e) => e.type === 'anomaly' && e.kind === 'failed_attempts')).toBe(true);
    keyward.clearCache();
    const r = await expectRejected(keyward.verify(bearer(key, { ip })), 'too_many_failures', 429);
    expect(r.headers['retry-after']).toBe('1');
    // Another IP is unaffected.
    expect((await settle(keyward.verify(bearer(key, { ip: '198.51.100.8' })))).ok).toBe(true);
    keyward.clearCache();
    clock.advance(999);
    await expectRejected(keyward.verify(bearer(key, { ip })), 'too_many_failures', 429);
    clock.advance(1);
    expect((await settle(keyward.verify(bearer(key, { ip })))).ok).toBe(true);
    // The refilled token goes to the next bad key, which throttles the IP again.
    await expectRejected(keyward.verify(bearer(bad, { ip })), 'invalid_key', 401);
    await expectRejected(keyward.verify(bearer(bad, { ip })), 'too_many_failures', 429);
  });

  it('lets a throttled IP use a key whose secret matches a cached record, and nothing else, with no store read', async () => {
    const { keyward, store, clock, events } = setup({
      failedAttempts: { capacity: 3, refillPerSecond: 0.001 },
    });
    const victim = await keyward.create({ name: 'victim', scopes: ['items:read'] });
    const uncached = await keyward.create({ name: 'not cached yet' });
    const stranger = await keyward.create({ name: 'stranger' });
    const ip = '198.51.100.7';
    // The victim's key is in use, so its record is cached.
    expect((await settle(keyward.verify(bearer(victim.key, { ip })))).ok).toBe(true);
    // A stranger behind the same address sends junk until the address is throttled.
    const junk = [
      withSecret(stranger.key, otherSecret(secretOf(stranger.key))),
      formatKey(PREFIX, 'live', 'AAAAAAAAAAAA', secretOf(victim.key)),
      'acme_live_nonsense',
    ];
    for (const value of junk) await settle(keyward.verify(bearer(value, { ip })));
    const readsBefore = store.reads;
    const codes = async (keys: string[], options?: Parameters<typeof keyward.verify>[1]) => {
      const out: string[] = [];
      for (const value of keys) {
        const result = await settle(keyward.verify(bearer(value, { ip }), options));
        out.push(result.ok ? 'ok' : result.code);
      }
      return out;
    };
    expect(await codes([victim.key, victim.key])).toEqual(['ok', 'ok']);
    const wrongSecret = withSecret(victim.key, otherSecret(secretOf(victim.key)));
    const { id, secret } = parseKey(victim.key, PREFIX)!;
    expect(await codes([wrongSecret, ...junk, uncached.key])).toEqual(
      Array(5).fill('too_many_failures'),
    );
    // Rejections after the secret matched keep their own codes: the holder may know them.
    expect(await codes([victim.key], { scopes: ['items:write'] })).toEqual(['insufficient_scope']);
    expect(await codes([formatKey(PREFIX, 'test', id, secret)])).toEqual(['wrong_environment']);
    expect(store.reads).toBe(readsBefore);
    expect(events.filter((e) => e.type === 'key.verified' && e.ip === ip)).toHaveLength(3);
    // Past the cache's freshness the matching secret reads the store once more, junk still never.
    clock.advance(31_000);
    expect(await codes([wrongSecret, victim.key, victim.key])).toEqual([
      'too_many_failures',
      'ok',
      'ok',
    ]);
    expect(store.reads).toBe(readsBefore + 1);
    // A revoked key's record leaves the cache, so the throttled IP gets the throttle's answer.
    await keyward.revoke(victim.record.id);
    const readsAfterRevoke = store.reads;
    expect(await codes([victim.key])).toEqual(['too_many_failures']);
    expect(store.reads).toBe(readsAfterRevoke);
  });

  it('answers a throttled IP whose matching secret belongs to a stale record the store has since changed', async () => {
    const { keyward, store, clock } = setup({
      failedAttempts: { capacity: 1, refillPerSecond: 0.001 },
    });
    const { key, record } = await keyward.create({ name: 'rotated' });
    const ip = '198.51.100.7';
    expect((await settle(keyward.verify(bearer(key, { ip })))).ok).toBe(true);
    await settle(keyward.verify(bearer('acme_live_nonsense', { ip })));
    // Rotated elsewhere (straight in the store), with no grace: the cached digests are the old ones.
    const other = createKeyward({ prefix: PREFIX, store });
    const rotated = await other.rotate(record.id);
    clock.advance(31_000);
    const readsBefore = store.reads;
    await expectRejected(keyward.verify(bearer(key, { ip })), 'too_many_failures', 429);
    expect(store.reads).toBe(readsBefore + 1);
    // That read cached the record as it is now, whose secret the new key holds.
    expect((await settle(keyward.verify(bearer(rotated.key, { ip })))).ok).toBe(true);
    await expectRejected(keyward.verify(bearer(key, { ip })), 'too_many_failures', 429);
    expect(store.reads).toBe(readsBefore + 1);
  });

  it('counts malformed keys too', async () => {
    const { keyward } = setup({ failedAttempts: { capacity: 2, refillPerSecond: 0.01 } });
    const ip = '198.51.100.9';
    for (let i = 0; i < 2; i++) {
      await expectRejected(keyward.verify(bearer('nonsense', { ip })), 'malformed_key', 401);
    }
    await expectRejected(keyward.verify(bearer('nonsense', { ip })), 'too_many_failures', 429);
  });
});

describe('store_unavailable', () => {
  async function withKeyStore(getKey: KeyStore['getKey']) {
    const inner = new MemoryStore();
    const issuer = createKeyward({ prefix: PREFIX, store: inner });
    const { key } = await issuer.create({ name: 's' });
    const keyStore: KeyStore = {
      getKey,
      insertKey: (r: KeyRecord) => inner.insertKey(r),
      updateKey: (r: KeyRecord, v: number) => inner.updateKey(r, v),
      listKeys: (q) => inner.listKeys(q),
    };
    const events: string[] = [];
    const keyward = createKeyward({
      prefix: PREFIX,
      keyStore,
      limitStore: inner,
      storeTimeoutMs: 50,
      onEvent: (e) => events.push(e.type === 'anomaly' ? `anomaly:${e.kind}` : e.type),
    });
    return { keyward, key, events };
  }

  it.each([
    [
      'throws synchronously',
      () => {
        throw new Error('down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('down'))],
    ['never answers', () => new Promise<never>(() => {})],
  ])('answers 503 with Retry-After when the key store %s', async (_case, getKey) => {
    const { keyward, key, events } = await withKeyStore(getKey);
    const started = Date.now();
    await expectRejected(keyward.verify(bearer(key)), 'store_unavailable', 503);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(events).toContain('anomaly:store_error');
  });

  it.each(['throw', 'reject', 'hang'] as const)(
    'fails closed (503) by default when the limit store fails (%s)',
    async (mode) => {
      const keyStore = new MemoryStore();
      const keyward = createKeyward({
        prefix: PREFIX,
        keyStore,
        limitStore: failingLimitStore(mode),
        storeTimeoutMs: 50,
      });
      const { key } = await keyward.create({
        name: 'l',
        rateLimit: { capacity: 5, refillPerSecond: 1 },
        quota: { limit: 10, period: 'day' },
      });
      await expectRejected(keyward.verify(bearer(key)), 'store_unavailable', 503);
    },
  );

  it.each(['throw', 'reject', 'hang'] as const)(
    'allows the request with limitStoreFailure "open" when the limit store fails (%s)',
    async (mode) => {
      const keyward = createKeyward({
        prefix: PREFIX,
        keyStore: new MemoryStore(),
        limitStore: failingLimitStore(mode),
        limitStoreFailure: 'open',
        storeTimeoutMs: 50,
      });
      const { key } = await keyward.create({
        name: 'l',
        rateLimit: { capacity: 5, refillPerSecond: 1 },
        quota: { limit: 10, period: 'day' },
      });
      expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
    },
  );

  it('recovers once the key store answers again', async () => {
    let down = true;
    const inner = new MemoryStore();
    const { keyward, key } = await withKeyStore((id) => {
      if (down) throw new Error('down');
      return inner.getKey(id);
    });
    await expectRejected(keyward.verify(bearer(key)), 'store_unavailable', 503);
    down = false;
    // `inner` is empty, so the id is unknown: the point is that the failure was not cached.
    await expectRejected(keyward.verify(bearer(key)), 'invalid_key', 401);
  });
});

describe('client IP', () => {
  it('never reads X-Forwarded-For or other forwarding headers', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'x', ips: ['10.0.0.0/8'] });
    const spoofed = {
      headers: {
        authorization: `Bearer ${key}`,
        'x-forwarded-for': '10.1.2.3',
        'x-real-ip': '10.1.2.3',
        forwarded: 'for=10.1.2.3',
      },
      ip: '203.0.113.9',
    };
    await expectRejected(keyward.verify(spoofed), 'ip_not_allowed', 403);
    expect((await keyward.verify({ ...spoofed, ip: '10.9.9.9' })).ok).toBe(true);
  });

  it('refuses (never throws) a key with referrer patterns when a request has only rawHeaders', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'x', referrers: ['https://example.com/*'] });
    const request = { rawHeaders: ['Authorization', `Bearer ${key}`], ip: '192.0.2.1' };
    await expectRejected(keyward.verify(request as never), 'referrer_not_allowed', 403);
  });
});

describe('state is revealed only to the right secret', () => {
  it.each([
    ['revoked', async (k: ReturnType<typeof setup>['keyward'], id: string) => k.revoke(id)],
    [
      'disabled',
      async (k: ReturnType<typeof setup>['keyward'], id: string) =>
        k.update(id, { disabled: true }),
    ],
    [
      'restricted',
      async (k: ReturnType<typeof setup>['keyward'], id: string) =>
        k.update(id, { ips: ['192.0.2.1'], scopes: [] }),
    ],
  ])('answers invalid_key to a wrong secret for a %s key', async (_case, change) => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'x' });
    await change(keyward, record.id);
    const wrong = withSecret(key, otherSecret(secretOf(key)));
    await expectRejected(keyward.verify(bearer(wrong)), 'invalid_key', 401);
    // Control: the change took effect, and the right secret is told about it.
    const right = await keyward.verify(bearer(key));
    expect(right.ok).toBe(false);
    expect(right.ok === false && right.code).not.toBe('invalid_key');
  });

  it('answers invalid_key to a wrong secret for a key whose bucket is empty', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({
      name: 'x',
      rateLimit: { capacity: 1, refillPerSecond: 0.001 },
    });
    expect((await keyward.verify(bearer(key))).ok).toBe(true);
    await expectRejected(keyward.verify(bearer(key)), 'rate_limited', 429);
    const wrong = withSecret(key, otherSecret(secretOf(key)));
    await expectRejected(keyward.verify(bearer(wrong)), 'invalid_key', 401);
  });

  it('answers invalid_key to a wrong secret for an expired key', async () => {
    const { keyward, clock } = setup();
    const { key } = await keyward.create({ name: 'x', expiresAt: clock.now + 10 });
    clock.advance(10);
    await expectRejected(keyward.verify(bearer(key)), 'expired_key', 401);
    const wrong = withSecret(key, otherSecret(secretOf(key)));
    await expectRejected(keyward.verify(bearer(wrong)), 'invalid_key', 401);
  });
});

describe('success', () => {
  it('answers repeated numbers with the same header values, in a new object each time', async () => {
    const { keyward, clock } = setup();
    const { key } = await keyward.create({
      name: 'memo',
      rateLimit: { capacity: 10, refillPerSecond: 1 },
    });
    const first = await settle(keyward.verify(bearer(key)));
    if (!first.ok) throw new Error(first.code);
    expect(first.headers.ratelimit).toBe('"key";r=9;t=0');
    // A second later the bucket is full again: the same numbers and values, another object.
    clock.advance(1000);
    const again = await settle(keyward.verify(bearer(key)));
    if (!again.ok) throw new Error(again.code);
    expect(again.headers).toEqual(first.headers);
    expect(again.headers).not.toBe(first.headers);
    (again.headers as Record<string, string>)['x-added-by-a-user'] = 'yes';
    // No time passes: one token fewer, so new values; nothing a caller added carries over.
    const fewer = await settle(keyward.verify(bearer(key)));
    if (!fewer.ok) throw new Error(fewer.code);
    expect(fewer.headers).toEqual({
      'ratelimit-policy': '"key";q=10;w=10',
      ratelimit: '"key";r=8;t=0',
    });
    expect(first.headers.ratelimit).toBe('"key";r=9;t=0');
  });

  it('gives rejections their own headers with Retry-After, never the memoised success object', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({
      name: 'memo-reject',
      rateLimit: { capacity: 1, refillPerSecond: 1 },
      quota: { limit: 100, period: 'hour' },
    });
    const ok = await settle(keyward.verify(bearer(key)));
    if (!ok.ok) throw new Error(ok.code);
    const limited = rejection(await settle(keyward.verify(bearer(key))));
    expect(limited.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers.ratelimit).toBe('"key";r=0;t=1');
    expect(ok.headers['retry-after']).toBeUndefined();
    expect(ok.headers.ratelimit).toBe('"key";r=0;t=1, "quota";r=99;t=0');
  });

  it('returns the KeyInfo and RateLimit headers for a key with limits', async () => {
    const { keyward, events } = setup();
    const { key, record } = await keyward.create({
      name: 'ok',
      rateLimit: { capacity: 10, refillPerSecond: 2 },
      quota: { limit: 100, period: 'hour' },
    });
    const result = await settle(keyward.verify(bearer(key)));
    if (!result.ok) throw new Error(result.code);
    expect(result.key.id).toBe(record.id);
    expect(result.headers['ratelimit-policy']).toBe('"key";q=10;w=5, "quota";q=100;w=3600');
    expect(result.headers.ratelimit).toBe('"key";r=9;t=0, "quota";r=99;t=0');
    expect(events.at(-1)).toMatchObject({
      type: 'key.verified',
      keyId: record.id,
      ip: '203.0.113.9',
    });
  });

  it('sends no RateLimit headers for a key without limits', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'ok' });
    const result = await settle(keyward.verify(bearer(key)));
    expect(result.ok && result.headers).toEqual({});
  });

  it('accepts the key from x-api-key and from a lower-case bearer scheme', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'ok' });
    expect((await settle(keyward.verify({ headers: { 'x-api-key': key } }))).ok).toBe(true);
    expect((await settle(keyward.verify({ headers: { authorization: `bearer ${key}` } }))).ok).toBe(
      true,
    );
  });

  it('reads only the configured keyHeaders', async () => {
    const { keyward } = setup({ keyHeaders: ['x-token'] });
    const { key } = await keyward.create({ name: 'ok' });
    expect((await settle(keyward.verify({ headers: { 'x-token': key } }))).ok).toBe(true);
    await expectRejected(keyward.verify(bearer(key)), 'missing_key', 401);
  });

  it('works with an async key store', async () => {
    const keyStore = new AsyncKeyStore();
    const keyward = createKeyward({ prefix: PREFIX, keyStore, limitStore: new MemoryStore() });
    const { key } = await keyward.create({ name: 'ok' });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
  });
});
