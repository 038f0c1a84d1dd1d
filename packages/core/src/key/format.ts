import { randomBase62 } from './base62.js';
import { BASE62_VALUE, CHECKSUM_LENGTH, CRC_TABLE, checksum } from './checksum.js';

/**
 * The name of an environment a key belongs to: `live` and `test` by default, or any name a
 * deployment lists in `environments` (`[a-z][a-z0-9]{1,7}`, never `pk`).
 *
 * @example
 * ```ts
 * const environments: KeyEnvironment[] = ['live', 'staging'];
 * ```
 */
export type KeyEnvironment = string;

/**
 * The kind of a key: `secret` (server side) or `publishable` (meant for browser code, with an
 * origin restriction and a limited set of scopes; its key carries a `pk` marker).
 *
 * @example
 * ```ts
 * const type: KeyType = 'publishable';
 * ```
 */
export type KeyType = 'secret' | 'publishable';

export const ENVIRONMENTS: readonly KeyEnvironment[] = ['live', 'test'];
export const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9]{1,7}$/;
export const PUBLISHABLE_MARKER = 'pk';
export const ID_LENGTH = 12;
export const SECRET_LENGTH = 43;
export const MAX_KEY_LENGTH = 100;
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;
export const KEY_ID_PATTERN = /^[0-9A-Za-z]{12}$/;

/** Whether `name` can name an environment: `[a-z][a-z0-9]{1,7}` and not the `pk` marker. */
export function isEnvironmentName(name: unknown): name is KeyEnvironment {
  return typeof name === 'string' && name !== PUBLISHABLE_MARKER && ENVIRONMENT_PATTERN.test(name);
}

/** Length of everything after the environment: `_id_` + secret + checksum. */
const TAIL_LENGTH = 1 + ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;
const MIN_ENV_LENGTH = 2;
const MAX_ENV_LENGTH = 8;

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
  /** `publishable` when the key carries the `pk` marker after its prefix. */
  readonly type: KeyType;
  readonly id: string;
  readonly secret: string;
}

export function newKeyId(): string {
  return randomBase62(ID_LENGTH);
}

export function newSecret(): string {
  return randomBase62(SECRET_LENGTH);
}

/** Assembles `<prefix>_[pk_]<env>_<id>_<secret><checksum>`. */
export function formatKey(
  prefix: string,
  environment: KeyEnvironment,
  id: string,
  secret: string,
  type: KeyType = 'secret',
): string {
  const marker = type === 'publishable' ? `${PUBLISHABLE_MARKER}_` : '';
  const body = `${prefix}_${marker}${environment}_${id}_${secret}`;
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

/** `a`–`z`. */
function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** The environment at `[start, end)`, as a shared constant for `live` and `test`. */
function environmentAt(input: string, start: number, end: number): KeyEnvironment | undefined {
  const length = end - start;
  if (length === 4) {
    if (input.startsWith('live', start)) return 'live';
    if (input.startsWith('test', start)) return 'test';
  }
  if (!isLower(input.charCodeAt(start))) return undefined;
  for (let i = start + 1; i < end; i++) {
    const code = input.charCodeAt(i);
    if (!isLower(code) && !(code >= 48 && code <= 57)) return undefined;
  }
  const name = input.slice(start, end);
  return name === PUBLISHABLE_MARKER ? undefined : name;
}

/**
 * Parses a presented key for a deployment's `prefix`. Checks the length before anything else,
 * then the layout, the charset and the CRC-32 in one pass, then the checksum; never throws, never
 * normalises, and runs in time linear in the (bounded) length. The environment's length follows
 * from the key's length (everything after it has a fixed length), so nothing is searched for.
 *
 * @example
 * ```ts
 * const parsed = parseKey('acme_live_4GhT9xQ2mPz1_…', 'acme');
 * if (parsed) console.log(parsed.id, parsed.environment, parsed.type);
 * ```
 */
export function parseKey(input: unknown, prefix: string): ParsedKey | undefined {
  if (typeof input !== 'string') return undefined;
  const length = input.length;
  if (length > MAX_KEY_LENGTH) return undefined;
  let envStart = prefix.length + 1;
  if (length < envStart + MIN_ENV_LENGTH + TAIL_LENGTH) return undefined;
  if (!input.startsWith(prefix) || input.charCodeAt(prefix.length) !== 95) return undefined;
  let type: KeyType = 'secret';
  // `pk_` right after the prefix: never an environment (`pk` is not a valid name).
  if (
    input.charCodeAt(envStart) === 112 &&
    input.charCodeAt(envStart + 1) === 107 &&
    input.charCodeAt(envStart + 2) === 95
  ) {
    type = 'publishable';
    envStart += 3;
  }
  const idStart = length - TAIL_LENGTH + 1;
  const envLength = idStart - 1 - envStart;
  if (envLength < MIN_ENV_LENGTH || envLength > MAX_ENV_LENGTH) return undefined;
  const secretStart = idStart + ID_LENGTH + 1;
  const checksumStart = secretStart + SECRET_LENGTH;
  let crc = prefixCrc(prefix);
  for (let i = prefix.length; i < checksumStart; i++) {
    const code = input.charCodeAt(i);
    if (i === envStart - 1 || i === idStart - 1 || i === secretStart - 1 || i === prefix.length) {
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
  const environment = environmentAt(input, envStart, idStart - 1);
  if (environment === undefined) return undefined;
  return {
    environment,
    type,
    id: input.slice(idStart, secretStart - 1),
    secret: input.slice(secretStart, checksumStart),
  };
}

/**
 * A key with its secret replaced, safe for logs: `acme_live_4GhT9xQ2mPz1_…`
 * (`acme_pk_live_4GhT9xQ2mPz1_…` for a publishable key).
 *
 * @example
 * ```ts
 * redactKey('acme', 'live', '4GhT9xQ2mPz1'); // 'acme_live_4GhT9xQ2mPz1_…'
 * redactKey('acme', 'live', '4GhT9xQ2mPz1', 'publishable'); // 'acme_pk_live_4GhT9xQ2mPz1_…'
 * ```
 */
export function redactKey(
  prefix: string,
  environment: KeyEnvironment,
  id: string,
  type: KeyType = 'secret',
): string {
  const marker = type === 'publishable' ? `${PUBLISHABLE_MARKER}_` : '';
  return `${prefix}_${marker}${environment}_${id}_…`;
}
