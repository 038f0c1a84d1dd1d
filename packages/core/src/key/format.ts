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

/**
 * The bytes of the last key {@link parseKey} accepted (see {@link secretOffsetOf}): the key is
 * encoded once by the native `TextEncoder.encodeInto`, and the checks, the CRC-32 and the hash of
 * the secret read bytes, which costs about half as much as reading char codes from the header's
 * (usually sliced) string. Three bytes a char: a non-ASCII char encodes to two or three.
 */
const KEY_BYTES = new Uint8Array(MAX_KEY_LENGTH * 3);
/** The same memory four bytes a word: wiping and the CRC-32 go a word at a time. */
const KEY_WORDS = new Uint32Array(KEY_BYTES.buffer);
/** Whether a word of {@link KEY_WORDS} holds its bytes little-endian (every platform JS runs on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const ENCODER = new TextEncoder();
/** The parse whose key {@link KEY_BYTES} holds, and how many bytes were written. */
let bytesOwner: ParsedKey | undefined;
let bytesLength = 0;

/** CRC-32 slicing-by-4 tables: `CRC_k[n]` is byte `n`'s CRC carried through `k` zero bytes. */
const [CRC_1, CRC_2, CRC_3] = (() => {
  const tables = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)] as const;
  for (let n = 0; n < 256; n++) {
    let c = CRC_TABLE[n]!;
    for (let k = 0; k < 3; k++) {
      c = CRC_TABLE[c & 0xff]! ^ (c >>> 8);
      tables[k]![n] = c;
    }
  }
  return tables;
})();

/** Added to an ASCII word, these set bit 7 of each byte lane that is at least the bound. */
const AT_LEAST_0 = 0x50505050; // '0' (0x30)
const AT_LEAST_COLON = 0x46464646; // ':' (0x3a), just past '9'
const AT_LEAST_A = 0x1f1f1f1f; // 'a' (0x61); OR 0x20 first folds 'A'–'Z' onto 'a'–'z'
const AT_LEAST_BRACE = 0x05050505; // '{' (0x7b), just past 'z'
const AT_LEAST_UNDERSCORE = 0x21212121; // '_' (0x5f)
const AT_LEAST_BACKTICK = 0x20202020; // '`' (0x60), just past '_'
const HIGH_BITS = 0x80808080;

/** What {@link crcOfKeyBytes} found besides the CRC: whether every byte was a base62 digit or `_`… */
let charsetOk = false;
/** …and how many were `_`. */
let underscores = 0;

/**
 * The CRC-32 of the ASCII key bytes `[0..end)` before its final XOR: four bytes a step (a word
 * read little-endian), then one at a time. On the way, a word at a time, it checks the charset —
 * each byte a base62 digit or `_` — and counts the `_`s (into {@link charsetOk} and
 * {@link underscores}): adding `0x80 - c` to every lane sets a lane's bit 7 exactly when its byte
 * is at least `c` (no carry crosses lanes: every byte is below 0x80), so a few additions per word
 * test four bytes against each bound, where a table lookup per byte cost more.
 */
function crcOfKeyBytes(end: number): number {
  const bytes = KEY_BYTES;
  let crc = 0xffffffff;
  let valid = HIGH_BITS;
  let lanes = 0;
  let i = 0;
  for (const whole = end - 3; i < whole; i += 4) {
    const x = LITTLE_ENDIAN
      ? KEY_WORDS[i >> 2]!
      : bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    crc ^= x;
    crc =
      CRC_3[crc & 0xff]! ^
      CRC_2[(crc >>> 8) & 0xff]! ^
      CRC_1[(crc >>> 16) & 0xff]! ^
      CRC_TABLE[crc >>> 24]!;
    const folded = x | 0x20202020;
    const underscore = ((x + AT_LEAST_UNDERSCORE) | 0) & ~((x + AT_LEAST_BACKTICK) | 0);
    valid &=
      (((folded + AT_LEAST_A) | 0) & ~((folded + AT_LEAST_BRACE) | 0)) |
      (((x + AT_LEAST_0) | 0) & ~((x + AT_LEAST_COLON) | 0)) |
      underscore;
    lanes += (underscore & HIGH_BITS) >>> 7;
  }
  // At most 25 words: no lane count reaches 256, so one multiply sums the four lanes.
  let count = Math.imul(lanes, 0x01010101) >>> 24;
  let tail = 0;
  for (; i < end; i++) {
    const byte = bytes[i]!;
    crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
    if (byte === 95) count++;
    else tail |= BASE62_VALUE[byte]!;
  }
  charsetOk = (~valid & HIGH_BITS) === 0 && tail >= 0;
  underscores = count;
  return crc;
}

/** Zeroes the key bytes the last parse left (a word at a time: a byte loop costs 5× more). */
function wipeKeyBytes(): void {
  const words = (bytesLength + 3) >> 2;
  for (let i = 0; i < words; i++) KEY_WORDS[i] = 0;
  bytesLength = 0;
  bytesOwner = undefined;
}

/**
 * Where `parsed`'s secret starts in {@link keyBytes}, or -1 when they hold another parse's key
 * (internal: verify hashes the secret from there in the same synchronous step as the parse,
 * then calls {@link releaseKeyBytes}).
 */
export function secretOffsetOf(parsed: ParsedKey): number {
  return parsed === bytesOwner ? bytesLength - CHECKSUM_LENGTH - SECRET_LENGTH : -1;
}

/** The scratch {@link secretOffsetOf} points into (internal). */
export function keyBytes(): Uint8Array {
  return KEY_BYTES;
}

