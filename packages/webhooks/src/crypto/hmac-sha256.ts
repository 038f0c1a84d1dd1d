/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) over a message the caller has laid out in a buffer with room
 * for the padding. Pure TypeScript, so it runs on every JavaScript runtime, and synchronous, so
 * `verifyWebhook` is. It is written for one job: the keyed states (the key XOR ipad and opad
 * blocks) are compressed once per secret, and a message is hashed in place, with no copies,
 * views or allocations but the 32-byte result. The tests check it against node:crypto, the
 * RFC 4231 vectors and the Standard Webhooks vectors.
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

const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** SHA-256 block size in bytes; also the HMAC key block. */
const BLOCK = 64;

/** Bytes a message needs after its end for SHA-256 padding: the 0x80 byte, zeros, the length. */
export const PADDING_ROOM = BLOCK + 8;

const W = new Int32Array(64);

/** Compresses `count` 64-byte blocks of `data`, from `offset`, into `state` (in place). */
function compress(state: Int32Array, data: Uint8Array, offset: number, count: number): void {
  const w = W;
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let block = 0, p = offset; block < count; block++) {
    for (let t = 0; t < 16; t++, p += 4) {
      w[t] = (data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15]!;
      const w2 = w[t - 2]!;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    const a0 = a;
    const b0 = b;
    const c0 = c;
    const d0 = d;
    const e0 = e;
    const f0 = f;
    const g0 = g;
    const h0 = h;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + (g ^ (e & (f ^ g))) + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    a = (a + a0) | 0;
    b = (b + b0) | 0;
    c = (c + c0) | 0;
    d = (d + d0) | 0;
    e = (e + e0) | 0;
    f = (f + f0) | 0;
    g = (g + g0) | 0;
    h = (h + h0) | 0;
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
  state[4] = e;
  state[5] = f;
  state[6] = g;
  state[7] = h;
}

/**
 * Pads the message `data[0, length)` in place (data must hold {@link PADDING_ROOM} bytes more)
 * for a hash that has already compressed `prefixBytes` bytes, and returns the padded length.
 */
function pad(data: Uint8Array, length: number, prefixBytes: number): number {
  const padded = Math.ceil((length + 9) / BLOCK) * BLOCK;
  data[length] = 0x80;
  data.fill(0, length + 1, padded - 8);
  const bits = (prefixBytes + length) * 8;
  const high = Math.floor(bits / 0x1_0000_0000);
  const low = bits >>> 0;
  data[padded - 8] = high >>> 24;
  data[padded - 7] = (high >>> 16) & 0xff;
  data[padded - 6] = (high >>> 8) & 0xff;
  data[padded - 5] = high & 0xff;
  data[padded - 4] = low >>> 24;
  data[padded - 3] = (low >>> 16) & 0xff;
  data[padded - 2] = (low >>> 8) & 0xff;
  data[padded - 1] = low & 0xff;
  return padded;
}

/** The two keyed states of an HMAC-SHA256 key: after its ipad block and after its opad block. */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/** Precomputes the keyed states of `key` (at most 64 bytes, as webhook secrets are). */
export function hmacKey(key: Uint8Array): HmacKey {
  if (key.length > BLOCK)
    throw new RangeError('an HMAC key of more than 64 bytes is not supported');
  const block = new Uint8Array(BLOCK);
  const inner = IV.slice();
  const outer = IV.slice();
  for (let i = 0; i < BLOCK; i++) block[i] = (key[i] ?? 0) ^ 0x36;
  compress(inner, block, 0, 1);
  for (let i = 0; i < BLOCK; i++) block[i] = (key[i] ?? 0) ^ 0x5c;
  compress(outer, block, 0, 1);
  return { inner, outer };
}

const STATE = new Int32Array(8);
const OUTER_BLOCK = new Uint8Array(BLOCK);

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
 * HMAC-SHA256 under `key` of `data[0, length)`. `data` must hold {@link PADDING_ROOM} bytes after
 * `length`: they are overwritten with the padding.
 */
export function hmacSha256(key: HmacKey, data: Uint8Array, length: number): Uint8Array {
  STATE.set(key.inner);
  compress(STATE, data, 0, pad(data, length, BLOCK) / BLOCK);
  writeDigest(STATE, OUTER_BLOCK);
  pad(OUTER_BLOCK, 32, BLOCK);
  STATE.set(key.outer);
  compress(STATE, OUTER_BLOCK, 0, 1);
  const mac = new Uint8Array(32);
  writeDigest(STATE, mac);
  return mac;
}
