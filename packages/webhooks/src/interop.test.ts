/**
 * Interoperability with the reference `standardwebhooks` library (the test oracle) both ways,
 * and the test vectors of the Standard Webhooks libraries (standard-webhooks/standard-webhooks,
 * libraries/{javascript,go,python,…}: "sign function works"; libraries/rust: test_sign).
 */
import fc from 'fast-check';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { generateWebhookSecret } from './secret.js';
import { signWebhook } from './sign.js';
import { verifyWebhook } from './verify.js';

const VECTORS = [
  {
    name: 'the shared libraries vector',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
  {
    name: 'the Rust library vector',
    secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
    id: 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk',
    timestamp: 1649367553,
    body: '{"email":"test@example.com","username":"test_user"}',
    signature: 'v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=',
  },
];

describe('Standard Webhooks test vectors', () => {
  it.each(VECTORS)('signs $name', ({ secret, id, timestamp, body, signature }) => {
    expect(signWebhook({ secret, id, timestamp, body })['webhook-signature']).toBe(signature);
  });

  it.each(VECTORS)('verifies $name at its time', ({ secret, id, timestamp, body, signature }) => {
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    };
    expect(verifyWebhook({ secrets: secret, headers, body, now: timestamp * 1000 })).toEqual({
      ok: true,
      id,
      timestamp,
    });
  });

  it("refuses the Rust library's wrong signature", () => {
    const vector = VECTORS[1]!;
    const headers = {
      'webhook-id': vector.id,
      'webhook-timestamp': String(vector.timestamp),
      'webhook-signature': 'v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=',
    };
    const result = verifyWebhook({
      secrets: vector.secret,
      headers,
      body: vector.body,
      now: vector.timestamp * 1000,
    });
    expect(result).toEqual({ ok: false, code: 'invalid_signature' });
  });
});

describe('interoperability with the standardwebhooks library', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const body = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.json(),
  );
  const id = fc.stringMatching(/^msg_[A-Za-z0-9_-]{1,40}$/);

  it('its signatures verify here (strings, UTF-8 text and raw bytes)', () => {
    fc.assert(
      fc.property(body, id, (payload, msgId) => {
        const secret = generateWebhookSecret();
        const timestamp = new Date();
        const headers = {
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(msgId, timestamp, payload),
        };
        expect(verifyWebhook({ secrets: [secret], headers, body: payload }).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('signatures made here verify there, one secret or two', () => {
    fc.assert(
      fc.property(body, id, fc.boolean(), (payload, msgId, rotating) => {
        const secret = generateWebhookSecret();
        const previous = generateWebhookSecret();
        const headers = signWebhook({
          secret: rotating ? [secret, previous] : secret,
          id: msgId,
          timestamp: nowSeconds(),
          body: payload,
        });
        for (const key of rotating ? [secret, previous] : [secret]) {
          expect(() =>
            new Webhook(key).verify(payload, { ...headers }, { jsonParse: false }),
          ).not.toThrow();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('both refuse the same tampering', () => {
    const secret = generateWebhookSecret();
    const payload = '{"type":"invoice.paid","amount":100}';
    const headers = signWebhook({ secret, id: 'msg_1', timestamp: nowSeconds(), body: payload });
    const tampered = payload.replace('100', '1000');
    expect(verifyWebhook({ secrets: secret, headers, body: tampered })).toEqual({
      ok: false,
      code: 'invalid_signature',
    });
    expect(() => new Webhook(secret).verify(tampered, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it('both see the same timestamp window (5 minutes either way)', () => {
    // Both read Date.now(): pinned, so a second ticking between their checks cannot split them.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_800_000_000_500);
      const secret = generateWebhookSecret();
      for (const offset of [-301, -290, 290, 301]) {
        const headers = signWebhook({
          secret,
          id: 'msg_1',
          timestamp: nowSeconds() + offset,
          body: '{}',
        });
        let theirs = true;
        try {
          new Webhook(secret).verify('{}', { ...headers });
        } catch {
          theirs = false;
        }
        expect(verifyWebhook({ secrets: secret, headers, body: '{}' }).ok, `offset ${offset}`).toBe(
          theirs,
        );
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
