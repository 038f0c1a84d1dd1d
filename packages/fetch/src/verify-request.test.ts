import {
  createKeyward,
  type Keyward,
  MemoryStore,
  type VerifyRequest,
  type VerifyResult,
} from '@keyward/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { toVerifyRequest } from './request.js';
import { verifyRequest } from './verify-request.js';

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore(), failedAttempts: false });
let read: { key: string; id: string };
beforeAll(async () => {
  const { key, record } = await keyward.create({
    name: 'read',
    scopes: ['items:read'],
    ips: ['10.0.0.0/8'],
    rateLimit: { capacity: 10, refillPerSecond: 1 },
  });
  read = { key, id: record.id };
});

const request = (headers: Record<string, string> = {}, url = 'http://api.test/items') =>
  new Request(url, { headers });

describe('verifyRequest', () => {
  it('throws a TypeError naming an unknown option, so a typo never opens a route', () => {
    const sent = request({ 'x-api-key': read.key });
    expect(() => verifyRequest(keyward, sent, { scope: ['items:admin'] } as never)).toThrow(
      /unknown option "scope"/,
    );
    expect(() =>
      verifyRequest(keyward, sent, Object.freeze({ ip: '10.0.0.1', keyType: 'secret' as const })),
    ).not.toThrow();
  });

  it('returns the core success, synchronously, with the rate-limit headers to send', () => {
    const outcome = verifyRequest(keyward, request({ 'x-api-key': read.key }), { ip: '10.0.0.1' });
    expect(outcome).not.toBeInstanceOf(Promise);
    expect(outcome).toMatchObject({ ok: true, key: { id: read.id } });
    expect((outcome as { headers: Record<string, string> }).headers['ratelimit']).toMatch(/^"key"/);
  });

  it('returns a rejection with its code, status and the Response to send', async () => {
    const outcome = await verifyRequest(keyward, request({ 'x-api-key': read.key }), {
      ip: '192.0.2.1',
    });
    if (outcome.ok) throw new Error('expected a rejection');
    expect({ code: outcome.code, status: outcome.status }).toEqual({
      code: 'ip_not_allowed',
      status: 403,
    });
    expect(outcome.response.status).toBe(403);
    expect(outcome.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await outcome.response.json()).toEqual(outcome.body);
  });

  it('checks the route requirement and takes the IP from a function of the request', async () => {
    const ip = (req: Request) => req.headers.get('x-test-ip');
    const admin = await verifyRequest(
      keyward,
      request({ 'x-api-key': read.key, 'x-test-ip': '10.1.1.1' }),
      {
        scopes: ['items:admin'],
        ip,
      },
    );
    expect(admin.ok ? 'ok' : admin.code).toBe('insufficient_scope');
    const ok = await verifyRequest(
      keyward,
      request({ 'x-api-key': read.key, 'x-test-ip': '10.1.1.1' }),
      {
        scopes: ['items:read'],
        ip,
      },
    );
    expect(ok.ok).toBe(true);
  });

  it('sees repeated Authorization lines as the runtime joined them, and two keys as ambiguous', async () => {
    const other = await keyward.create({ name: 'other' });
    const headers = new Headers();
    headers.append('authorization', `Bearer ${read.key}`);
    headers.append('authorization', `Bearer ${other.key}`);
    expect(headers.get('authorization')).toBe(`Bearer ${read.key}, Bearer ${other.key}`);
    const outcome = await verifyRequest(keyward, new Request('http://api.test/', { headers }));
    expect(outcome.ok ? 'ok' : outcome.code).toBe('ambiguous_key');
  });

  it('refuses two lines of the same key as ambiguous: a joined value holds a comma, a key none', async () => {
    for (const name of ['authorization', 'x-api-key']) {
      const value = name === 'authorization' ? `Bearer ${read.key}` : read.key;
      const headers = new Headers();
      headers.append(name, value);
      headers.append(name, value);
      const outcome = await verifyRequest(keyward, new Request('http://api.test/', { headers }), {
        ip: '10.0.0.1',
      });
      expect({ name, code: outcome.ok ? 'ok' : outcome.code }).toEqual({
        name,
        code: 'ambiguous_key',
      });
    }
  });

  it('verifies and charges a Request once however often it is checked, each time for its own scopes', async () => {
    const { key, record } = await keyward.create({
      name: 'twice',
      scopes: ['items:read'],
      rateLimit: { capacity: 10, refillPerSecond: 0.001 },
    });
    const req = request({ 'x-api-key': key });
    const first = await verifyRequest(keyward, req, { scopes: ['items:read'] });
    expect(first.ok && first.headers['ratelimit']).toBe('"key";r=9;t=0');
    const again = await verifyRequest(keyward, req, { scopes: ['items:read'] });
    expect(again).toMatchObject({ ok: true, key: { id: record.id }, headers: {} });
    const admin = await verifyRequest(keyward, req, { scopes: ['items:admin'] });
    expect(admin.ok ? 'ok' : admin.code).toBe('insufficient_scope');
    const costly = await verifyRequest(keyward, req, { cost: 3 });
    expect(costly.ok && costly.headers['ratelimit']).toBe('"key";r=7;t=0');
    // A new Request of the same key is verified, and charged, on its own.
    const next = await verifyRequest(keyward, request({ 'x-api-key': key }));
    expect(next.ok && next.headers['ratelimit']).toBe('"key";r=6;t=0');
  });
});

describe('toVerifyRequest', () => {
  const seen = (req: Request, ip?: string): VerifyRequest => {
    let captured: VerifyRequest | undefined;
    const spy = {
      verify: (r: VerifyRequest): VerifyResult => {
        captured = r;
        return { ok: false } as VerifyResult;
      },
    } as unknown as Keyward;
    spy.verify(toVerifyRequest(req, ip));
    return captured!;
  };

  it('passes the method, the IP, and the path with its query as the URL', () => {
    const r = seen(
      new Request('https://api.test:8443/a/b?c=1#frag', { method: 'POST' }),
      '10.0.0.1',
    );
    expect({ method: r.method, ip: r.ip, url: r.url }).toEqual({
      method: 'POST',
      ip: '10.0.0.1',
      url: '/a/b?c=1',
    });
    expect(seen(new Request('http://api.test')).url).toBe('/');
    expect(seen(new Request('http://api.test?x=1')).url).toBe('/?x=1');
  });

  it('reads headers by name, any case, and never an object member', () => {
    const { headers } = seen(request({ 'X-API-Key': 'k', Constructor: 'c' }));
    expect(headers['x-api-key']).toBe('k');
    expect(headers['constructor']).toBe('c');
    const proto = '__proto__';
    expect(headers[proto]).toBeUndefined();
    expect(headers['toString']).toBeUndefined();
    expect(headers['referer']).toBeUndefined();
    expect('x-api-key' in headers).toBe(true);
  });
});
