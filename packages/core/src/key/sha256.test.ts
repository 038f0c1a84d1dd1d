import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECRET_LENGTH } from './format.js';
import { DIGEST_LENGTH, normalizePeppers, SecretHasher } from './hash.js';
import {
  hmacSecretWords,
  hmacSha256Short,
  hmacSha256ShortWords,
  hmacStates,
  ONE_BLOCK_MAX,
  sha256SecretWords,
  sha256Short,
  sha256ShortWords,
} from './sha256.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** Digest words (big-endian, four bytes a word) as hex: the same text as the digest's bytes. */
const hexWords = (words: Int32Array) =>
  Array.from(words, (word) => (word >>> 0).toString(16).padStart(8, '0')).join('');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const ascii = (text: string) => Buffer.from(text, 'latin1');
/** Strings of exactly `length` ASCII chars (the hot path gets at most ONE_BLOCK_MAX). */
const asciiOfLength = (length: number) =>
  fc
    .array(fc.integer({ min: 0, max: 0x7f }), { minLength: length, maxLength: length })
    .map((codes) => String.fromCharCode(...codes));

/** The text entry point, as bytes and as words (both must agree). */
function shortSha(text: string): string {
  const out = new Uint8Array(DIGEST_LENGTH);
  sha256Short(text, out);
  const words = new Int32Array(8);
  sha256ShortWords(text, words);
  expect(hexWords(words)).toBe(hex(out));
  return hex(out);
}

/** `bytes` inside a larger buffer, between 0xff bytes: the secret functions read only their part. */
function embedded(bytes: Uint8Array, at = 5): Uint8Array {
  const buffer = new Uint8Array(bytes.length + at + 5).fill(0xff);
  buffer.set(bytes, at);
  return buffer;
}

/** SHA-256 of 43 bytes through the hot path (`sha256SecretWords`), read at offset `at`. */
function secretSha(bytes: Uint8Array, at = 5): string {
  const out = new Int32Array(8);
  sha256SecretWords(embedded(bytes, at), at, out);
  return hexWords(out);
}

function shortHmac(key: Uint8Array, text: string): string {
  const out = new Uint8Array(DIGEST_LENGTH);
  hmacSha256Short(text, hmacStates(key), out);
  const words = new Int32Array(8);
  hmacSha256ShortWords(text, hmacStates(key), words);
  expect(hexWords(words)).toBe(hex(out));
  return hex(out);
}

function secretHmac(key: Uint8Array, bytes: Uint8Array, at = 5): string {
  const out = new Int32Array(8);
  hmacSecretWords(embedded(bytes, at), at, hmacStates(key), out);
  return hexWords(out);
}

/**
 * NIST CAVP "SHA-256 ShortMsg" (CAVS 11.0, SHAVS byte-oriented), `SHA256ShortMsg.rsp` as shipped,
 * unchanged, in Debian's python3-cryptography-vectors 38.0.4-1
 * (`cryptography_vectors/hashes/SHA2/SHA256ShortMsg.rsp`, sha256
 * 75e1cb83994638481808e225b9eb0c1ebd0c232d952ac42b61abce6363be283c): every `Len` from 0 to 512
 * bits in steps of 8 with its `Msg` and `MD`. (`Len = 0` lists `Msg = 00`: the message is empty.)
 */
function cavpShortMessages(): Array<{ bytes: Uint8Array; digest: string }> {
  const text = readFileSync(new URL('./vectors/SHA256ShortMsg.rsp', import.meta.url), 'latin1');
  const vectors: Array<{ bytes: Uint8Array; digest: string }> = [];
  for (const match of text.matchAll(/Len = (\d+)\r?\nMsg = ([0-9a-f]+)\r?\nMD = ([0-9a-f]{64})/g)) {
    const bits = Number(match[1]);
    vectors.push({ bytes: fromHex(match[2]!).subarray(0, bits / 8), digest: match[3]! });
  }
  return vectors;
}

/**
 * RFC 4231 §4.2–4.8, HMAC-SHA-256 (also in Debian's python3-cryptography-vectors as
 * `HMAC/rfc-4231-sha256.txt`, which leaves out case 5); case 5 compares the first 128 bits only.
 */
