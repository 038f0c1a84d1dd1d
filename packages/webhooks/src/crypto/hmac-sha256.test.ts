import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.js';
import { hmacKey, hmacSha256, PADDING_ROOM } from './hmac-sha256.js';

/** HMAC-SHA256 through this module, the message copied into a buffer with padding room. */
function mac(key: Uint8Array, message: Uint8Array): string {
  const data = new Uint8Array(message.length + PADDING_ROOM);
  data.set(message);
  return Buffer.from(hmacSha256(hmacKey(key), data, message.length)).toString('hex');
}

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));

describe('HMAC-SHA256', () => {
  // RFC 4231 §4: the cases whose keys fit one block (webhook secrets are 24 to 64 bytes).
  it.each([
    [
      'case 1',
      hex('0b'.repeat(20)),
      ascii('Hi There'),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    ],
    [
      'case 2',
      ascii('Jefe'),
      ascii('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [
      'case 3',
      hex('aa'.repeat(20)),
      hex('dd'.repeat(50)),
      '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    ],
    [
      'case 4',
      hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      hex('cd'.repeat(50)),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
  ])('matches RFC 4231 %s', (_name, key, message, expected) => {
    expect(mac(key, message)).toBe(expected);
  });

  it('matches node:crypto for random keys of 0 to 64 bytes and messages around block edges', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        (key, message) => {
          expect(mac(key, message)).toBe(createHmac('sha256', key).update(message).digest('hex'));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('matches node:crypto for every length from 0 to 200 bytes and for 1 MiB', () => {
    const key = hex('5a'.repeat(32));
    const lengths = [...Array.from({ length: 201 }, (_, n) => n), 1024 * 1024];
    for (const length of lengths) {
      const message = Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);
      expect(mac(key, message), `length ${length}`).toBe(
        createHmac('sha256', key).update(message).digest('hex'),
      );
    }
  });

  it('refuses a key longer than one block (webhook secrets never are)', () => {
    expect(() => hmacKey(new Uint8Array(65))).toThrow(RangeError);
  });
});

describe('base64', () => {
  it('round-trips every byte string as node:crypto encodes it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = encodeBase64(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(encoded)).toEqual(bytes);
        expect(decodeBase64(encoded.replace(/=+$/, ''))).toEqual(bytes);
      }),
    );
  });

  it.each([
    ['a character outside the alphabet', 'ab$d'],
    ['url-safe characters', 'ab-_'],
    ['an impossible length', 'abcde'],
    ['padding in the middle', 'ab==abcd'],
    ['stray bits in the last character', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx='],
    ['a non-ASCII character', 'abc\u00e9'],
    ['white space', 'ab cd'],
  ])('refuses %s', (_name, text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });
});
