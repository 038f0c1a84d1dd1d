import { isPromiseLike, withTimeout } from './async.js';
import { reject } from './http/problem.js';
import { rateLimitHeaders, retryAfter } from './http/rate-limit-headers.js';
import { extractKey } from './key/extract.js';
import { type KeyEnvironment, type ParsedKey, parseKey } from './key/format.js';
import { DIGEST_LENGTH, digestsEqual, type SecretHasher } from './key/hash.js';
import type { FailedAttempts } from './limits/failed-attempts.js';
import type { LimitResult } from './limits/token-bucket.js';
import {
  compileScopeRequirement,
  describeRequirement,
  type ScopeRequirement,
  satisfiesScopes,
} from './policy/scopes.js';
import {
  type CachedKey,
  type CacheEntry,
  compileRecord,
  type RecordCache,
} from './record-cache.js';
import type { KeyRecord, KeyStore, LimitStore, MaybePromise } from './stores/types.js';
import type {
  KeywardEvent,
  RejectionCode,
  VerifyOptions,
  VerifyRejection,
  VerifyRequest,
  VerifyResult,
} from './types.js';

export interface VerifierConfig {
  readonly prefix: string;
  readonly realm: string;
  readonly environments: ReadonlySet<KeyEnvironment>;
  readonly keyHeaders: readonly string[];
  readonly keyStore: KeyStore;
  readonly limitStore: LimitStore;
  readonly hasher: SecretHasher;
  readonly cache: RecordCache;
  readonly failures: FailedAttempts | undefined;
  readonly limitStoreFailure: 'closed' | 'open';
  readonly storeTimeoutMs: number;
  readonly clock: () => number;
  readonly emit: ((event: KeywardEvent) => void) | undefined;
}

interface CompiledOptions {
  readonly requirement: ScopeRequirement;
  readonly cost: number;
}

const NO_OPTIONS: VerifyOptions = Object.freeze({});
const NO_HEADERS = Object.freeze({}) as Readonly<Record<string, string>>;
const NO_HEADER_BAG = Object.freeze({});

/** Validates and compiles verify options; throws a TypeError naming the bad option. */
export function compileVerifyOptions(options: VerifyOptions): CompiledOptions {
  const cost = options.cost ?? 1;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost <= 0) {
    throw new TypeError('cost must be a positive number');
  }
  return { requirement: compileScopeRequirement(options.scopes, options.anyScopes), cost };
}

/**
 * The verification pipeline: extract → parse → record (cache, then store) → constant-time
 * compare → revoked / expired / disabled → IP → referrer → scopes → rate limit → quota.
 * Synchronous whenever the record is cached and the stores answer synchronously.
 */
export class Verifier {
  readonly #compiled = new WeakMap<VerifyOptions, CompiledOptions>();
  readonly #digest = new Uint8Array(DIGEST_LENGTH);
  readonly #previousDigest = new Uint8Array(DIGEST_LENGTH);
  readonly #dummy = globalThis.crypto.getRandomValues(new Uint8Array(DIGEST_LENGTH));
  /** Keeps the dummy comparison's result observable so it is never optimised away. */
  #sink = 0;

  constructor(private readonly config: VerifierConfig) {}

