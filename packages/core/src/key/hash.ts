import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { asciiInto, fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { keyBytes, type ParsedKey, secretOffsetOf } from './format.js';
import {
  type HmacStates,
  hmacSecretWords,
  hmacSha256Short,
  hmacSha256ShortWords,
  hmacStates,
  ONE_BLOCK_MAX,
  sha256SecretWords,
  sha256Short,
  sha256ShortWords,
} from './sha256.js';

export const DIGEST_LENGTH = 32;
/** A digest as 32-bit words: its bytes four a word, big-endian (SHA-256's own state words). */
export const DIGEST_WORDS = 8;

/** Pepper configuration after normalisation: the version new hashes use and every known one. */
export interface PepperSet {
  readonly current: string | undefined;
  readonly peppers: ReadonlyMap<string, Uint8Array>;
}

/** A stored hash after parsing: which algorithm and pepper produced it, and its digest. */
export interface StoredDigest {
  readonly pepperVersion: string | undefined;
  readonly digest: Uint8Array;
}

type Hasher = { update(data: Uint8Array): Hasher; digestInto(out: Uint8Array): void };
type Clonable = Hasher & { _cloneInto(to?: never): Clonable };

/**
 * Hashes 43-char secrets with SHA-256 or HMAC-SHA256(pepper). A secret fits one SHA-256 block, so
 * it is hashed by `sha256.ts` (one compression; HMAC from precomputed keyed states: two), without
 * allocating; a longer input falls back to @noble/hashes, whose keyed states are prepared once and
 * cloned per input into a reused scratch state.
 */
export class SecretHasher {
  readonly #pepperStates = new Map<string | undefined, Clonable>();
  readonly #hmacStates = new Map<string, HmacStates>();
  readonly #scratch = new Map<string | undefined, Clonable>();
  readonly #input = new Uint8Array(64);
  readonly current: string | undefined;

  constructor(peppers: PepperSet) {
    this.current = peppers.current;
    this.#pepperStates.set(undefined, sha256.create() as unknown as Clonable);
    for (const [version, pepper] of peppers.peppers) {
      this.#pepperStates.set(version, hmac.create(sha256, pepper) as unknown as Clonable);
      // RFC 2104: a key longer than the block is hashed first.
      this.#hmacStates.set(version, hmacStates(pepper.length > 64 ? sha256(pepper) : pepper));
    }
  }

  /**
   * The configured pepper version equal to `name` as the hasher's own string (so hashing under it
   * finds its state by identity, as hot as the current version's), or `undefined` when none is.
   */
  versionNamed(name: string): string | undefined {
    for (const version of this.#pepperStates.keys()) if (version === name) return version;
    return undefined;
  }

  /** Writes the digest of `secret` under `version` (undefined = plain SHA-256) into `out`. */
  digestInto(secret: string, version: string | undefined, out: Uint8Array): boolean {
    if (secret.length <= ONE_BLOCK_MAX) {
      if (version === undefined) {
        sha256Short(secret, out);
        return true;
      }
      const states = this.#hmacStates.get(version);
      if (states === undefined) return false;
      hmacSha256Short(secret, states, out);
      return true;
    }
    const base = this.#pepperStates.get(version);
    if (base === undefined) return false;
    const state = base._cloneInto(this.#scratch.get(version) as never);
    this.#scratch.set(version, state);
    state.update(
      asciiInto(secret, secret.length <= 64 ? this.#input : new Uint8Array(secret.length)),
    );
    state.digestInto(out);
    return true;
  }

  /**
   * {@link digestInto} of a parsed key's secret as {@link DIGEST_WORDS} words (the form verify
   * compares), read from the bytes its parse left when they are still its own (the hot path of
   * verify), else from `parsed.secret`.
   */
  digestSecretWords(parsed: ParsedKey, version: string | undefined, out: Int32Array): boolean {
    const start = secretOffsetOf(parsed);
    if (version === undefined) {
      if (start < 0) sha256ShortWords(parsed.secret, out);
      else sha256SecretWords(keyBytes(), start, out);
      return true;
    }
    const states = this.#hmacStates.get(version);
    if (states === undefined) return false;
    if (start < 0) hmacSha256ShortWords(parsed.secret, states, out);
    else hmacSecretWords(keyBytes(), start, states, out);
    return true;
  }

  /** The tagged hash stored for a new secret: `sha256:<b64url>` or `hmac-sha256:<v>:<b64url>`. */
  hashForStorage(secret: string): string {
    const digest = new Uint8Array(DIGEST_LENGTH);
    this.digestInto(secret, this.current, digest);
    return this.current === undefined
      ? `sha256:${toBase64Url(digest)}`
      : `hmac-sha256:${this.current}:${toBase64Url(digest)}`;
  }
}

/** Parses a tagged hash; `undefined` when it is not one keyward wrote. */
export function parseStoredHash(tagged: string): StoredDigest | undefined {
  let pepperVersion: string | undefined;
  let encoded: string;
  if (tagged.startsWith('sha256:')) {
    encoded = tagged.slice(7);
  } else if (tagged.startsWith('hmac-sha256:')) {
    const rest = tagged.slice(12);
    const colon = rest.indexOf(':');
    if (colon <= 0) return undefined;
    pepperVersion = rest.slice(0, colon);
    encoded = rest.slice(colon + 1);
  } else {
    return undefined;
  }
  const digest = fromBase64Url(encoded);
  if (digest === undefined || digest.length !== DIGEST_LENGTH) return undefined;
  return { pepperVersion, digest };
}

/** Writes a 32-byte digest into `words[at..at + 8)` as {@link DIGEST_WORDS} big-endian words. */
export function digestToWords(digest: Uint8Array, words: Int32Array, at: number): void {
  for (let i = 0; i < DIGEST_WORDS; i++) {
    const b = 4 * i;
    words[at + i] =
      (digest[b]! << 24) | (digest[b + 1]! << 16) | (digest[b + 2]! << 8) | digest[b + 3]!;
  }
}

/**
 * Compares a digest's words with the {@link DIGEST_WORDS} words of `arena` at `offset`, in time
 * independent of where they differ: 0 when equal, 1 otherwise (also for an offset out of range),
 * so callers can combine several comparisons without branching on each.
 */
export function digestDifferenceAt(digest: Int32Array, arena: Int32Array, offset: number): number {
  if (!(offset >= 0 && offset + DIGEST_WORDS <= arena.length && digest.length === DIGEST_WORDS)) {
    return 1;
  }
  let diff = 0;
  for (let i = 0; i < DIGEST_WORDS; i++) diff |= digest[i]! ^ arena[offset + i]!;
  // Any 32-bit difference as 0 or 1.
  return (diff | -diff) >>> 31;
}

/** Normalises the `pepper` option; throws a TypeError naming what is wrong. */
export function normalizePeppers(
  option: string | { current: string; peppers: Record<string, string> } | undefined,
): PepperSet {
  if (option === undefined) return { current: undefined, peppers: new Map() };
  if (typeof option === 'string') {
    checkPepper('pepper', option);
    return { current: 'v1', peppers: new Map([['v1', utf8(option)]]) };
  }
  if (typeof option !== 'object' || option === null || typeof option.peppers !== 'object') {
    throw new TypeError('pepper must be a string or { current, peppers }');
  }
  const peppers = new Map<string, Uint8Array>();
  for (const [version, value] of Object.entries(option.peppers)) {
    if (!/^[A-Za-z0-9]{1,16}$/.test(version)) {
      throw new TypeError('pepper.peppers: every version must be 1-16 letters or digits');
    }
    checkPepper('each value of pepper.peppers', value);
    peppers.set(version, utf8(value));
  }
  if (!peppers.has(option.current)) {
    throw new TypeError('pepper.current must name a version in pepper.peppers');
  }
  return { current: option.current, peppers };
}

function checkPepper(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length < 16) {
    throw new TypeError(`${name} must be a string of at least 16 characters`);
  }
}
