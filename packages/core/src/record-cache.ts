import { LRUCache } from 'lru-cache';
import { rateLimitPolicy } from './http/rate-limit-headers.js';
import { parseStoredHash, type StoredDigest } from './key/hash.js';
import { toKeyInfo } from './key-info.js';
import { compileIpAllowList, type IpAllowList } from './policy/ip-allow-list.js';
import { compileReferrerAllowList, type ReferrerAllowList } from './policy/referrer.js';
import { compileGrantedScopes, type GrantedScopes } from './policy/scopes.js';
import type { KeyRecord } from './stores/types.js';
import type { KeyInfo } from './types.js';

/** A record compiled for verification: digests decoded, restrictions compiled. */
export interface CachedKey {
  readonly found: true;
  readonly record: KeyRecord;
  readonly info: KeyInfo;
  readonly current: StoredDigest | undefined;
  readonly previous: StoredDigest | undefined;
  readonly scopes: GrantedScopes;
  readonly ips: IpAllowList | undefined;
  readonly referrers: ReferrerAllowList | undefined;
  /** `RateLimit-Policy` items, built once per record. */
  readonly policy: { readonly key: string | undefined; readonly quota: string | undefined };
  readonly freshUntil: number;
}

/** An id the store does not know, remembered for `negativeTtlMs`. */
export interface MissingKey {
  readonly found: false;
  readonly freshUntil: number;
}

export type CacheEntry = CachedKey | MissingKey;

const DENY_ALL_IPS: IpAllowList = Object.freeze({ entries: [], matches: () => false });
const DENY_ALL_REFERRERS: ReferrerAllowList = Object.freeze({ entries: [], matches: () => false });

/**
 * Compiles a stored record. A restriction the store holds in a form keyward cannot compile (edited
 * by hand, say) fails closed: it matches nothing.
 */
export function compileRecord(prefix: string, record: KeyRecord, freshUntil: number): CachedKey {
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
  const previous =
    record.previousHash != null && record.previousHashExpiresAt != null
      ? parseStoredHash(record.previousHash)
      : undefined;
  return {
    found: true,
    record,
    info: toKeyInfo(prefix, record),
    current: typeof record.hash === 'string' ? parseStoredHash(record.hash) : undefined,
    previous,
    scopes: compileGrantedScopes(Array.isArray(record.scopes) ? record.scopes : []),
    ips,
    referrers,
    policy: rateLimitPolicy(record.rateLimit ?? undefined, record.quota ?? undefined),
    freshUntil,
  };
}

export interface RecordCacheOptions {
  readonly max: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
}

/**
 * Bounded LRU of compiled records with keyward's clock deciding freshness. Invalidation bumps an
 * epoch, so a store read that started before a change cannot put the old record back.
 */
export class RecordCache {
  readonly #lru: LRUCache<string, CacheEntry> | undefined;
  readonly #inflight = new Map<string, Promise<CacheEntry>>();
  #epoch = 0;

  constructor(readonly options: RecordCacheOptions) {
    this.#lru = options.max > 0 ? new LRUCache({ max: options.max }) : undefined;
  }

  get(id: string, now: number): CacheEntry | undefined {
    const entry = this.#lru?.get(id);
    if (entry === undefined || entry.freshUntil <= now) return undefined;
    return entry;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Stores an entry unless the cache was invalidated since `epoch`. */
  set(id: string, entry: CacheEntry, epoch: number): void {
    if (epoch === this.#epoch) this.#lru?.set(id, entry);
  }

  inflight(id: string): Promise<CacheEntry> | undefined {
    return this.#inflight.get(id);
  }

  trackInflight(id: string, load: Promise<CacheEntry>): void {
    this.#inflight.set(id, load);
    const clear = () => {
      if (this.#inflight.get(id) === load) this.#inflight.delete(id);
    };
    load.then(clear, clear);
  }

  invalidate(id: string): void {
    this.#epoch++;
    this.#lru?.delete(id);
    this.#inflight.delete(id);
  }

  clear(): void {
    this.#epoch++;
    this.#lru?.clear();
    this.#inflight.clear();
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }
}
