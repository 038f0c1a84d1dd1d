/**
 * SHA-256 (FIPS 180-4) of a short ASCII string, and HMAC-SHA256 of one from precomputed keyed
 * states: the hot path of every verify. A key's secret is 43 characters, so its hash is ONE
 * compression, and its HMAC two. This module does exactly that work, reading the secret — the
 * bytes verify's parse left (`sha256SecretWords`), or a string's char codes (`sha256Short`) —
 * straight into the message schedule, with no allocations. A char code is a byte only for ASCII,
 * so any other text is refused with a TypeError (hashing its char codes would be neither UTF-8 nor what any other SHA-256 computes).
 * Everything else (long inputs, hashes for storage) uses @noble/hashes; the tests check this
 * module against the NIST CAVP short-message vectors, RFC 4231, @noble/hashes and node:crypto.
 */

import { SECRET_LENGTH } from './format.js';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The initial hash value H(0). */
export const SHA256_IV: Int32Array = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Longest string one block holds: 64 bytes less the 0x80 byte and the 8-byte length. */
export const ONE_BLOCK_MAX = 55;

const W = new Int32Array(16);
const STATE = new Int32Array(8);

/**
 * One compression of the block in W[0..16) from the state `from` into `to` (the same array for
 * in place). Written out 16 rounds at a time with the message schedule in 16 locals, which V8
 * keeps in registers (the loop over a 64-word schedule array it replaces read and wrote memory at
 * every step). Round `t` is the FIPS 180-4 round, its eight working variables renamed instead of
 * shifted: round t writes the `d` and `h` of round t mod 8. (The block is not passed as 16
 * parameters: a word outside the 31-bit small-integer range is boxed for the call, which made
 * verify 1.02–1.03× slower.)
 *
 * The same rounds as `@keyward/webhooks`' compression, which reads its words from bytes, many
 * blocks per call. Folding the two into one (core depends on webhooks) was measured both ways and
 * undone: words as input made `verifyWebhook` 1 KB 2.56 → 2.86× one HMAC (its target is ≤ 3×),
 * bytes as input made core's cached verify 1.02–1.07× slower (a 64-byte block to copy and re-read).
 */
