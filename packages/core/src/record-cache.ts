import {
  type HeaderMemo,
  newHeaderMemo,
  type OwnerHeaderMemo,
  rateLimitPolicy,
} from './http/rate-limit-headers.js';
import type { KeyType } from './key/format.js';
import { DIGEST_WORDS, digestToWords, parseStoredHash, type StoredDigest } from './key/hash.js';
import { toKeyInfo } from './key-info.js';
import { compileIpAllowList, type IpAllowList } from './policy/ip-allow-list.js';
import { compileReferrerAllowList, type ReferrerAllowList } from './policy/referrer.js';
import { compileRouteAllowList, type RouteAllowList } from './policy/routes.js';
import { compileGrantedScopes, type GrantedScopes } from './policy/scopes.js';
import type { KeyRecord } from './stores/types.js';
import type { KeyInfo } from './types.js';

/**
 * Words per slot in the digest arena: the current digest, then the previous (rotation) one, each
 * as {@link DIGEST_WORDS} big-endian words, the form the hasher writes (no bytes to compare).
 */
export const SLOT_WORDS = 2 * DIGEST_WORDS;

/** A record compiled for verification: restrictions compiled, read only once a secret matched. */
export interface CachedKey {
  readonly record: KeyRecord;
  readonly info: KeyInfo;
  readonly scopes: GrantedScopes;
  readonly ips: IpAllowList | undefined;
  readonly referrers: ReferrerAllowList | undefined;
  readonly routes: RouteAllowList | undefined;
  /** The record's type (`secret` when it has none); anything else fails closed. */
  readonly type: KeyType | 'unknown';
  /** `RateLimit-Policy` items, built once per record. */
  readonly policy: { readonly key: string | undefined; readonly quota: string | undefined };
  /** The last success header values, reused while their numbers repeat (successRateLimitHeaders). */
  readonly headerMemo: HeaderMemo;
  /** Likewise for the headers with the owner's shared limits; made on first use. */
  ownerHeaderMemo: OwnerHeaderMemo | undefined;
  /** The alert detectors' state for this key, kept here while the record is cached (no lookup). */
  alertWatch: unknown;
}

/**
 * What one store read produced, carrying its own digests: the form the cache copies into a slot,
 * and the form verification uses directly when the entry is not (or cannot be) cached.
 */
export interface LoadedKey {
  /** The compiled record; `undefined` when the store does not know the id. */
  readonly entry: CachedKey | undefined;
  /**
   * {@link SLOT_WORDS} words: the current digest, then the previous one. A half with no usable
   * digest (none stored, unreadable, retired pepper, unknown id) holds CSPRNG words, which no
   * secret's digest matches.
   */
  readonly digests: Int32Array;
  /** Pepper version to hash under for the first half (a configured one, always). */
  readonly currentVersion: string | undefined;
  /** Pepper version for the second half; `currentVersion` when there is no usable previous. */
  readonly previousVersion: string | undefined;
  readonly freshUntil: number;
}

/** The pepper versions a hasher can use: the current one, and a lookup of the others. */
export interface PepperVersions {
  readonly current: string | undefined;
  /** The configured version equal to `name` as the hasher's own string; `undefined` if none. */
  versionNamed(name: string): string | undefined;
}

const DENY_ALL_IPS: IpAllowList = Object.freeze({ entries: [], matches: () => false });
const DENY_ALL_ROUTES: RouteAllowList = Object.freeze({
  entries: [],
  check: () => 'route_not_allowed' as const,
});
const DENY_ALL_REFERRERS: ReferrerAllowList = Object.freeze({
  entries: [],
  matches: () => false,
  matchesOrigin: () => false,
});

/**
 * Compiles a stored record. A restriction the store holds in a form keyward cannot compile (edited
 * by hand, say) fails closed: it matches nothing.
 */
export function compileRecord(prefix: string, record: KeyRecord): CachedKey {
  let ips: IpAllowList | undefined;
  let referrers: ReferrerAllowList | undefined;
  if (record.ips != null) {
    try {
      ips = compileIpAllowList(record.ips);
    } catch {
      ips = DENY_ALL_IPS;
    }
  }
  if (record.referrers != null) {
    try {
      referrers = compileReferrerAllowList(record.referrers);
    } catch {
      referrers = DENY_ALL_REFERRERS;
    }
  }
  let routes: RouteAllowList | undefined;
  if (record.routes != null && !(Array.isArray(record.routes) && record.routes.length === 0)) {
    try {
      routes = compileRouteAllowList(record.routes);
    } catch {
      routes = DENY_ALL_ROUTES;
    }
  }
  const type = record.type ?? 'secret';
  return {
    record,
    info: toKeyInfo(prefix, record),
    routes,
    type: type === 'secret' || type === 'publishable' ? type : 'unknown',
    scopes: compileGrantedScopes(Array.isArray(record.scopes) ? record.scopes : []),
    ips,
    referrers,
    policy: rateLimitPolicy(record.rateLimit ?? undefined, record.quota ?? undefined),
    headerMemo: newHeaderMemo(),
    ownerHeaderMemo: undefined,
    alertWatch: undefined,
  };
}