  verify(request: VerifyRequest, options: VerifyOptions = NO_OPTIONS): MaybePromise<VerifyResult> {
    let compiled = this.#compiled.get(options);
    if (compiled === undefined) {
      compiled = compileVerifyOptions(options);
      this.#compiled.set(options, compiled);
    }
    const config = this.config;
    const now = config.clock();
    const ip = typeof request?.ip === 'string' && request.ip.length > 0 ? request.ip : undefined;
    const headers =
      typeof request?.headers === 'object' && request.headers !== null
        ? request.headers
        : NO_HEADER_BAG;
    const raw = Array.isArray(request?.rawHeaders) ? request.rawHeaders : undefined;
    const extraction = extractKey(headers, config.keyHeaders, raw);
    if (extraction.kind === 'none') return this.#reject('missing_key', now, ip);
    const blockedMs = config.failures?.blockedFor(ip, now) ?? 0;
    if (blockedMs > 0) {
      return this.#reject('too_many_failures', now, ip, undefined, {
        'retry-after': retryAfter(blockedMs),
      });
    }
    if (extraction.kind === 'ambiguous') return this.#fail('ambiguous_key', now, ip);
    const parsed = parseKey(extraction.value, config.prefix);
    if (parsed === undefined) return this.#fail('malformed_key', now, ip);
    if (!config.environments.has(parsed.environment)) {
      return this.#fail('wrong_environment', now, ip, parsed.id);
    }
    const cached = config.cache.get(parsed.id, now);
    if (cached !== undefined) return this.#check(cached, parsed, request, ip, compiled, now);
    let loaded: MaybePromise<CacheEntry>;
    try {
      loaded = this.#load(parsed.id);
    } catch (error) {
      return this.#storeUnavailable(now, ip, parsed.id, error);
    }
    if (isPromiseLike(loaded)) {
      return loaded.then(
        (entry) => this.#check(entry, parsed, request, ip, compiled, now),
        (error: unknown) => this.#storeUnavailable(now, ip, parsed.id, error),
      );
    }
    return this.#check(loaded, parsed, request, ip, compiled, now);
  }

  #load(id: string): MaybePromise<CacheEntry> {
    const cache = this.config.cache;
    const pending = cache.inflight(id);
    if (pending !== undefined) return pending;
    const epoch = cache.epoch;
    const value = this.config.keyStore.getKey(id);
    if (!isPromiseLike(value)) return this.#remember(id, value, epoch);
    const load = withTimeout(value, this.config.storeTimeoutMs, 'key store').then((record) =>
      this.#remember(id, record, epoch),
    );
    cache.trackInflight(id, load);
    return load;
  }

  #remember(id: string, record: KeyRecord | undefined | null, epoch: number): CacheEntry {
    const { cache, clock, prefix } = this.config;
    const now = clock();
    const entry: CacheEntry =
      record != null && record.id === id
        ? compileRecord(prefix, record, now + cache.options.ttlMs)
        : { found: false, freshUntil: now + cache.options.negativeTtlMs };
    cache.set(id, entry, epoch);
    return entry;
  }

  #check(
    entry: CacheEntry,
    parsed: ParsedKey,
    request: VerifyRequest,
    ip: string | undefined,
    compiled: CompiledOptions,
    now: number,
  ): MaybePromise<VerifyResult> {
    const { hasher } = this.config;
    const digest = this.#digest;
    let currentOk = false;
    let previousOk = false;
    const current = entry.found ? entry.current : undefined;
    if (current !== undefined && hasher.digestInto(parsed.secret, current.pepperVersion, digest)) {
      currentOk = digestsEqual(digest, current.digest);
    } else {
      // Unknown id, unreadable hash or retired pepper: same work, compared against a dummy.
      hasher.digestInto(parsed.secret, hasher.current, digest);
      this.#sink ^= digestsEqual(digest, this.#dummy) ? 1 : 0;
    }
    const previous = entry.found ? entry.previous : undefined;
    if (previous !== undefined) {
      if (current !== undefined && previous.pepperVersion === current.pepperVersion) {
        previousOk = digestsEqual(digest, previous.digest);
      } else if (hasher.digestInto(parsed.secret, previous.pepperVersion, this.#previousDigest)) {
        previousOk = digestsEqual(this.#previousDigest, previous.digest);
      }
    }
    if (!entry.found || (!currentOk && !previousOk)) {
      return this.#fail('invalid_key', now, ip, parsed.id);
    }
    const record = entry.record;
    const id = record.id;
    if (record.revokedAt != null) return this.#reject('revoked_key', now, ip, id);
    if (record.expiresAt != null && now >= record.expiresAt) {
      return this.#reject('expired_key', now, ip, id);
    }
    if (!currentOk && now >= (record.previousHashExpiresAt ?? 0)) {
      return this.#reject('expired_key', now, ip, id);
    }
    if (record.disabled) return this.#reject('disabled_key', now, ip, id);
    if (entry.ips !== undefined && !entry.ips.matches(ip)) {
      return this.#reject('ip_not_allowed', now, ip, id);
    }
    if (entry.referrers !== undefined && !entry.referrers.matches(request.headers)) {
      return this.#reject('referrer_not_allowed', now, ip, id);
    }
    if (!satisfiesScopes(entry.scopes, compiled.requirement)) {
      const scope = describeRequirement(compiled.requirement);
      return this.#reject('insufficient_scope', now, ip, id, {
        'www-authenticate': `Bearer realm="${this.config.realm}", error="insufficient_scope", scope="${scope}"`,
      });
    }
    if (record.rateLimit == null && record.quota == null) {
      return this.#success(entry, ip, NO_HEADERS, now);
    }
    return this.#takeBucket(entry, ip, compiled.cost, now);
  }

  #takeBucket(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
  ): MaybePromise<VerifyResult> {
    const limit = entry.record.rateLimit;
    if (limit == null) return this.#countQuota(entry, ip, cost, now, undefined);
    let taken: MaybePromise<LimitResult>;
    try {
      taken = this.config.limitStore.takeToken(entry.record.id, limit, cost, now);
    } catch (error) {
      return this.#limitFailure(entry, ip, cost, now, error, 'bucket');
    }
    if (isPromiseLike(taken)) {
      return withTimeout(taken, this.config.storeTimeoutMs, 'limit store').then(
        (bucket) => this.#countQuota(entry, ip, cost, now, bucket),
        (error: unknown) => this.#limitFailure(entry, ip, cost, now, error, 'bucket'),
      );
    }
    return this.#countQuota(entry, ip, cost, now, taken);
  }

  #countQuota(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    bucket: LimitResult | undefined,
  ): MaybePromise<VerifyResult> {
    const { rateLimit, quota } = entry.record;
    if (bucket !== undefined && !bucket.allowed) {
      const headers = rateLimitHeaders(
        rateLimit ?? undefined,
        bucket,
        undefined,
        undefined,
        entry.policy,
      );
      headers['retry-after'] = retryAfter(bucket.retryAfterMs);
      return this.#reject('rate_limited', now, ip, entry.record.id, headers);
    }
    if (quota == null) return this.#finish(entry, ip, now, bucket, undefined);
    let counted: MaybePromise<LimitResult>;
    try {
      counted = this.config.limitStore.countQuota(entry.record.id, quota, cost, now);
    } catch (error) {
      return this.#limitFailure(entry, ip, cost, now, error, 'quota', bucket);
    }
    if (isPromiseLike(counted)) {
      return withTimeout(counted, this.config.storeTimeoutMs, 'limit store').then(
        (window) => this.#finish(entry, ip, now, bucket, window),
        (error: unknown) => this.#limitFailure(entry, ip, cost, now, error, 'quota', bucket),
      );
    }
    return this.#finish(entry, ip, now, bucket, counted);
  }

  #finish(
    entry: CachedKey,
    ip: string | undefined,
    now: number,
    bucket: LimitResult | undefined,
    window: LimitResult | undefined,
  ): VerifyResult {
    const { rateLimit, quota } = entry.record;
    const headers = rateLimitHeaders(
      rateLimit ?? undefined,
      bucket,
      quota ?? undefined,
      window,
      entry.policy,
    );
    if (window !== undefined && !window.allowed) {
      headers['retry-after'] = retryAfter(window.retryAfterMs);
      return this.#reject('quota_exceeded', now, ip, entry.record.id, headers);
    }
    return this.#success(entry, ip, headers, now);
  }

  #limitFailure(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    error: unknown,
    stage: 'bucket' | 'quota',
    bucket?: LimitResult,
  ): MaybePromise<VerifyResult> {
    this.#storeError(now, ip, entry.record.id, error);
    if (this.config.limitStoreFailure === 'closed') {
      return this.#reject('store_unavailable', now, ip, entry.record.id, { 'retry-after': '1' });
    }
    // Fail open: skip the limit the store could not apply.
    return stage === 'bucket'
      ? this.#countQuota(entry, ip, cost, now, undefined)
      : this.#finish(entry, ip, now, bucket, undefined);
  }

  #success(
    entry: CachedKey,
    ip: string | undefined,
    headers: Readonly<Record<string, string>>,
    now: number,
  ): VerifyResult {
    const emit = this.config.emit;
    if (emit !== undefined) {
      this.#emit({ type: 'key.verified', at: new Date(now), keyId: entry.record.id, ip });
    }
    return { ok: true, key: entry.info, headers };
  }

  /** A rejection that counts as a failed attempt by this client IP. */
  #fail(code: RejectionCode, now: number, ip: string | undefined, keyId?: string): VerifyRejection {
    const failures = this.config.failures;
    if (failures?.record(ip, now)) {
      this.#emit({
        type: 'anomaly',
        at: new Date(now),
        kind: 'failed_attempts',
        detail: 'client IP is now throttled after repeated bad keys',
        ip,
      });
    }
    return this.#reject(code, now, ip, keyId);
  }

  #storeUnavailable(
    now: number,
    ip: string | undefined,
    keyId: string,
    error: unknown,
  ): VerifyRejection {
    this.#storeError(now, ip, keyId, error);
    return this.#reject('store_unavailable', now, ip, keyId, { 'retry-after': '1' });
  }

  #storeError(now: number, ip: string | undefined, keyId: string, error: unknown): void {
    if (this.config.emit === undefined) return;
    const message = error instanceof Error ? error.message : 'store error';
    this.#emit({
      type: 'anomaly',
      at: new Date(now),
      kind: 'store_error',
      detail: message,
      keyId,
      ip,
    });
  }

  #reject(
    code: RejectionCode,
    now: number,
    ip: string | undefined,
    keyId?: string,
    extra?: Record<string, string>,
  ): VerifyRejection {
    const result = reject(code, this.config.realm, extra);
    if (this.config.emit !== undefined) {
      this.#emit({
        type: 'key.rejected',
        at: new Date(now),
        code,
        status: result.status,
        keyId,
        ip,
      });
    }
    return result;
  }

  #emit(event: KeywardEvent): void {
    try {
      this.config.emit?.(event);
    } catch {
      // A throwing event handler must never break verification.
    }
  }

  /** For tests of the constant-time path: how many dummy comparisons matched (always 0). */
  get dummyMatches(): number {
    return this.#sink;
  }
}