// biome-ignore format: one statement to a line shows the rounds side by side
function compress(from: Int32Array, to: Int32Array): void {
  let a = from[0]!;
  let b = from[1]!;
  let c = from[2]!;
  let d = from[3]!;
  let e = from[4]!;
  let f = from[5]!;
  let g = from[6]!;
  let h = from[7]!;
  let w0 = W[0]!;
  let w1 = W[1]!;
  let w2 = W[2]!;
  let w3 = W[3]!;
  let w4 = W[4]!;
  let w5 = W[5]!;
  let w6 = W[6]!;
  let w7 = W[7]!;
  let w8 = W[8]!;
  let w9 = W[9]!;
  let w10 = W[10]!;
  let w11 = W[11]!;
  let w12 = W[12]!;
  let w13 = W[13]!;
  let w14 = W[14]!;
  let w15 = W[15]!;
  for (let t = 0; t < 64; t += 16) {
    if (t > 0) {
      w0 = (w0 + (((w1 >>> 7) | (w1 << 25)) ^ ((w1 >>> 18) | (w1 << 14)) ^ (w1 >>> 3)) + w9 + (((w14 >>> 17) | (w14 << 15)) ^ ((w14 >>> 19) | (w14 << 13)) ^ (w14 >>> 10))) | 0;
      w1 = (w1 + (((w2 >>> 7) | (w2 << 25)) ^ ((w2 >>> 18) | (w2 << 14)) ^ (w2 >>> 3)) + w10 + (((w15 >>> 17) | (w15 << 15)) ^ ((w15 >>> 19) | (w15 << 13)) ^ (w15 >>> 10))) | 0;
      w2 = (w2 + (((w3 >>> 7) | (w3 << 25)) ^ ((w3 >>> 18) | (w3 << 14)) ^ (w3 >>> 3)) + w11 + (((w0 >>> 17) | (w0 << 15)) ^ ((w0 >>> 19) | (w0 << 13)) ^ (w0 >>> 10))) | 0;
      w3 = (w3 + (((w4 >>> 7) | (w4 << 25)) ^ ((w4 >>> 18) | (w4 << 14)) ^ (w4 >>> 3)) + w12 + (((w1 >>> 17) | (w1 << 15)) ^ ((w1 >>> 19) | (w1 << 13)) ^ (w1 >>> 10))) | 0;
      w4 = (w4 + (((w5 >>> 7) | (w5 << 25)) ^ ((w5 >>> 18) | (w5 << 14)) ^ (w5 >>> 3)) + w13 + (((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10))) | 0;
      w5 = (w5 + (((w6 >>> 7) | (w6 << 25)) ^ ((w6 >>> 18) | (w6 << 14)) ^ (w6 >>> 3)) + w14 + (((w3 >>> 17) | (w3 << 15)) ^ ((w3 >>> 19) | (w3 << 13)) ^ (w3 >>> 10))) | 0;
      w6 = (w6 + (((w7 >>> 7) | (w7 << 25)) ^ ((w7 >>> 18) | (w7 << 14)) ^ (w7 >>> 3)) + w15 + (((w4 >>> 17) | (w4 << 15)) ^ ((w4 >>> 19) | (w4 << 13)) ^ (w4 >>> 10))) | 0;
      w7 = (w7 + (((w8 >>> 7) | (w8 << 25)) ^ ((w8 >>> 18) | (w8 << 14)) ^ (w8 >>> 3)) + w0 + (((w5 >>> 17) | (w5 << 15)) ^ ((w5 >>> 19) | (w5 << 13)) ^ (w5 >>> 10))) | 0;
      w8 = (w8 + (((w9 >>> 7) | (w9 << 25)) ^ ((w9 >>> 18) | (w9 << 14)) ^ (w9 >>> 3)) + w1 + (((w6 >>> 17) | (w6 << 15)) ^ ((w6 >>> 19) | (w6 << 13)) ^ (w6 >>> 10))) | 0;
      w9 = (w9 + (((w10 >>> 7) | (w10 << 25)) ^ ((w10 >>> 18) | (w10 << 14)) ^ (w10 >>> 3)) + w2 + (((w7 >>> 17) | (w7 << 15)) ^ ((w7 >>> 19) | (w7 << 13)) ^ (w7 >>> 10))) | 0;
      w10 = (w10 + (((w11 >>> 7) | (w11 << 25)) ^ ((w11 >>> 18) | (w11 << 14)) ^ (w11 >>> 3)) + w3 + (((w8 >>> 17) | (w8 << 15)) ^ ((w8 >>> 19) | (w8 << 13)) ^ (w8 >>> 10))) | 0;
      w11 = (w11 + (((w12 >>> 7) | (w12 << 25)) ^ ((w12 >>> 18) | (w12 << 14)) ^ (w12 >>> 3)) + w4 + (((w9 >>> 17) | (w9 << 15)) ^ ((w9 >>> 19) | (w9 << 13)) ^ (w9 >>> 10))) | 0;
      w12 = (w12 + (((w13 >>> 7) | (w13 << 25)) ^ ((w13 >>> 18) | (w13 << 14)) ^ (w13 >>> 3)) + w5 + (((w10 >>> 17) | (w10 << 15)) ^ ((w10 >>> 19) | (w10 << 13)) ^ (w10 >>> 10))) | 0;
      w13 = (w13 + (((w14 >>> 7) | (w14 << 25)) ^ ((w14 >>> 18) | (w14 << 14)) ^ (w14 >>> 3)) + w6 + (((w11 >>> 17) | (w11 << 15)) ^ ((w11 >>> 19) | (w11 << 13)) ^ (w11 >>> 10))) | 0;
      w14 = (w14 + (((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)) + w7 + (((w12 >>> 17) | (w12 << 15)) ^ ((w12 >>> 19) | (w12 << 13)) ^ (w12 >>> 10))) | 0;
      w15 = (w15 + (((w0 >>> 7) | (w0 << 25)) ^ ((w0 >>> 18) | (w0 << 14)) ^ (w0 >>> 3)) + w8 + (((w13 >>> 17) | (w13 << 15)) ^ ((w13 >>> 19) | (w13 << 13)) ^ (w13 >>> 10))) | 0;
    }
    let t1: number;
    t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K[t + 0]! + w0) | 0;
    d = (d + t1) | 0;
    h = (t1 + ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b))))) | 0;
    t1 = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + K[t + 1]! + w1) | 0;
    c = (c + t1) | 0;
    g = (t1 + ((((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a))))) | 0;
    t1 = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + K[t + 2]! + w2) | 0;
    b = (b + t1) | 0;
    f = (t1 + ((((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h))))) | 0;
    t1 = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + K[t + 3]! + w3) | 0;
    a = (a + t1) | 0;
    e = (t1 + ((((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g))))) | 0;
    t1 = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + K[t + 4]! + w4) | 0;
    h = (h + t1) | 0;
    d = (t1 + ((((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f))))) | 0;
    t1 = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + K[t + 5]! + w5) | 0;
    g = (g + t1) | 0;
    c = (t1 + ((((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e))))) | 0;
    t1 = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + K[t + 6]! + w6) | 0;
    f = (f + t1) | 0;
    b = (t1 + ((((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d))))) | 0;
    t1 = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + K[t + 7]! + w7) | 0;
    e = (e + t1) | 0;
    a = (t1 + ((((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c))))) | 0;
    t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K[t + 8]! + w8) | 0;
    d = (d + t1) | 0;
    h = (t1 + ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b))))) | 0;
    t1 = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + K[t + 9]! + w9) | 0;
    c = (c + t1) | 0;
    g = (t1 + ((((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a))))) | 0;
    t1 = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + K[t + 10]! + w10) | 0;
    b = (b + t1) | 0;
    f = (t1 + ((((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h))))) | 0;
    t1 = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + K[t + 11]! + w11) | 0;
    a = (a + t1) | 0;
    e = (t1 + ((((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g))))) | 0;
    t1 = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + K[t + 12]! + w12) | 0;
    h = (h + t1) | 0;
    d = (t1 + ((((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f))))) | 0;
    t1 = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + K[t + 13]! + w13) | 0;
    g = (g + t1) | 0;
    c = (t1 + ((((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e))))) | 0;
    t1 = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + K[t + 14]! + w14) | 0;
    f = (f + t1) | 0;
    b = (t1 + ((((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d))))) | 0;
    t1 = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + K[t + 15]! + w15) | 0;
    e = (e + t1) | 0;
    a = (t1 + ((((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c))))) | 0;
  }
  to[0] = (from[0]! + a) | 0;
  to[1] = (from[1]! + b) | 0;
  to[2] = (from[2]! + c) | 0;
  to[3] = (from[3]! + d) | 0;
  to[4] = (from[4]! + e) | 0;
  to[5] = (from[5]! + f) | 0;
  to[6] = (from[6]! + g) | 0;
  to[7] = (from[7]! + h) | 0;
}

