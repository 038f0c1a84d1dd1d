export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Largest multiple of 62 that fits in a byte; bytes at or above it are discarded (no modulo bias). */
const UNBIASED_LIMIT = 248;

/** `length` base62 characters from the CSPRNG, sampled by rejection so each is uniform. */
export function randomBase62(length: number): string {
  let out = '';
  const buffer = new Uint8Array(Math.max(16, Math.ceil(length * 1.25)));
  while (out.length < length) {
    globalThis.crypto.getRandomValues(buffer);
    for (let i = 0; i < buffer.length && out.length < length; i++) {
      const byte = buffer[i]!;
      if (byte < UNBIASED_LIMIT) out += BASE62_ALPHABET[byte % 62];
    }
  }
  return out;
}

/** Encodes a non-negative integer (< 2^53) as exactly `width` base62 characters, zero-padded. */
export function encodeBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}
