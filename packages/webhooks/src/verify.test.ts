import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret } from './secret.js';
import { signWebhook } from './sign.js';
import { verifyWebhook, type WebhookVerifyCode } from './verify.js';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = 1_700_000_000;
const nowMs = NOW * 1000 + 400;
const body = '{"type":"ping","data":{"n":1}}';
const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const good = signWebhook({ secret, id, timestamp: NOW, body });
const signature = good['webhook-signature'];
const otherSignature = signWebhook({ secret: generateWebhookSecret(), id, timestamp: NOW, body })[
  'webhook-signature'
];

function verify(headers: Record<string, string | string[] | undefined>, options = {}) {
  return verifyWebhook({ secrets: [secret], headers, body, now: nowMs, ...options });
}

function codeOf(result: ReturnType<typeof verifyWebhook>): WebhookVerifyCode | 'ok' {
  return result.ok ? 'ok' : result.code;
}

describe('verifyWebhook', () => {
  it('accepts a signed webhook and returns its id and timestamp', () => {
    expect(verify(good)).toEqual({ ok: true, id, timestamp: NOW });
  });

  it('verifies the exact bytes: a Uint8Array body, and a string body as its UTF-8', () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0x00, 0xfe, 0x80, 0x7d]); // not UTF-8
    const headers = signWebhook({ secret, id, timestamp: NOW, body: bytes });
    expect(verifyWebhook({ secrets: secret, headers, body: bytes, now: nowMs }).ok).toBe(true);
    // Decoding such bytes to a string and back changes them: the signature no longer matches.
    const decoded = new TextDecoder().decode(bytes);
    expect(codeOf(verifyWebhook({ secrets: secret, headers, body: decoded, now: nowMs }))).toBe(
      'invalid_signature',
    );
    const unicode = '{"name":"Zoë 🦊"}';
    const unicodeHeaders = signWebhook({ secret, id, timestamp: NOW, body: unicode });
    const utf8 = new TextEncoder().encode(unicode);
    expect(
      verifyWebhook({ secrets: secret, headers: unicodeHeaders, body: utf8, now: nowMs }).ok,
    ).toBe(true);
  });

  it('refuses a body re-serialised from parsed JSON (another space is another signature)', () => {
    const sent = '{"type": "ping", "data": {"n": 1}}';
    const headers = signWebhook({ secret, id, timestamp: NOW, body: sent });
    const reserialised = JSON.stringify(JSON.parse(sent));
    expect(codeOf(verifyWebhook({ secrets: secret, headers, body: sent, now: nowMs }))).toBe('ok');
    expect(
      codeOf(verifyWebhook({ secrets: secret, headers, body: reserialised, now: nowMs })),
    ).toBe('invalid_signature');
  });

  it('accepts an empty body that was signed, and refuses a wrong signature on one', () => {
    const headers = signWebhook({ secret, id, timestamp: NOW, body: '' });
    expect(verifyWebhook({ secrets: secret, headers, body: '', now: nowMs }).ok).toBe(true);
    expect(
      codeOf(
        verifyWebhook({ secrets: secret, headers: good, body: new Uint8Array(0), now: nowMs }),
      ),
    ).toBe('invalid_signature');
  });

  it('reads Node headers, Fetch Headers and records with names in any case', () => {
    expect(verify({ ...good }).ok).toBe(true);
    expect(
      verifyWebhook({ secrets: secret, headers: new Headers(good), body, now: nowMs }).ok,
    ).toBe(true);
    const mixedCase = {
      'Webhook-Id': good['webhook-id'],
      'WEBHOOK-TIMESTAMP': good['webhook-timestamp'],
      'Webhook-Signature': signature,
    };
    expect(verify(mixedCase).ok).toBe(true);
    expect(verify({ ...good, 'webhook-id': [id] }).ok).toBe(true);
  });

  describe('during a secret rotation', () => {
    const next = generateWebhookSecret();
    it('accepts a webhook signed with any of the secrets', () => {
      const signedWithOld = good;
      const signedWithNext = signWebhook({ secret: next, id, timestamp: NOW, body });
      for (const headers of [signedWithOld, signedWithNext]) {
        expect(verifyWebhook({ secrets: [next, secret], headers, body, now: nowMs }).ok).toBe(true);
      }
      expect(codeOf(verifyWebhook({ secrets: [next], headers: good, body, now: nowMs }))).toBe(
        'invalid_signature',
      );
    });

    it('accepts a header with one signature per secret, for receivers on either secret', () => {
      const both = signWebhook({ secret: [next, secret], id, timestamp: NOW, body });
      expect(both['webhook-signature'].split(' ')).toHaveLength(2);
      expect(verifyWebhook({ secrets: [secret], headers: both, body, now: nowMs }).ok).toBe(true);
      expect(verifyWebhook({ secrets: [next], headers: both, body, now: nowMs }).ok).toBe(true);
    });

    it('finds the valid signature among unknown versions and wrong v1 ones', () => {
      const header = [
        'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==',
        otherSignature,
        'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
        signature,
      ].join(' ');
      expect(verify({ ...good, 'webhook-signature': header }).ok).toBe(true);
    });
  });

  describe('timestamps', () => {
    const at = (seconds: number) => signWebhook({ secret, id, timestamp: seconds, body });
    it.each([
      ['exactly the tolerance old', NOW - 300, 'ok'],
      ['one second too old', NOW - 301, 'timestamp_too_old'],
      ['exactly the tolerance ahead', NOW + 300, 'ok'],
      ['one second too far ahead', NOW + 301, 'timestamp_too_new'],
      ['a day old', NOW - 86_400, 'timestamp_too_old'],
      ['in the year 5000', 95_617_584_000, 'timestamp_too_new'],
    ] as const)('%s → %s', (_name, timestamp, code) => {
      expect(codeOf(verify(at(timestamp)))).toBe(code);
    });

    it('uses toleranceSeconds and now as given (a Date too)', () => {
      const old = at(NOW - 60);
      expect(codeOf(verify(old, { toleranceSeconds: 59 }))).toBe('timestamp_too_old');
      expect(codeOf(verify(old, { toleranceSeconds: 60 }))).toBe('ok');
      expect(codeOf(verify(old, { now: new Date((NOW - 60) * 1000) }))).toBe('ok');
    });
  });

  describe('refuses hostile or broken input with a code, never a throw', () => {
    const cases: ReadonlyArray<
      [string, Record<string, string | string[] | undefined>, WebhookVerifyCode]
    > = [
      ['no headers at all', {}, 'missing_headers'],
      ['no webhook-id', { ...good, 'webhook-id': undefined }, 'missing_headers'],
      ['no webhook-timestamp', { ...good, 'webhook-timestamp': undefined }, 'missing_headers'],
      ['no webhook-signature', { ...good, 'webhook-signature': undefined }, 'missing_headers'],
      ['an empty webhook-signature', { ...good, 'webhook-signature': '' }, 'missing_headers'],
      ['an empty header array', { ...good, 'webhook-id': [] }, 'missing_headers'],
      ['a repeated webhook-id', { ...good, 'webhook-id': [id, 'msg_other'] }, 'malformed'],
      [
        'a repeated signature header',
        { ...good, 'webhook-signature': [signature, signature] },
        'malformed',
      ],
      ['an id with a dot', { ...good, 'webhook-id': 'msg.1' }, 'malformed'],
      ['an id with a space', { ...good, 'webhook-id': 'msg 1' }, 'malformed'],
      ['an id of 257 characters', { ...good, 'webhook-id': 'a'.repeat(257) }, 'malformed'],
      ['an id with non-ASCII', { ...good, 'webhook-id': 'msg_é' }, 'malformed'],
      ['a non-numeric timestamp', { ...good, 'webhook-timestamp': 'hello' }, 'malformed'],
      [
        'a timestamp with trailing junk',
        { ...good, 'webhook-timestamp': `${NOW}abc` },
        'malformed',
      ],
      ['a negative timestamp', { ...good, 'webhook-timestamp': `-${NOW}` }, 'malformed'],
      ['a fractional timestamp', { ...good, 'webhook-timestamp': `${NOW}.5` }, 'malformed'],
      ['a timestamp in exponent form', { ...good, 'webhook-timestamp': '1.7e9' }, 'malformed'],
      ['a timestamp with a leading zero', { ...good, 'webhook-timestamp': `0${NOW}` }, 'malformed'],
      [
        'a timestamp in milliseconds… of 20 digits',
        { ...good, 'webhook-timestamp': '9'.repeat(20) },
        'malformed',
      ],
      ['a 400-digit timestamp', { ...good, 'webhook-timestamp': '9'.repeat(400) }, 'malformed'],
      [
        'a signature without a version',
        { ...good, 'webhook-signature': signature.slice(3) },
        'malformed',
      ],
      ['a garbage signature header', { ...good, 'webhook-signature': 'garbage' }, 'malformed'],
      [
        'a truncated signature',
        { ...good, 'webhook-signature': signature.slice(0, 8) },
        'malformed',
      ],
      ['"v1," alone', { ...good, 'webhook-signature': 'v1,' }, 'malformed'],
      [
        'a short v1 signature',
        { ...good, 'webhook-signature': 'v1,dawfeoifkpqwoekfpqoekf' },
        'malformed',
      ],
      ['only spaces', { ...good, 'webhook-signature': '   ' }, 'malformed'],
      [
        'a 100 kB signature header',
        { ...good, 'webhook-signature': `${signature} `.repeat(2000) },
        'malformed',
      ],
      [
        'a wrong v1 signature',
        { ...good, 'webhook-signature': otherSignature },
        'invalid_signature',
      ],
      [
        'a v1 signature of another body',
        {
          ...good,
          'webhook-signature': signWebhook({ secret, id, timestamp: NOW, body: '{}' })[
            'webhook-signature'
          ],
        },
        'invalid_signature',
      ],
      ['the signature of another id', { ...good, 'webhook-id': 'msg_other' }, 'invalid_signature'],
      [
        'only an asymmetric (v1a) signature',
        {
          ...good,
          'webhook-signature':
            'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==',
        },
        'invalid_signature',
      ],
      [
        'a valid signature with the version in upper case',
        { ...good, 'webhook-signature': `V1${signature.slice(2)}` },
        'malformed',
      ],
    ];
    it.each(cases.map(([name, headers, code]) => [name, code, headers] as const))(
      '%s → %s',
      (_name, code, headers) => {
        expect(codeOf(verify(headers))).toBe(code);
      },
    );

    it('refuses a 10 MB body as malformed, before hashing, at the default 1 MiB limit', () => {
      const huge = new Uint8Array(10 * 1024 * 1024);
      const headers = signWebhook({ secret, id, timestamp: NOW, body: huge });
      expect(codeOf(verifyWebhook({ secrets: secret, headers, body: huge, now: nowMs }))).toBe(
        'malformed',
      );
      const hugeText = 'x'.repeat(10 * 1024 * 1024);
      expect(codeOf(verifyWebhook({ secrets: secret, headers, body: hugeText, now: nowMs }))).toBe(
        'malformed',
      );
      // With the limit raised, the same body verifies.
      expect(
        verifyWebhook({ secrets: secret, headers, body: huge, now: nowMs, maxBodyBytes: 11e6 }).ok,
      ).toBe(true);
    });

    it('counts a string body in UTF-8 bytes against maxBodyBytes', () => {
      const text = 'é'.repeat(600); // 600 characters, 1200 bytes
      const headers = signWebhook({ secret, id, timestamp: NOW, body: text });
      const at = (maxBodyBytes: number) =>
        codeOf(verifyWebhook({ secrets: secret, headers, body: text, now: nowMs, maxBodyBytes }));
      expect(at(1199)).toBe('malformed');
      expect(at(1200)).toBe('ok');
    });

    it('never throws on random header values', () => {
      const values = ['', ' ', ',', 'v1', 'v1,,', '\u0000', '\u{1f98a}', 'v1,====', '1'.repeat(16)];
      for (const a of values) {
        for (const b of values) {
          const headers = {
            'webhook-id': a,
            'webhook-timestamp': b,
            'webhook-signature': `v1,${a}${b}`,
          };
          expect(() => verify(headers)).not.toThrow();
        }
      }
    });
  });

  describe('misuse throws a TypeError at once', () => {
    it.each([
      ['a parsed body', { body: { type: 'ping' } }],
      ['a null body', { body: null }],
      ['no secrets', { secrets: [] }],
      ['a secret that is not base64', { secrets: ['whsec_not base64!'] }],
      ['a secret of 16 bytes', { secrets: [`whsec_${Buffer.alloc(16, 1).toString('base64')}`] }],
      ['a secret of 65 bytes', { secrets: [`whsec_${Buffer.alloc(65, 1).toString('base64')}`] }],
      ['an empty secret', { secrets: ['whsec_'] }],
      ['a negative tolerance', { toleranceSeconds: -1 }],
      ['a NaN maxBodyBytes', { maxBodyBytes: Number.NaN }],
      ['an invalid now', { now: new Date('nope') }],
      ['null headers', { headers: null }],
    ])('%s', (_name, overrides) => {
      const options = { secrets: [secret], headers: good, body, now: nowMs, ...overrides };
      expect(() => verifyWebhook(options as never)).toThrow(TypeError);
    });

    it('never shows the secret in the error', () => {
      const bad = 'whsec_c2VjcmV0LXZhbHVlLXRvby1zaG9ydA==';
      let message = '';
      try {
        verifyWebhook({ secrets: [bad], headers: good, body });
      } catch (error) {
        message = inspect(error);
      }
      expect(message).toMatch(/secrets\[0\]/);
      expect(message).not.toContain(bad.slice(6));
    });
  });

  it('accepts a secret without the whsec_ prefix, as the reference libraries do', () => {
    expect(verifyWebhook({ secrets: secret.slice(6), headers: good, body, now: nowMs }).ok).toBe(
      true,
    );
  });

  it('computes the HMAC over id.timestamp.body keyed with the decoded secret', () => {
    const key = Buffer.from(secret.slice(6), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${NOW}.${body}`).digest('base64');
    expect(signature).toBe(`v1,${expected}`);
  });
});