/**
 * Loads `text`'s char codes into W[0..16) (zeros after them). Throws before hashing anything
 * when `text` is longer than ONE_BLOCK_MAX or holds a char above 0x7f.
 */
function loadText(text: string): void {
  const n = text.length;
  if (n > ONE_BLOCK_MAX) throw new RangeError('sha256Short: at most 55 chars fit one block');
  // Four chars a word, big-endian; `all` gathers every char code to check they are ASCII.
  let all = 0;
  let i = 0;
  let word = 0;
  for (const whole = n >> 2; word < whole; word++, i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    all |= c0 | c1 | c2 | c3;
    W[word] = (c0 << 24) | (c1 << 16) | (c2 << 8) | c3;
  }
  let tail = 0;
  for (let shift = 24; i < n; i++, shift -= 8) {
    const code = text.charCodeAt(i);
    all |= code;
    tail |= code << shift;
  }
  W[word] = tail;
  for (word++; word < 16; word++) W[word] = 0;
  if (all > 0x7f) {
    wipe();
    throw new TypeError('sha256Short: only ASCII text is hashed here; encode other text as UTF-8');
  }
}

/**
 * Pads the final block loaded with `n` message bytes: the 0x80 byte, and the message's length in
 * bits, where the message is `prefixBytes` already-compressed bytes followed by those `n`.
 */
function pad(n: number, prefixBytes: number): void {
  W[n >> 2] = W[n >> 2]! | (0x80 << (24 - 8 * (n & 3)));
  W[15] = (prefixBytes + n) * 8;
}

/** Writes the 8 words of `words` big-endian into `out` (32 bytes). */
function writeDigest(words: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const word = words[i]!;
    out[4 * i] = word >>> 24;
    out[4 * i + 1] = (word >>> 16) & 0xff;
    out[4 * i + 2] = (word >>> 8) & 0xff;
    out[4 * i + 3] = word & 0xff;
  }
}

/**
 * The scratch block held the input's bytes: nothing of them stays behind. (Plain loops: on a
 * 16-word array they cost less than a call of the `fill` builtin.)
 */
function wipe(): void {
  for (let i = 0; i < 16; i++) W[i] = 0;
}

/** {@link STATE} as 32 bytes into `out`, then zeroed. */
function digestBytes(out: Uint8Array): void {
  writeDigest(STATE, out);
  for (let i = 0; i < 8; i++) STATE[i] = 0;
}

