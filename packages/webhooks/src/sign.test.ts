import { describe, expect, it } from 'vitest';
import { decodeBase64 } from './crypto/base64.js';
import { generateWebhookSecret } from './secret.js';
import { signWebhook } from './sign.js';

describe('generateWebhookSecret', () => {
  it('is whsec_ and the base64 of 32 random bytes, new every time', () => {
    const secrets = Array.from({ length: 50 }, () => generateWebhookSecret());
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(decodeBase64(secret.slice(6))).toHaveLength(32);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
  });
});

describe('signWebhook', () => {
  const secret = generateWebhookSecret();

  it('returns the three headers, the timestamp in whole seconds', () => {
    const headers = signWebhook({
      secret,
      id: 'msg_1',
      timestamp: new Date('2030-01-02T03:04:05.999Z'),
      body: '{}',
    });
    expect(Object.keys(headers).sort()).toEqual([
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
    ]);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe(String(Date.parse('2030-01-02T03:04:05Z') / 1000));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('defaults the timestamp to now', () => {
    const before = Math.floor(Date.now() / 1000);
    const { 'webhook-timestamp': timestamp } = signWebhook({ secret, id: 'msg_1', body: '' });
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('signs with every secret given, in order, during a rotation', () => {
    const other = generateWebhookSecret();
    const options = { id: 'msg_1', timestamp: 1_700_000_000, body: 'x' };
    const both = signWebhook({ ...options, secret: [secret, other] })['webhook-signature'];
    expect(both).toBe(
      `${signWebhook({ ...options, secret })['webhook-signature']} ${
        signWebhook({ ...options, secret: other })['webhook-signature']
      }`,
    );
  });

  it.each([
    ['an id with a dot', { id: 'msg.1' }],
    ['an empty id', { id: '' }],
    ['a timestamp in milliseconds', { timestamp: 1_700_000_000_000 }],
    ['a fractional timestamp', { timestamp: 1_700_000_000.5 }],
    ['a negative timestamp', { timestamp: -1 }],
    ['an invalid Date', { timestamp: new Date('nope') }],
    ['a parsed body', { body: { type: 'ping' } }],
    ['a secret that is not a string', { secret: 42 }],
  ])('throws a TypeError for %s', (_name, overrides) => {
    const options = { secret, id: 'msg_1', body: '{}', ...overrides };
    expect(() => signWebhook(options as never)).toThrow(TypeError);
  });
});
