import { createHash, createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIGEST_LENGTH, normalizePeppers, SecretHasher } from './hash.js';
import { hmacSha256Short, hmacStates, ONE_BLOCK_MAX, sha256Short } from './sha256.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const latin1 = (text: string) => Buffer.from(text, 'latin1');
/** Strings of exactly `length` Latin-1 chars (the hot path gets at most ONE_BLOCK_MAX). */
const latin1OfLength = (length: number) =>
  fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: length, maxLength: length })
    .map((codes) => String.fromCharCode(...codes));

function shortSha(text: string): string {
  const out = new Uint8Array(DIGEST_LENGTH);
  sha256Short(text, out);
  return hex(out);
}

function shortHmac(key: Uint8Array, text: string): string {
  const out = new Uint8Array(DIGEST_LENGTH);
  hmacSha256Short(text, hmacStates(key), out);
  return hex(out);
}

describe('one-block SHA-256 and HMAC-SHA256', () => {
  it('matches the FIPS 180-2 and RFC 4231 test vectors', () => {
    expect(shortSha('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(shortSha('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    // RFC 4231 test case 2.
    expect(shortHmac(latin1('Jefe'), 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('equals node:crypto and @noble/hashes for every length that fits one block', () => {
    for (let length = 0; length <= ONE_BLOCK_MAX; length++) {
      fc.assert(
        fc.property(latin1OfLength(length), (text) => {
          const expected = createHash('sha256').update(latin1(text)).digest('hex');
          expect(shortSha(text)).toBe(expected);
          expect(hex(sha256(latin1(text)))).toBe(expected);
        }),
        { numRuns: 20 },
      );
    }
    expect(shortSha('\u00ff'.repeat(ONE_BLOCK_MAX))).toBe(
      createHash('sha256').update(Buffer.alloc(ONE_BLOCK_MAX, 0xff)).digest('hex'),
    );
  });

  it('equals node:crypto HMAC for every key length from 0 to 64 bytes', () => {
    for (let keyLength = 0; keyLength <= 64; keyLength++) {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: keyLength, maxLength: keyLength }),
          fc.integer({ min: 0, max: ONE_BLOCK_MAX }).chain(latin1OfLength),
          (key, text) => {
            const expected = createHmac('sha256', key).update(latin1(text)).digest('hex');
            expect(shortHmac(key, text)).toBe(expected);
            expect(hex(hmac(sha256, key, latin1(text)))).toBe(expected);
          },
        ),
        { numRuns: 10 },
      );
    }
  });

  it('refuses a key longer than a block (RFC 2104 wants it hashed first)', () => {
    expect(() => hmacStates(new Uint8Array(65))).toThrow(RangeError);
  });

  it('gives SecretHasher the same digests as node:crypto, one block or longer, any pepper length', () => {
    // 43 is a real secret; 55/56 the one-block edge; longer ones take the @noble/hashes path.
    // Peppers of 64 bytes and less are used as they are, longer ones hashed first (RFC 2104).
    for (const secretLength of [1, 43, 55, 56, 64, 100]) {
      for (const pepperLength of [16, 42, 63, 64, 65, 100, 200]) {
        fc.assert(
          fc.property(
            fc.stringMatching(new RegExp(`^[0-9A-Za-z]{${secretLength}}$`)),
            fc.stringMatching(new RegExp(`^[ -~]{${pepperLength}}$`)),
            (secret, pepper) => {
              const hasher = new SecretHasher(normalizePeppers(pepper));
              const out = new Uint8Array(DIGEST_LENGTH);
              expect(hasher.digestInto(secret, 'v1', out)).toBe(true);
              expect(hex(out)).toBe(
                createHmac('sha256', latin1(pepper)).update(latin1(secret)).digest('hex'),
              );
              expect(hasher.digestInto(secret, undefined, out)).toBe(true);
              expect(hex(out)).toBe(createHash('sha256').update(latin1(secret)).digest('hex'));
            },
          ),
          { numRuns: 3 },
        );
      }
    }
  });

  it('does not hash under a pepper version it does not know', () => {
    const hasher = new SecretHasher(normalizePeppers('pepper-0123456789abcdef'));
    expect(hasher.digestInto('a'.repeat(43), 'v9', new Uint8Array(DIGEST_LENGTH))).toBe(false);
    expect(hasher.digestInto('a'.repeat(60), 'v9', new Uint8Array(DIGEST_LENGTH))).toBe(false);
  });
});