/**
 * Compiles what the store returned for an id (`undefined`: not found) with its digests laid out
 * as a cache slot holds them.
 */
export function loadKey(
  prefix: string,
  record: KeyRecord | undefined,
  peppers: PepperVersions,
  freshUntil: number,
): LoadedKey {
  const digests = new Int32Array(SLOT_WORDS);
  if (record === undefined) {
    randomInto(digests, 0, SLOT_WORDS);
    return {
      entry: undefined,
      digests,
      currentVersion: peppers.current,
      previousVersion: peppers.current,
      freshUntil,
    };
  }
  const current = usable(typeof record.hash === 'string' ? record.hash : undefined, peppers);
  const previous =
    record.previousHashExpiresAt != null
      ? usable(typeof record.previousHash === 'string' ? record.previousHash : undefined, peppers)
      : undefined;
  if (current !== undefined) digestToWords(current.digest, digests, 0);
  else randomInto(digests, 0, DIGEST_WORDS);
  if (previous !== undefined) digestToWords(previous.digest, digests, DIGEST_WORDS);
  else randomInto(digests, DIGEST_WORDS, DIGEST_WORDS);
  const currentVersion = current !== undefined ? current.pepperVersion : peppers.current;
  return {
    entry: compileRecord(prefix, record),
    digests,
    currentVersion,
    previousVersion: previous !== undefined ? previous.pepperVersion : currentVersion,
    freshUntil,
  };
}

/** CSPRNG words handed out once each; one `getRandomValues` call (~µs) serves 256 digests. */
const randomPool = new Int32Array(256 * DIGEST_WORDS);
let randomOffset = randomPool.length;

function randomInto(target: Int32Array, offset: number, length: number): void {
  if (randomOffset + length > randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    randomOffset = 0;
  }
  target.set(randomPool.subarray(randomOffset, randomOffset + length), offset);
  randomPool.fill(0, randomOffset, randomOffset + length);
  randomOffset += length;
}

/** A stored hash keyward can compare against, its pepper version as the hasher's own string. */
function usable(tagged: string | undefined, peppers: PepperVersions): StoredDigest | undefined {
  const parsed = tagged === undefined ? undefined : parseStoredHash(tagged);
  if (parsed === undefined || parsed.pepperVersion === undefined) return parsed;
  const pepperVersion = peppers.versionNamed(parsed.pepperVersion);
  return pepperVersion === undefined ? undefined : { pepperVersion, digest: parsed.digest };
}

export interface RecordCacheOptions {
  readonly max: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
}

/** Slots allocated up front; the storage doubles from here up to `max` slots. */
const INITIAL_SLOTS = 1024;
/** No slot: the end of the recency list. */
const NONE = -1;

/**
 * Bounded LRU of compiled records with keyward's clock deciding freshness. Invalidation bumps an
 * epoch, so a store read that started before a change cannot put the old record back.
 *
 * A `Map` takes an id to a slot number. A slot's digests, freshness and pepper versions sit in flat
 * storage shared by every slot, filled alike for known and unknown ids, so comparing a secret
 * touches the same kinds of memory whether or not the id exists; the compiled record
 * ({@link RecordCache.entries}) is read only after a digest matched. The slots are also the nodes
 * of the recency list (two typed arrays of links), so a hit costs one `Map` lookup and, unless the
 * slot is the newest already, six link writes; when the cache is full, a new id takes the slot of
 * the least recently used.
 */
export class RecordCache {
  /** Digest arena, {@link SLOT_WORDS} per slot (see {@link LoadedKey.digests}). Read-only outside. */
  digests: Int32Array;
  /** Per slot: the clock time until which it is fresh. Read-only outside. */
  freshUntil: Float64Array;
  /** Per slot: {@link LoadedKey.currentVersion}. Read-only outside. */
  readonly currentVersions: (string | undefined)[] = [];
  /** Per slot: {@link LoadedKey.previousVersion}. Read-only outside. */
  readonly previousVersions: (string | undefined)[] = [];
  /** Per slot: the compiled record, `undefined` for an unknown id. Read-only outside. */
  readonly entries: (CachedKey | undefined)[] = [];
  /** id → slot of every cached id; `undefined` when the cache is off (`max` 0). */
  readonly #slotOf: Map<string, number> | undefined;
  /** Per slot: its id, while it holds one. */
  readonly #ids: (string | undefined)[] = [];
  /** Per slot: the next newer and the next older slot in the recency list (NONE at the ends). */
  #newer = new Int32Array(0);
  #older = new Int32Array(0);
  #newest = NONE;
  #oldest = NONE;
  readonly #free: number[] = [];
  readonly #inflight = new Map<string, Promise<LoadedKey>>();
  #epoch = 0;