/** Zeroes the key bytes when they are `parsed`'s: once its secret is hashed, nothing stays. */
export function releaseKeyBytes(parsed: ParsedKey): void {
  if (parsed === bytesOwner) wipeKeyBytes();
}

/** `a`–`z`. */
function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** `live` and `test` as big-endian words. */
const LIVE = 0x6c697665;
const TEST = 0x74657374;

/** The environment named by `bytes[start..end)` (base62 digits already), or undefined. */
function environmentAt(
  input: string,
  bytes: Uint8Array,
  start: number,
  end: number,
): KeyEnvironment | undefined {
  if (end - start === 4) {
    const word =
      (bytes[start]! << 24) |
      (bytes[start + 1]! << 16) |
      (bytes[start + 2]! << 8) |
      bytes[start + 3]!;
    if (word === LIVE) return 'live';
    if (word === TEST) return 'test';
  }
  if (!isLower(bytes[start]!)) return undefined;
  for (let i = start + 1; i < end; i++) {
    const code = bytes[i]!;
    if (!isLower(code) && !(code >= 48 && code <= 57)) return undefined;
  }
  const name = input.slice(start, end);
  return name === PUBLISHABLE_MARKER ? undefined : name;
}

/**
 * Parses a presented key for a deployment's `prefix` (as `createKeyward` takes it: for a prefix
 * holding `_` or a char other than a letter or digit every key is refused). Checks the length
 * before anything else, then the prefix, the layout, the charset with the CRC-32, then the
 * checksum; never throws, never normalises, and runs in time linear in the (bounded) length. The
 * environment's length follows from the key's length (everything after it has a fixed length),
 * so nothing is searched for. Leaves no copy of the key behind.
 *
 * @example
 * ```ts
 * const parsed = parseKey('acme_live_4GhT9xQ2mPz1_…', 'acme');
 * if (parsed) console.log(parsed.id, parsed.environment, parsed.type);
 * ```
 */
export function parseKey(input: unknown, prefix: string): ParsedKey | undefined {
  const parsed = readKey(input, prefix);
  if (parsed !== undefined) releaseKeyBytes(parsed);
  return parsed;
}

/**
 * {@link parseKey} that leaves the key's bytes in the scratch for its secret to be hashed from
 * ({@link secretOffsetOf}); the caller releases them ({@link releaseKeyBytes}). Internal: verify's.
 */
export function readKey(input: unknown, prefix: string): ParsedKey | undefined {
  if (typeof input !== 'string') return undefined;
  const length = input.length;
  if (length > MAX_KEY_LENGTH) return undefined;
  const prefixLength = prefix.length;
  let envStart = prefixLength + 1;
  if (length < envStart + MIN_ENV_LENGTH + TAIL_LENGTH) return undefined;
  const previous = bytesLength;
  // One byte a char means ASCII only: any other char encodes to two or three.
  const written = ENCODER.encodeInto(input, KEY_BYTES).written;
  // A longer key left unreleased leaves no tail behind.
  for (let i = written; i < previous; i++) KEY_BYTES[i] = 0;
  bytesOwner = undefined;
  bytesLength = written;
  if (written !== length) return refused();
  const bytes = KEY_BYTES;
  // The prefix, char by char (a char code above 0x7f never equals a byte of an ASCII key).
  for (let i = 0; i < prefixLength; i++) if (bytes[i] !== prefix.charCodeAt(i)) return refused();
  if (bytes[prefixLength] !== 95) return refused();
  let type: KeyType = 'secret';
  // `pk_` right after the prefix: never an environment (`pk` is not a valid name).
  if (bytes[envStart] === 112 && bytes[envStart + 1] === 107 && bytes[envStart + 2] === 95) {
    type = 'publishable';
    envStart += 3;
  }
  const idStart = length - TAIL_LENGTH + 1;
  const envLength = idStart - 1 - envStart;
  if (envLength < MIN_ENV_LENGTH || envLength > MAX_ENV_LENGTH) return refused();
  const secretStart = idStart + ID_LENGTH + 1;
  const checksumStart = secretStart + SECRET_LENGTH;
  if (bytes[idStart - 1] !== 95 || bytes[secretStart - 1] !== 95) return refused();
  let stated = 0;
  let digits = 0;
  for (let i = checksumStart; i < length; i++) {
    const digit = BASE62_VALUE[bytes[i]!]!;
    digits |= digit;
    stated = stated * 62 + digit;
  }
  const crc = crcOfKeyBytes(checksumStart);
  // The environment, the id and the secret: base62 digits only. Everything before the checksum
  // is base62 or `_`, and the only `_`s are the ones the layout puts at the places checked above
  // (after the prefix, which holds none, after `pk`, before the id, before the secret).
  if (!charsetOk || underscores !== (type === 'publishable' ? 4 : 3)) return refused();
  // The checksum: base62 digits only, stating the CRC.
  if (digits < 0 || stated !== (crc ^ 0xffffffff) >>> 0) return refused();
  const environment = environmentAt(input, bytes, envStart, idStart - 1);
  if (environment === undefined) return refused();
  const parsed: ParsedKey = {
    environment,
    type,
    id: input.slice(idStart, secretStart - 1),
    secret: input.slice(secretStart, checksumStart),
  };
  bytesOwner = parsed;
  return parsed;
}

/** A refusal once the key was encoded: its bytes are wiped first. */
function refused(): undefined {
  wipeKeyBytes();
  return undefined;
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
