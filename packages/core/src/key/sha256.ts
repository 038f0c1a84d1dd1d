/**
 * SHA-256 (FIPS 180-4) of a short ASCII string, and HMAC-SHA256 of one from precomputed keyed
 * states: the hot path of every verify. A key's secret is 43 characters, so its hash is ONE
 * compression, and its HMAC two. This module does exactly that work, reading the secret — the
 * bytes verify's parse left (`sha256ShortRange`), or a string's char codes (`sha256Short`) —
 * straight into the message schedule, with no allocations. A char code is a byte only for ASCII,
 * so any other text is refused with a TypeError (hashing its char codes would be neither UTF-8 nor what any other SHA-256 computes).
 * Everything else (long inputs, hashes for storage) uses @noble/hashes; the tests check this
 * module against the NIST CAVP short-message vectors, RFC 4231, @noble/hashes and node:crypto.
 */

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

const W = new Int32Array(64);
const STATE = new Int32Array(8);

/** One compression of the block in W[0..16) into `state` (in place). */
function compress(state: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
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
 * Loads `bytes[start..start + n)` (n at most ONE_BLOCK_MAX) into W[0..16), four bytes a word
 * (zeros after them).
 */
function loadRange(bytes: Uint8Array, start: number, n: number): void {
  if (n > ONE_BLOCK_MAX) throw new RangeError('sha256ShortRange: at most 55 bytes fit one block');
  let i = start;
  let word = 0;
  for (const whole = n >> 2; word < whole; word++, i += 4) {
    W[word] = (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!;
  }
  let tail = 0;
  for (let shift = 24, end = start + n; i < end; i++, shift -= 8) tail |= bytes[i]! << shift;
  W[word] = tail;
  for (word++; word < 16; word++) W[word] = 0;
}

/**
 * Pads the final block loaded with `n` message bytes: the 0x80 byte, and the message's length in
 * bits, where the message is `prefixBytes` already-compressed bytes followed by those `n`.
 */
function pad(n: number, prefixBytes: number): void {
  W[n >> 2] = W[n >> 2]! | (0x80 << (24 - 8 * (n & 3)));
  W[15] = (prefixBytes + n) * 8;
}

/** Writes the 8 words of `state` big-endian into `out` (32 bytes). */
function writeDigest(state: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const word = state[i]!;
    out[4 * i] = word >>> 24;
    out[4 * i + 1] = (word >>> 16) & 0xff;
    out[4 * i + 2] = (word >>> 8) & 0xff;
    out[4 * i + 3] = word & 0xff;
  }
}

/**
 * SHA-256 of `text` (at most ONE_BLOCK_MAX chars, all ASCII: a TypeError otherwise) continued
 * from `initial`, the state after `prefixBytes` bytes (SHA256_IV and 0 for a plain hash), into
 * `out`.
 */
export function sha256Short(
  text: string,
  out: Uint8Array,
  initial: Int32Array = SHA256_IV,
  prefixBytes = 0,
): void {
  loadText(text);
  finish(text.length, out, initial, prefixBytes);
}

/**
 * {@link sha256Short} of `bytes[start..start + n)` (n at most ONE_BLOCK_MAX), read in place: the
 * same padding and compression, for any byte values.
 */
export function sha256ShortRange(
  bytes: Uint8Array,
  start: number,
  n: number,
  out: Uint8Array,
  initial: Int32Array = SHA256_IV,
  prefixBytes = 0,
): void {
  loadRange(bytes, start, n);
  finish(n, out, initial, prefixBytes);
}

/** Pads the loaded block of `n` bytes, compresses it from `initial` and writes the digest. */
function finish(n: number, out: Uint8Array, initial: Int32Array, prefixBytes: number): void {
  for (let i = 0; i < 8; i++) STATE[i] = initial[i]!;
  pad(n, prefixBytes);
  compress(STATE);
  writeDigest(STATE, out);
  wipe();
}

/**
 * The scratch state held the secret's bytes and its digest: nothing of them stays behind. (Plain
 * loops: on a 64-word array they cost less than a call of the `fill` builtin.)
 */
function wipe(): void {
  for (let i = 0; i < 64; i++) W[i] = 0;
  for (let i = 0; i < 8; i++) STATE[i] = 0;
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
    compress(state);
    return state;
  };
  const states = { inner: padded(0x36), outer: padded(0x5c) };
  W.fill(0);
  return states;
}

const INNER = new Uint8Array(32);

/** HMAC-SHA256 of `text` (at most ONE_BLOCK_MAX ASCII chars) under `states`, into `out`. */
export function hmacSha256Short(text: string, states: HmacStates, out: Uint8Array): void {
  sha256Short(text, INNER, states.inner, 64);
  outerHash(states, out);
}

/** {@link hmacSha256Short} of `bytes[start..start + n)` (n at most ONE_BLOCK_MAX), read in place. */
export function hmacSha256ShortRange(
  bytes: Uint8Array,
  start: number,
  n: number,
  states: HmacStates,
  out: Uint8Array,
): void {
  sha256ShortRange(bytes, start, n, INNER, states.inner, 64);
  outerHash(states, out);
}

/** The outer hash of HMAC: the inner digest (in INNER) as one padded block after the opad state. */
function outerHash(states: HmacStates, out: Uint8Array): void {
  STATE.set(states.outer);
  for (let i = 0; i < 16; i++) W[i] = 0;
  for (let i = 0; i < 32; i++) W[i >> 2] = W[i >> 2]! | (INNER[i]! << (24 - 8 * (i & 3)));
  W[8] = 0x80000000;
  W[15] = (64 + 32) * 8;
  INNER.fill(0);
  compress(STATE);
  writeDigest(STATE, out);
  wipe();
}
