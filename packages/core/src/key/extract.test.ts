import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKeyward, type Keyward } from '../keyward.js';
import { PREFIX } from '../test-helpers.js';
import type { VerifyRequest, VerifyResult } from '../types.js';

const HOSTILE = [
  '\u0000',
  '\r\n',
  '\r',
  '\n',
  '\t',
  '\u200b',
  '\ufeff',
  '\uff10\uff11',
  '\u0410',
  '\ud800',
  ',',
  ' ',
  'Bearer ',
  'Bearer',
  '_',
  'acme_live_',
];

/** Strings built from pieces that tend to break header parsers, plus plain arbitrary text. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 150 }),
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 20 })), { maxLength: 30 })
    .map((parts) => parts.join('')),
  fc.nat({ max: 100_000 }).map((n) => 'A'.repeat(n)),
);

function expectSyncRejection(result: VerifyResult | Promise<VerifyResult>): void {
  expect(typeof (result as { then?: unknown }).then).not.toBe('function');
  expect((result as VerifyResult).ok).toBe(false);
}

describe('key extraction from hostile headers', () => {
  let keyward: Keyward;
  let validKey: string;

  beforeAll(async () => {
    keyward = createKeyward({ prefix: PREFIX, failedAttempts: false });
    validKey = (await keyward.create({ name: 'real' })).key;
  });

  it('never throws and never verifies arbitrary header values', () => {
    fc.assert(
      fc.property(
        hostileString,
        fc.constantFrom('authorization', 'x-api-key'),
        fc.boolean(),
        (value, header, bearer) => {
          const text = header === 'authorization' && bearer ? `Bearer ${value}` : value;
          const request: VerifyRequest = { headers: { [header]: text }, ip: '192.0.2.1' };
          expectSyncRejection(keyward.verify(request));
          expectSyncRejection(keyward.verify({ headers: {}, rawHeaders: [header, text] }));
          expectSyncRejection(keyward.verify({ headers: { [header]: [text, text] } }));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never verifies hostile text wrapped around a valid key', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HOSTILE.filter((h) => h !== ' ' && h !== '\t' && h !== 'Bearer ')),
        fc.boolean(),
        (noise, before) => {
          const value = before ? noise + validKey : validKey + noise;
          const result = keyward.verify({ headers: { 'x-api-key': value } });
          expectSyncRejection(result);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('does not throw on header values of the wrong type', () => {
    for (const value of [null, 42, {}, true, [null], [42]] as unknown[]) {
      for (const header of ['authorization', 'x-api-key']) {
        const request = { headers: { [header]: value } } as unknown as VerifyRequest;
        expectSyncRejection(keyward.verify(request));
      }
    }
    const raw = {
      headers: {},
      rawHeaders: [null, 'x', 'authorization', 42],
    } as unknown as VerifyRequest;
    expectSyncRejection(keyward.verify(raw));
  });

  it('ignores a valid key sent under a header that is not configured', () => {
    const result = keyward.verify({ headers: { 'x-key': validKey } });
    expectSyncRejection(result);
    expect((result as VerifyResult).ok === false && (result as { code: string }).code).toBe(
      'missing_key',
    );
  });

  it('refuses an oversized value that repeats the key as ambiguous, one without a comma as malformed', () => {
    const joined = Array.from({ length: 20 }, () => validKey).join(',');
    const result = keyward.verify({ headers: { 'x-api-key': joined } });
    expect((result as { code: string }).code).toBe('ambiguous_key');
    const long = keyward.verify({ headers: { 'x-api-key': validKey.repeat(20) } });
    expect((long as { code: string }).code).toBe('malformed_key');
    const bearer = keyward.verify({ headers: { authorization: `Bearer ${validKey.repeat(20)}` } });
    expect((bearer as { code: string }).code).toBe('malformed_key');
  });

  it('ignores an oversized Authorization value of another scheme, as it ignores a short one', () => {
    const negotiate = `Negotiate ${'A'.repeat(4000)}`;
    const alone = keyward.verify({ headers: { authorization: negotiate } });
    expect((alone as { code: string }).code).toBe('missing_key');
    const beside = keyward.verify({ headers: { authorization: negotiate, 'x-api-key': validKey } });
    expect((beside as VerifyResult).ok).toBe(true);
  });
});