  constructor(readonly options: RecordCacheOptions) {
    this.digests = new Int32Array(0);
    this.freshUntil = new Float64Array(0);
    if (options.max > 0) {
      this.#slotOf = new Map();
      this.#grow(Math.min(options.max, INITIAL_SLOTS));
    }
  }

  /** The slot holding a fresh entry for `id`, or -1. */
  get(id: string, now: number): number {
    const slot = this.peek(id);
    if (slot < 0 || this.freshUntil[slot]! <= now) return -1;
    return slot;
  }

  /**
   * The slot holding an entry for `id`, fresh or not (its freshness is `freshUntil[slot]`), or -1;
   * a hit makes it the most recently used. For the failed-attempt throttle, which lets a secret
   * that matches a cached record through.
   */
  peek(id: string): number {
    const slot = this.#slotOf?.get(id);
    if (slot === undefined) return -1;
    if (slot !== this.#newest) {
      this.#unlink(slot);
      this.#linkNewest(slot);
    }
    return slot;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Stores an entry unless the cache is disabled or was invalidated since `epoch`. */
  set(id: string, loaded: LoadedKey, epoch: number): void {
    const slotOf = this.#slotOf;
    if (slotOf === undefined || epoch !== this.#epoch) return;
    const existing = slotOf.get(id);
    if (existing !== undefined) this.#drop(existing);
    else if (slotOf.size >= this.options.max) this.#drop(this.#oldest);
    if (this.#free.length === 0) this.#grow(Math.min(this.options.max, this.entries.length * 2));
    const slot = this.#free.pop();
    if (slot === undefined) return;
    this.digests.set(loaded.digests, slot * SLOT_WORDS);
    this.freshUntil[slot] = loaded.freshUntil;
    this.currentVersions[slot] = loaded.currentVersion;
    this.previousVersions[slot] = loaded.previousVersion;
    this.entries[slot] = loaded.entry;
    this.#ids[slot] = id;
    slotOf.set(id, slot);
    this.#linkNewest(slot);
  }

  inflight(id: string): Promise<LoadedKey> | undefined {
    return this.#inflight.get(id);
  }

  trackInflight(id: string, load: Promise<LoadedKey>): void {
    this.#inflight.set(id, load);
    const clear = () => {
      if (this.#inflight.get(id) === load) this.#inflight.delete(id);
    };
    load.then(clear, clear);
  }

  invalidate(id: string): void {
    this.#epoch++;
    const slot = this.#slotOf?.get(id);
    if (slot !== undefined) this.#drop(slot);
    this.#inflight.delete(id);
  }

  clear(): void {
    this.#epoch++;
    while (this.#oldest !== NONE) this.#drop(this.#oldest);
    this.#inflight.clear();
  }

  get size(): number {
    return this.#slotOf?.size ?? 0;
  }

  /** Forgets the entry in `slot` (evicted, overwritten, invalidated, cleared): the slot is free. */
  #drop(slot: number): void {
    this.#unlink(slot);
    this.#slotOf!.delete(this.#ids[slot]!);
    this.#ids[slot] = undefined;
    this.freshUntil[slot] = 0;
    this.entries[slot] = undefined;
    this.#free.push(slot);
  }

  /** Takes `slot` out of the recency list. */
  #unlink(slot: number): void {
    const newer = this.#newer[slot]!;
    const older = this.#older[slot]!;
    if (newer === NONE) this.#newest = older;
    else this.#older[newer] = older;
    if (older === NONE) this.#oldest = newer;
    else this.#newer[older] = newer;
  }

  /** Puts `slot` (out of the list) at its newest end. */
  #linkNewest(slot: number): void {
    const newest = this.#newest;
    this.#newer[slot] = NONE;
    this.#older[slot] = newest;
    if (newest === NONE) this.#oldest = slot;
    else this.#newer[newest] = slot;
    this.#newest = slot;
  }

  #grow(slots: number): void {
    const had = this.entries.length;
    if (slots <= had) return;
    const digests = new Int32Array(slots * SLOT_WORDS);
    digests.set(this.digests);
    this.digests = digests;
    const freshUntil = new Float64Array(slots);
    freshUntil.set(this.freshUntil);
    this.freshUntil = freshUntil;
    const newer = new Int32Array(slots);
    newer.set(this.#newer);
    this.#newer = newer;
    const older = new Int32Array(slots);
    older.set(this.#older);
    this.#older = older;
    for (let slot = had; slot < slots; slot++) {
      this.currentVersions.push(undefined);
      this.previousVersions.push(undefined);
      this.entries.push(undefined);
      this.#ids.push(undefined);
    }
    for (let slot = slots - 1; slot >= had; slot--) this.#free.push(slot);
  }
}
