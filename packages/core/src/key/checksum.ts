import { BASE62_ALPHABET, encodeBase62 } from './base62.js';

export const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export const CHECKSUM_LENGTH = 6;

/** CRC-32 (IEEE) of the first `end` chars of an ASCII string. */
export function crc32(text: string, end = text.length): number {
  let crc = 0xffffffff;
  for (let i = 0; i < end; i++) {
    crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The 6-char base62 checksum of the first `end` chars of `text`. */
export function checksum(text: string, end = text.length): string {
  return encodeBase62(crc32(text, end), CHECKSUM_LENGTH);
}

/** base62 digit value of an ASCII code, or -1. */
export const BASE62_VALUE = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < 62; i++) values[BASE62_ALPHABET.charCodeAt(i)] = i;
  return values;
})();