const RFC_4231: ReadonlyArray<{ case: number; key: string; data: string; mac: string }> = [
  {
    case: 1,
    key: '0b'.repeat(20),
    data: ascii('Hi There').toString('hex'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    case: 2,
    key: ascii('Jefe').toString('hex'),
    data: ascii('what do ya want for nothing?').toString('hex'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    case: 3,
    key: 'aa'.repeat(20),
    data: 'dd'.repeat(50),
    mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
  },
  {
    case: 4,
    key: '0102030405060708090a0b0c0d0e0f10111213141516171819',
    data: 'cd'.repeat(50),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  {
    case: 5,
    key: '0c'.repeat(20),
    data: ascii('Test With Truncation').toString('hex'),
    mac: 'a3b6167473100ee06e0c796c2955552b',
  },
  {
    case: 6,
    key: 'aa'.repeat(131),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    case: 7,
    key: 'aa'.repeat(131),
    data: ascii(
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
        'The key needs to be hashed before being used by the HMAC algorithm.',
    ).toString('hex'),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

/** RFC 2104: a key longer than the block is hashed first. */
const blockKey = (key: Uint8Array) => (key.length > 64 ? sha256(key) : key);
const isAscii = (bytes: Uint8Array) => bytes.every((byte) => byte <= 0x7f);

describe('one-block SHA-256 and HMAC-SHA256', () => {
  it('matches the NIST CAVP SHA-256 ShortMsg vectors: the 43-byte one through the secret path', () => {
    const vectors = cavpShortMessages();
    expect(vectors.map((v) => v.bytes.length)).toEqual(Array.from({ length: 65 }, (_, i) => i));
    const oneBlock = vectors.filter((v) => v.bytes.length <= ONE_BLOCK_MAX);
    expect(oneBlock).toHaveLength(56);
    const secretSized = oneBlock.find((v) => v.bytes.length === SECRET_LENGTH)!;
    for (const at of [0, 1, 2, 3, 5]) {
      expect(secretSha(secretSized.bytes, at)).toBe(secretSized.digest);
    }
    for (const { bytes, digest } of oneBlock) {
      const length = bytes.length;
      expect({ length, digest: createHash('sha256').update(bytes).digest('hex') }).toEqual({
        length,
        digest,
      });
      expect({ length, digest: hex(sha256(bytes)) }).toEqual({ length, digest });
      // The text entry point for the vectors that happen to be ASCII (the empty message, at least).
      if (isAscii(bytes)) expect(shortSha(Buffer.from(bytes).toString('latin1'))).toBe(digest);
    }
    expect(shortSha('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('matches RFC 4231 HMAC-SHA-256 test cases 1 to 6 whose data is ASCII (1, 2, 5, 6)', () => {
    const asciiCases = RFC_4231.filter(
      (v) => v.data.length / 2 <= ONE_BLOCK_MAX && isAscii(fromHex(v.data)),
    );
    expect(asciiCases.map((v) => v.case)).toEqual([1, 2, 5, 6]);
    for (const vector of asciiCases) {
      const key = blockKey(fromHex(vector.key));
      const text = Buffer.from(fromHex(vector.data)).toString('latin1');
      const mac = shortHmac(key, text).slice(0, vector.mac.length);
      expect({ case: vector.case, mac }).toEqual({ case: vector.case, mac: vector.mac });
    }
  });

  it('gives SecretHasher the RFC 4231 MACs whose data is ASCII, one block (1, 2, 5, 6) or longer (7)', () => {
    for (const vector of RFC_4231.filter((v) => isAscii(fromHex(v.data)))) {
      const hasher = new SecretHasher({
        current: 'v1',
        peppers: new Map([['v1', fromHex(vector.key)]]),
      });
      const out = new Uint8Array(DIGEST_LENGTH);
      expect(hasher.digestInto(Buffer.from(vector.data, 'hex').toString('latin1'), 'v1', out)).toBe(
        true,
      );
      const mac = hex(out).slice(0, vector.mac.length);
      expect({ case: vector.case, mac }).toEqual({ case: vector.case, mac: vector.mac });
    }
  });

  it('refuses text with a char above 0x7f with a TypeError, and hashes correctly afterwards', () => {
    const out = new Uint8Array(DIGEST_LENGTH);
    const states = hmacStates(ascii('Jefe'));
    for (const text of ['\u00e9', `${'a'.repeat(42)}\u0080`, '\u00ff', '\u20ac', '\ud83d\ude00']) {
      expect(() => sha256Short(text, out)).toThrow(TypeError);
      expect(() => hmacSha256Short(text, states, out)).toThrow(TypeError);
    }
    const hasher = new SecretHasher(normalizePeppers('pepper-0123456789abcdef'));
    for (const secret of [`${'a'.repeat(42)}\u00e9`, `${'a'.repeat(99)}\u00e9`]) {
      expect(() => hasher.digestInto(secret, 'v1', out)).toThrow(TypeError);
      expect(() => hasher.digestInto(secret, undefined, out)).toThrow(TypeError);
    }
    // Nothing of the refused input is left in the scratch state.
    expect(shortSha('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(shortHmac(ascii('Jefe'), 'what do ya want for nothing?')).toBe(RFC_4231[1]!.mac);
  });

  it('refuses more than one block of input with a RangeError', () => {
    const out = new Uint8Array(DIGEST_LENGTH);
    expect(() => sha256Short('a'.repeat(ONE_BLOCK_MAX + 1), out)).toThrow(RangeError);
    const words = new Int32Array(8);
    expect(() => sha256SecretWords(new Uint8Array(SECRET_LENGTH + 4), 5, words)).toThrow(
      RangeError,
    );
    expect(() => sha256SecretWords(new Uint8Array(SECRET_LENGTH), -1, words)).toThrow(RangeError);
    expect(sha256SecretWords(new Uint8Array(SECRET_LENGTH + 4), 4, words)).toBeUndefined();
  });

  it('equals node:crypto and @noble/hashes for every length that fits one block', () => {
    for (let length = 0; length <= ONE_BLOCK_MAX; length++) {
      fc.assert(
        fc.property(asciiOfLength(length), (text) => {
          const expected = createHash('sha256').update(ascii(text)).digest('hex');
          expect(shortSha(text)).toBe(expected);
          expect(hex(sha256(ascii(text)))).toBe(expected);
        }),
        { numRuns: 20 },
      );
    }
  });

  it('hashes any 43 bytes at any offset through the secret path as node:crypto does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: SECRET_LENGTH, maxLength: SECRET_LENGTH }),
        fc.integer({ min: 0, max: 9 }),
        (bytes, at) => {
          expect(secretSha(bytes, at)).toBe(createHash('sha256').update(bytes).digest('hex'));
        },
      ),
      { numRuns: 300 },
    );
    for (const fill of [0x00, 0x7f, 0x80, 0xff]) {
      const bytes = new Uint8Array(SECRET_LENGTH).fill(fill);
      expect(secretSha(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('equals node:crypto HMAC for every key length from 0 to 64 bytes', () => {
    for (let keyLength = 0; keyLength <= 64; keyLength++) {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: keyLength, maxLength: keyLength }),
          fc.integer({ min: 0, max: ONE_BLOCK_MAX }).chain(asciiOfLength),
          fc.uint8Array({ minLength: SECRET_LENGTH, maxLength: SECRET_LENGTH }),
          fc.integer({ min: 0, max: 9 }),
          (key, text, bytes, at) => {
            const expected = createHmac('sha256', key).update(ascii(text)).digest('hex');
            expect(shortHmac(key, text)).toBe(expected);
            expect(hex(hmac(sha256, key, ascii(text)))).toBe(expected);
            expect(secretHmac(key, bytes, at)).toBe(
              createHmac('sha256', key).update(bytes).digest('hex'),
            );
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
                createHmac('sha256', ascii(pepper)).update(ascii(secret)).digest('hex'),
              );
              expect(hasher.digestInto(secret, undefined, out)).toBe(true);
              expect(hex(out)).toBe(createHash('sha256').update(ascii(secret)).digest('hex'));
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
