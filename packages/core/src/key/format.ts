import { randomBase62 } from './base62.js';
import { BASE62_VALUE, CHECKSUM_LENGTH, CRC_TABLE, checksum } from './checksum.js';

/**
 * The environments a key can belong to.
 *
 * @example
 * ```ts
 * const environments: KeyEnvironment[] = ['live'];
 * ```
 */
export type KeyEnvironment = string;

export const ENVIRONMENTS: readonly KeyEnvironment[] = ['live', 'test'];
export const ID_LENGTH = 12;
export const SECRET_LENGTH = 43;
export const MAX_KEY_LENGTH = 100;
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;
export const KEY_ID_PATTERN = /^[0-9A-Za-z]{12}$/;

/** Length of everything after the prefix: `_env_id_` + secret + checksum. */
const SUFFIX_LENGTH = 1 + 4 + 1 + ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;

/**
 * A key split into its parts. `secret` never leaves the verifier.
 *
 * @example
 * ```ts
 * const parsed: ParsedKey | undefined = parseKey(input, 'acme');
 * ```
 */
export interface ParsedKey {
  readonly environment: KeyEnvironment;
  readonly id: string;
  readonly secret: string;
}

export function newKeyId(): string {
  return randomBase62(ID_LENGTH);
}

export function newSecret(): string {
  return randomBase62(SECRET_LENGTH);
}

/** Assembles `<prefix>_<env>_<id>_<secret><checksum>`. */
export function formatKey(
  prefix: string,
  environment: KeyEnvironment,
  id: string,
  secret: string,
): string {
  const body = `${prefix}_${environment}_${id}_${secret}`;
  return body + checksum(body);
}

let memoPrefix = '';
let memoPrefixCrc = 0xffffffff;

/** The running CRC-32 state after a deployment's prefix (computed once per prefix). */
function prefixCrc(prefix: string): number {
  if (prefix !== memoPrefix) {
    let crc = 0xffffffff;
    for (let i = 0; i < prefix.length; i++) {
      crc = CRC_TABLE[(crc ^ prefix.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
    }
    memoPrefix = prefix;
    memoPrefixCrc = crc;
  }
  return memoPrefixCrc;
}

/**
 * Parses a presented key for a deployment's `prefix`. Checks the length before anything else,
 * then the layout, the charset and the CRC-32 in one pass, then the checksum; never throws, never
 * normalises, and runs in time linear in the (bounded) length.
 *
 * @example
 * ```ts
 * const parsed = parseKey('acme_live_4GhT9xQ2mPz1_…', 'acme');
 * if (parsed) console.log(parsed.id, parsed.environment);
 * ```
 */
export function parseKey(input: unknown, prefix: string): ParsedKey | undefined {
  if (typeof input !== 'string') return undefined;
  const length = input.length;
  if (length > MAX_KEY_LENGTH || length !== prefix.length + SUFFIX_LENGTH) return undefined;
  if (!input.startsWith(prefix)) return undefined;
  const envStart = prefix.length + 1;
  const idStart = envStart + 5;
  const secretStart = idStart + ID_LENGTH + 1;
  const checksumStart = secretStart + SECRET_LENGTH;
  let crc = prefixCrc(prefix);
  for (let i = prefix.length; i < checksumStart; i++) {
    const code = input.charCodeAt(i);
    if (i === envStart - 1 || i === idStart - 1 || i === secretStart - 1) {
      if (code !== 95) return undefined;
    } else if (code > 127 || BASE62_VALUE[code]! < 0) {
      return undefined;
    }
    crc = CRC_TABLE[(crc ^ code) & 0xff]! ^ (crc >>> 8);
  }
  let stated = 0;
  for (let i = checksumStart; i < length; i++) {
    const code = input.charCodeAt(i);
    const digit = code > 127 ? -1 : BASE62_VALUE[code]!;
    if (digit < 0) return undefined;
    stated = stated * 62 + digit;
  }
  if (stated !== (crc ^ 0xffffffff) >>> 0) return undefined;
  const environment: KeyEnvironment | undefined = input.startsWith('live', envStart)
    ? 'live'
    : input.startsWith('test', envStart)
      ? 'test'
      : undefined;
  if (environment === undefined) return undefined;
  return {
    environment,
    id: input.slice(idStart, secretStart - 1),
    secret: input.slice(secretStart, checksumStart),
  };
}

/**
 * A key with its secret replaced, safe for logs: `acme_live_4GhT9xQ2mPz1_…`.
 *
 * @example
 * ```ts
 * redactKey('acme', 'live', '4GhT9xQ2mPz1'); // 'acme_live_4GhT9xQ2mPz1_…'
 * ```
 */
export function redactKey(prefix: string, environment: KeyEnvironment, id: string): string {
  return `${prefix}_${environment}_${id}_…`;
}
