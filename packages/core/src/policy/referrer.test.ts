import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors.js';
import type { HeaderBag } from '../key/extract.js';
import { bearer, settle, setup } from '../test-helpers.js';
import { compileReferrerAllowList } from './referrer.js';

const referer = (url: string): HeaderBag => ({ referer: url });

describe('referrer pattern compilation', () => {
  it.each([
    'ftp://example.com',
    'https://*example.com',
    'https://*.*.example.com',
    'https://example.com/a*b',
    'https://exa mple.com',
    'https://user@example.com',
    'https://example.com?x=1',
    'https://example.com#top',
    '',
    'https://',
  ])('refuses %j with an error naming it', (pattern) => {
    let error: unknown;
    try {
      compileReferrerAllowList([pattern]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('invalid_options');
    expect((error as Error).message).toContain(`"${pattern}"`);
  });

  it('refuses a non-array', () => {
    expect(() => compileReferrerAllowList('example.com')).toThrow(InvalidOptionsError);
  });
});

describe('referrer matching', () => {
  const exact = compileReferrerAllowList(['example.com']);

  it.each([
    ['https://example.com/', true],
    ['http://example.com/any/path?q=1', true],
    ['https://example.com./', true],
    ['https://EXAMPLE.com/', true],
    ['https://example.com.evil.com/', false],
    ['https://evil.com/?example.com', false],
    ['https://evil.com/example.com', false],
    ['https://example.com@evil.com/', false],
    ['https://user:pw@example.com/', false],
    ['https://ex\u0430mple.com/', false],
    ['https://sub.example.com/', false],
    ['https://notexample.com/', false],
    ['ftp://example.com/', false],
    ['example.com', false],
    ['', false],
  ])('example.com vs %j → %s', (url, expected) => {
    expect(exact.matches(referer(url))).toBe(expected);
  });

  it('*. matches subdomains only, at any depth, and never the bare domain', () => {
    const list = compileReferrerAllowList(['*.example.com']);
    expect(list.matches(referer('https://a.example.com/'))).toBe(true);
    expect(list.matches(referer('https://a.b.example.com/'))).toBe(true);
    expect(list.matches(referer('https://example.com/'))).toBe(false);
    expect(list.matches(referer('https://.example.com/'))).toBe(false);
    expect(list.matches(referer('https://aexample.com/'))).toBe(false);
    expect(list.matches(referer('https://a.example.com.evil.com/'))).toBe(false);
  });

  it('a path ending in * is a prefix; otherwise the path is exact', () => {
    const prefix = compileReferrerAllowList(['https://example.com/app/*']);
    expect(prefix.matches(referer('https://example.com/app/'))).toBe(true);
    expect(prefix.matches(referer('https://example.com/app/x/y?z=1'))).toBe(true);
    expect(prefix.matches(referer('https://example.com/application'))).toBe(false);
    expect(prefix.matches(referer('https://example.com/'))).toBe(false);
    const exactPath = compileReferrerAllowList(['https://example.com/app']);
    expect(exactPath.matches(referer('https://example.com/app'))).toBe(true);
    expect(exactPath.matches(referer('https://example.com/app?x=1'))).toBe(true);
    expect(exactPath.matches(referer('https://example.com/app/'))).toBe(false);
    expect(exactPath.matches(referer('https://example.com/apps'))).toBe(false);
  });

  it('a scheme restricts to it; *:// and no scheme allow http and https', () => {
    const https = compileReferrerAllowList(['https://example.com']);
    expect(https.matches(referer('https://example.com/'))).toBe(true);
    expect(https.matches(referer('http://example.com/'))).toBe(false);
    const any = compileReferrerAllowList(['*://example.com']);
    expect(any.matches(referer('http://example.com/'))).toBe(true);
    expect(any.matches(referer('https://example.com/'))).toBe(true);
  });

  it('a port restricts to it', () => {
    const list = compileReferrerAllowList(['http://localhost:3000/*']);
    expect(list.matches(referer('http://localhost:3000/x'))).toBe(true);
    expect(list.matches(referer('http://localhost:3001/x'))).toBe(false);
    expect(list.matches(referer('http://localhost/x'))).toBe(false);
  });

  it('no port in a pattern allows its host on any port (as docs/security-model.md says)', () => {
    const list = compileReferrerAllowList(['https://app.example.com/*']);
    expect(list.matches(referer('https://app.example.com/x'))).toBe(true);
    expect(list.matches(referer('https://app.example.com:8443/x'))).toBe(true);
    expect(list.matches(referer('https://evil.example.com:8443/x'))).toBe(false);
  });

  it('compares internationalised hosts after IDNA normalisation', () => {
    const list = compileReferrerAllowList(['münchen.de']);
    expect(list.matches(referer('https://xn--mnchen-3ya.de/'))).toBe(true);
    expect(list.matches(referer('https://münchen.de/'))).toBe(true);
    expect(list.matches(referer('https://munchen.de/'))).toBe(false);
  });

  it('uses Origin only when Referer is absent', () => {
    const list = compileReferrerAllowList(['https://example.com']);
    expect(list.matches({ origin: 'https://example.com' })).toBe(true);
    expect(list.matches({ referer: 'https://evil.com/', origin: 'https://example.com' })).toBe(
      false,
    );
    expect(list.matches({})).toBe(false);
    expect(list.matches({ origin: 'null' })).toBe(false);
  });

  it('fails closed on repeated or wrongly typed Referer values', () => {
    const list = compileReferrerAllowList(['example.com']);
    expect(list.matches({ referer: ['https://example.com/', 'https://evil.com/'] })).toBe(false);
    expect(list.matches({ referer: null } as unknown as HeaderBag)).toBe(false);
    expect(list.matches({ referer: 42 } as unknown as HeaderBag)).toBe(false);
    expect(list.matches({ referer: `https://example.com/${'a'.repeat(5000)}` })).toBe(false);
  });
});

describe('referrer restrictions through verify', () => {
  it('refuses bad patterns at create with InvalidOptionsError naming them', async () => {
    const { keyward } = setup();
    await expect(
      keyward.create({ name: 'x', referrers: ['https://ex*ample.com'] }),
    ).rejects.toMatchObject({
      code: 'invalid_options',
      message: expect.stringContaining('ex*ample'),
    });
  });

  it('rejects a null Referer with referrer_not_allowed instead of throwing', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'x', referrers: ['example.com'] });
    const request = bearer(key, { headers: { referer: null } as unknown as HeaderBag });
    const result = await settle(keyward.verify(request));
    expect(result.ok ? 'ok' : result.code).toBe('referrer_not_allowed');
  });
});

describe('default ports in patterns', () => {
  it('treats an explicit default port as the scheme’s own (URL reports it as empty)', () => {
    const list = compileReferrerAllowList(['https://example.com:443/*', 'http://example.com:80/*']);
    expect(list.matches({ referer: 'https://example.com/page' })).toBe(true);
    expect(list.matches({ referer: 'http://example.com/page' })).toBe(true);
    expect(list.matches({ referer: 'https://example.com:8443/page' })).toBe(false);
  });
});