/**
 * SHA-256 of `text` (at most ONE_BLOCK_MAX chars, all ASCII: a TypeError otherwise) continued
 * from `initial`, the state after `prefixBytes` bytes (SHA256_IV and 0 for a plain hash), into
 * `out` as 8 words: the digest's bytes, four a word, big-endian (the form verify compares).
 */
export function sha256ShortWords(
  text: string,
  out: Int32Array,
  initial: Int32Array = SHA256_IV,
  prefixBytes = 0,
): void {
  loadText(text);
  pad(text.length, prefixBytes);
  compress(initial, out);
  wipe();
}

/** {@link sha256ShortWords} as 32 bytes into `out`. */
export function sha256Short(
  text: string,
  out: Uint8Array,
  initial: Int32Array = SHA256_IV,
  prefixBytes = 0,
): void {
  sha256ShortWords(text, STATE, initial, prefixBytes);
  digestBytes(out);
}

/**
 * {@link sha256ShortWords} of the {@link SECRET_LENGTH} bytes at `bytes[start..]` (any byte
 * values): the hot path of verify, which hashes a secret from the bytes its parse left. 43 bytes
 * are ten whole words and three bytes, which with the 0x80 byte make the eleventh; the length in
 * bits is the sixteenth. A range that does not fit `bytes` is a RangeError.
 */
export function sha256SecretWords(
  bytes: Uint8Array,
  start: number,
  out: Int32Array,
  initial: Int32Array = SHA256_IV,
  prefixBytes = 0,
): void {
  if (!(start >= 0 && start + SECRET_LENGTH <= bytes.length)) {
    throw new RangeError('sha256SecretWords: the secret must lie inside the bytes');
  }
  const b = bytes;
  let i = start;
  for (let word = 0; word < 10; word++, i += 4) {
    W[word] = (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
  }
  W[10] = (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | 0x80;
  W[11] = 0;
  W[12] = 0;
  W[13] = 0;
  W[14] = 0;
  W[15] = (prefixBytes + SECRET_LENGTH) * 8;
  compress(initial, out);
  wipe();
}

/** The two keyed states of HMAC-SHA256 for one key: after its ipad and opad blocks. */
export interface HmacStates {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/**
 * The HMAC-SHA256 states for `key` (at most 64 bytes: a longer key must be hashed first, as
 * RFC 2104 says; the caller does that).
 */
export function hmacStates(key: Uint8Array): HmacStates {
  if (key.length > 64) throw new RangeError('hmacStates: hash keys longer than 64 bytes first');
  const padded = (pad: number): Int32Array => {
    for (let i = 0; i < 16; i++) W[i] = 0;
    for (let i = 0; i < 64; i++) {
      const byte = (i < key.length ? key[i]! : 0) ^ pad;
      W[i >> 2] = W[i >> 2]! | (byte << (24 - 8 * (i & 3)));
    }
    const state = Int32Array.from(SHA256_IV);
    compress(state, state);
    return state;
  };
  const states = { inner: padded(0x36), outer: padded(0x5c) };
  wipe();
  return states;
}

/** The inner digest of an HMAC, as words. */
const INNER = new Int32Array(8);

/** HMAC-SHA256 of `text` (at most ONE_BLOCK_MAX ASCII chars) under `states`, as words into `out`. */
export function hmacSha256ShortWords(text: string, states: HmacStates, out: Int32Array): void {
  sha256ShortWords(text, INNER, states.inner, 64);
  outerHash(states, out);
}

/** {@link hmacSha256ShortWords} as 32 bytes into `out`. */
export function hmacSha256Short(text: string, states: HmacStates, out: Uint8Array): void {
  hmacSha256ShortWords(text, states, STATE);
  digestBytes(out);
}

/** {@link hmacSha256ShortWords} of the {@link SECRET_LENGTH} bytes at `bytes[start..]`. */
export function hmacSecretWords(
  bytes: Uint8Array,
  start: number,
  states: HmacStates,
  out: Int32Array,
): void {
  sha256SecretWords(bytes, start, INNER, states.inner, 64);
  outerHash(states, out);
}

/** The outer hash of HMAC: the inner digest (in INNER) as one padded block after the opad state. */
function outerHash(states: HmacStates, out: Int32Array): void {
  for (let i = 0; i < 8; i++) W[i] = INNER[i]!;
  W[8] = 0x80000000;
  for (let i = 9; i < 15; i++) W[i] = 0;
  W[15] = (64 + 32) * 8;
  compress(states.outer, out);
  wipe();
  for (let i = 0; i < 8; i++) INNER[i] = 0;
}
