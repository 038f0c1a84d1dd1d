import { isPromiseLike, withTimeout } from './async.js';
import { reject } from './http/problem.js';
import {
  newOwnerHeaderMemo,
  rateLimitHeaders,
  retryAfter,
  successRateLimitHeaders,
  withOwnerHeaders,
} from './http/rate-limit-headers.js';
import { type Extraction, extractKey, type HeaderBag } from './key/extract.js';
import {
  type KeyEnvironment,
  type KeyType,
  type ParsedKey,
  readKey,
  releaseKeyBytes,
} from './key/format.js';
import { DIGEST_WORDS, digestDifferenceAt, type SecretHasher } from './key/hash.js';
import type { FailedAttempts } from './limits/failed-attempts.js';
import type { OwnerLimitCache, OwnerPlan } from './limits/owner-limits.js';
import type { LimitResult } from './limits/token-bucket.js';
import { Attempt, type VerifyObserver } from './observe.js';
import {
  compileScopeRequirement,
  describeRequirement,
  type ScopeRequirement,
  satisfiesScopes,
} from './policy/scopes.js';
import {
  type CachedKey,
  type LoadedKey,
  loadKey,
  type RecordCache,
  SLOT_WORDS,
} from './record-cache.js';
import type { KeyRecord, KeyStore, LimitStore, MaybePromise } from './stores/types.js';
import type {
  KeyInfo,
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
  /** The owners' shared limits (`ownerLimits`), cached per owner. */
  readonly ownerLimits: OwnerLimitCache | undefined;
  readonly storeTimeoutMs: number;
  readonly clock: () => number;
  /** The event sink until {@link Verifier.listen} says otherwise. */
  readonly emit: ((event: KeywardEvent) => void) | undefined;
  /** Also receives the anomaly events (alerts), even without an event sink. */
  readonly onAnomaly: ((event: Extract<KeywardEvent, { type: 'anomaly' }>) => void) | undefined;
}

type VerifiedEvent = Extract<KeywardEvent, { type: 'key.verified' }>;
type RejectedEvent = Extract<KeywardEvent, { type: 'key.rejected' }>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface CompiledOptions {
  readonly requirement: ScopeRequirement;
  /** The key type the route takes, or undefined for either. */
  readonly keyType: KeyType | undefined;
  /** What a request costs: `options.cost`, default 1. */
  readonly cost: number;
  /** `options.cost` when given, else 0: what a later guard charges (see Verifier.authorize). */
  readonly explicitCost: number;
}

const NO_OPTIONS: VerifyOptions = Object.freeze({});
const NO_HEADERS = Object.freeze({}) as Readonly<Record<string, string>>;
const NO_HEADER_BAG = Object.freeze({});

/** Whether `options` and its scope arrays are frozen objects, so compiling them once is safe. */
function isFrozenOptions(options: VerifyOptions): boolean {
  return (
    typeof options === 'object' &&
    options !== null &&
    Object.isFrozen(options) &&
    (options.scopes === undefined || Object.isFrozen(options.scopes)) &&
    (options.anyScopes === undefined || Object.isFrozen(options.anyScopes))
  );
}

/** Validates and compiles verify options; throws a TypeError naming the bad option. */
export function compileVerifyOptions(options: VerifyOptions): CompiledOptions {
  const cost = options.cost ?? 1;
  if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost <= 0) {
    throw new TypeError('cost must be a positive whole number');
  }
  const keyType = options.keyType;
  if (keyType !== undefined && keyType !== 'secret' && keyType !== 'publishable') {
    throw new TypeError('keyType must be "secret" or "publishable"');
  }
  return {
    requirement: compileScopeRequirement(options.scopes, options.anyScopes),
    keyType,
    cost,
    explicitCost: options.cost === undefined ? 0 : cost,
  };
}

/**
 * The verification pipeline: extract → parse → record (cache, then store) → constant-time
 * compare → environment and `pk` labels vs record → revoked / expired / disabled → key type → IP →
 * referrer (and Origin, for a publishable key) → route → scopes → rate limit → quota → the
 * owner's shared rate limit → the owner's shared quota.
 * Synchronous whenever the record is cached and the stores answer synchronously.
 */
export class Verifier {
  readonly #compiled = new WeakMap<VerifyOptions, CompiledOptions>();
  /** Every KeyInfo this verifier compiled, to its compiled record (see {@link authorize}). */
  readonly #issued = new WeakMap<KeyInfo, CachedKey>();
  // The options object of the previous call and its compiled form: an adapter passes the same
  // object on every request of a route, so this skips the WeakMap lookup on the hot path.
  #lastOptions: VerifyOptions | undefined;
  #lastCompiled: CompiledOptions | undefined;
  readonly #digest = new Int32Array(DIGEST_WORDS);
  readonly #previousDigest = new Int32Array(DIGEST_WORDS);
  #emitter: ((event: KeywardEvent) => void) | undefined;
  #observer: VerifyObserver | undefined;
  #timed = false;
  // Whether anyone hears about verifications; only then does verify use an Attempt.
  #listening: boolean;
  // An Attempt whose verification was observed, ready for the next one: a synchronous
  // verification hands it back at its outcome, so it allocates none; one that starts while it is
  // out (async paths) gets its own.
  #spare: Attempt | undefined;

  constructor(private readonly config: VerifierConfig) {
    this.#emitter = config.emit;
    this.#listening = config.emit !== undefined;
  }

  /**
   * Who hears about verifications: the event sink (`key.verified`, `key.rejected`…), the
   * observer (usage and alerts through one fan-out, called once per verification at its outcome)
   * and whether events carry `durationMs` (only then is `performance.now()` read).
   */
  listen(
    emitter: ((event: KeywardEvent) => void) | undefined,
    observer: VerifyObserver | undefined,
    timed: boolean,
  ): void {
    this.#emitter = emitter;
    this.#observer = observer;
    this.#timed = timed && emitter !== undefined;
    this.#listening = emitter !== undefined || observer !== undefined;
  }

  verify(request: VerifyRequest, options: VerifyOptions = NO_OPTIONS): MaybePromise<VerifyResult> {
    const compiled = options === this.#lastOptions ? this.#lastCompiled! : this.#compile(options);
    const config = this.config;
    const now = config.clock();
    const ip = typeof request?.ip === 'string' && request.ip.length > 0 ? request.ip : undefined;
    const headers =
      typeof request?.headers === 'object' && request.headers !== null
        ? request.headers
        : NO_HEADER_BAG;
    const raw = Array.isArray(request?.rawHeaders) ? request.rawHeaders : undefined;
    const seen = this.#listening ? this.#begin(request, compiled.cost, now, ip) : undefined;
    const extraction = extractKey(headers, config.keyHeaders, raw);
    if (extraction.kind === 'none') {
      return this.#reject('missing_key', now, ip, undefined, undefined, seen);
    }
    const blockedMs = config.failures?.blockedFor(ip, now) ?? 0;
    if (blockedMs > 0) {
      return this.#verifyThrottled(
        extraction,
        request,
        headers,
        ip,
        compiled,
        now,
        blockedMs,
        seen,
      );
    }
    if (extraction.kind === 'ambiguous') return this.#fail('ambiguous_key', now, ip, seen);
    const parsed = readKey(extraction.value, config.prefix);
    if (parsed === undefined) return this.#fail('malformed_key', now, ip, seen);
    if (!config.environments.has(parsed.environment)) {
      releaseKeyBytes(parsed);
      return this.#fail('wrong_environment', now, ip, seen, parsed.id);
    }
    const cache = config.cache;
    const slot = cache.get(parsed.id, now);
    if (slot >= 0) {
      // Known and unknown ids alike: the slot's digests, versions and freshness, nothing else,
      // until a digest matched.
      const matched = this.#matchSlot(parsed, slot);
      if (matched === 0) return this.#fail('invalid_key', now, ip, seen, parsed.id);
      return this.#accept(
        cache.entries[slot],
        matched,
        parsed,
        request,
        headers,
        ip,
        compiled,
        now,
        seen,
      );
    }
    return this.#loadAndCheck(parsed, request, headers, ip, compiled, now, 0, seen);
  }

  /** `options` compiled (memoised when it cannot change). */
  #compile(options: VerifyOptions): CompiledOptions {
    if (options === this.#lastOptions) return this.#lastCompiled!;
    let compiled = this.#compiled.get(options);
    let memoised = compiled !== undefined;
    if (compiled === undefined) {
      compiled = compileVerifyOptions(options);
      // Only an options object that cannot change (frozen, with frozen scope arrays, as the
      // adapters pass) is compiled once; any other is compiled on every call, so mutating it
      // between calls can never leave a route with its old requirement.
      memoised = isFrozenOptions(options);
      if (memoised) this.#compiled.set(options, compiled);
    }
    if (memoised) {
      this.#lastOptions = options;
      this.#lastCompiled = compiled;
    }
    return compiled;
  }

  /**
   * A request from a client IP that the failed-attempt throttle holds back. Junk costs no store
   * read and counts no further failure: everything is `too_many_failures`, except a key whose
   * secret matches a record already in the cache, which goes on through the usual checks (so a
   * stranger behind the same address cannot lock a working key out). A cached record past its
   * freshness is read from the store again, but only once its secret matched.
   */
  #verifyThrottled(
    extraction: Extraction,
    request: VerifyRequest,
    headers: HeaderBag,
    ip: string | undefined,
    compiled: CompiledOptions,
    now: number,
    blockedMs: number,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    const config = this.config;
    const parsed = extraction.kind === 'one' ? readKey(extraction.value, config.prefix) : undefined;
    if (parsed !== undefined && config.environments.has(parsed.environment)) {
      const cache = config.cache;
      const slot = cache.peek(parsed.id);
      const matched = slot >= 0 ? this.#matchSlot(parsed, slot) : 0;
      if (matched !== 0 && cache.freshUntil[slot]! > now) {
        const entry = cache.entries[slot];
        return this.#accept(entry, matched, parsed, request, headers, ip, compiled, now, seen);
      }
      if (matched !== 0) {
        return this.#loadAndCheck(parsed, request, headers, ip, compiled, now, blockedMs, seen);
      }
    }
    if (parsed !== undefined) releaseKeyBytes(parsed);
    return this.#throttled(now, ip, blockedMs, seen);
  }

  #throttled(
    now: number,
    ip: string | undefined,
    blockedMs: number,
    seen: Attempt | undefined,
  ): VerifyRejection {
    const extra = { 'retry-after': retryAfter(blockedMs) };
    return this.#reject('too_many_failures', now, ip, undefined, extra, seen);
  }

  #load(id: string): MaybePromise<LoadedKey> {
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

  #remember(id: string, record: KeyRecord | undefined | null, epoch: number): LoadedKey {
    const { cache, clock, hasher, prefix } = this.config;
    const now = clock();
    const found = record != null && record.id === id;
    const ttlMs = found ? cache.options.ttlMs : cache.options.negativeTtlMs;
    const loaded = loadKey(prefix, found ? record : undefined, hasher, now + ttlMs);
    if (loaded.entry !== undefined) this.#issued.set(loaded.entry.info, loaded.entry);
    cache.set(id, loaded, epoch);
    return loaded;
  }

  /**
   * Reads the record of `parsed.id` (through the cache's in-flight reads) and compares the secret
   * with its digests. A mismatch is `invalid_key`, or for a throttled client (`blockedMs` > 0)
   * `too_many_failures`.
   */
  #loadAndCheck(
    parsed: ParsedKey,
    request: VerifyRequest,
    headers: HeaderBag,
    ip: string | undefined,
    compiled: CompiledOptions,
    now: number,
    blockedMs: number,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    let loaded: MaybePromise<LoadedKey>;
    try {
      loaded = this.#load(parsed.id);
    } catch (error) {
      releaseKeyBytes(parsed);
      return this.#storeUnavailable(now, ip, parsed.id, error, seen);
    }
    if (isPromiseLike(loaded)) {
      // Other verifications run before the read settles: the secret is hashed from its string.
      releaseKeyBytes(parsed);
      return loaded.then(
        (entry) => this.#check(entry, parsed, request, headers, ip, compiled, now, blockedMs, seen),
        (error: unknown) => this.#storeUnavailable(now, ip, parsed.id, error, seen),
      );
    }
    return this.#check(loaded, parsed, request, headers, ip, compiled, now, blockedMs, seen);
  }

  /** A record just read from the store (cached or not): the same comparison on its own digests. */
  #check(
    loaded: LoadedKey,
    parsed: ParsedKey,
    request: VerifyRequest,
    headers: HeaderBag,
    ip: string | undefined,
    compiled: CompiledOptions,
    now: number,
    blockedMs: number,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    const matched = this.#match(
      parsed,
      loaded.digests,
      0,
      loaded.currentVersion,
      loaded.previousVersion,
    );
    if (matched === 0) {
      return blockedMs > 0
        ? this.#throttled(now, ip, blockedMs, seen)
        : this.#fail('invalid_key', now, ip, seen, parsed.id);
    }
    return this.#accept(loaded.entry, matched, parsed, request, headers, ip, compiled, now, seen);
  }

  /** {@link #match} against cache slot `slot`. */
  #matchSlot(parsed: ParsedKey, slot: number): number {
    const cache = this.config.cache;
    return this.#match(
      parsed,
      cache.digests,
      slot * SLOT_WORDS,
      cache.currentVersions[slot],
      cache.previousVersions[slot],
    );
  }

  /**
   * Hashes the secret and compares it with both digests of a slot (`digests[offset..+16)`, as words), always
   * both: bit 0 set when the current digest matched, bit 1 when the previous one did.
   */
  #match(
    parsed: ParsedKey,
    digests: Int32Array,
    offset: number,
    currentVersion: string | undefined,
    previousVersion: string | undefined,
  ): number {
    const hasher = this.config.hasher;
    const digest = this.#digest;
    hasher.digestSecretWords(parsed, currentVersion, digest);
    let previous = digest;
    if (previousVersion !== currentVersion) {
      // A rotation grace period under another pepper version: rare, and public per id.
      previous = this.#previousDigest;
      hasher.digestSecretWords(parsed, previousVersion, previous);
    }
    releaseKeyBytes(parsed);
    const currentDiff = digestDifferenceAt(digest, digests, offset);
    const previousDiff = digestDifferenceAt(previous, digests, offset + DIGEST_WORDS);
    // A difference is 0 or 1: 1 - d is 1 exactly when d is 0.
    return (1 - currentDiff) | ((1 - previousDiff) << 1);
  }

  /** Everything after a digest matched (`matched`: bit 0 current, bit 1 previous). */
  #accept(
    entry: CachedKey | undefined,
    matched: number,
    parsed: ParsedKey,
    request: VerifyRequest,
    headers: HeaderBag,
    ip: string | undefined,
    compiled: CompiledOptions,
    now: number,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    // Unknown ids hold random digests, so this is unreachable; it keeps the types honest.
    if (entry === undefined) return this.#fail('invalid_key', now, ip, seen, parsed.id);
    const currentOk = (matched & 1) !== 0;
    const record = entry.record;
    const id = record.id;
    if (seen !== undefined) {
      seen.entry = entry;
      seen.matched = matched;
    }
    // The environment in the key is only a label the checksum covers, and the checksum is public:
    // a test key relabelled `live` (checksum recomputed) carries the right id and secret. The
    // record says which environment the key belongs to.
    if (record.environment !== parsed.environment)
      return this.#fail('wrong_environment', now, ip, seen, id);
    // Likewise the `pk` marker: a record that is not of the kind the key says is refused.
    if (entry.type !== parsed.type) return this.#fail('invalid_key', now, ip, seen, id);
    if (record.revokedAt != null) return this.#reject('revoked_key', now, ip, id, undefined, seen);
    if (record.expiresAt != null && now >= record.expiresAt) {
      return this.#reject('expired_key', now, ip, id, undefined, seen);
    }
    if (!currentOk && now >= (record.previousHashExpiresAt ?? 0)) {
      return this.#reject('expired_key', now, ip, id, undefined, seen);
    }
    if (record.disabled) return this.#reject('disabled_key', now, ip, id, undefined, seen);
    if (compiled.keyType !== undefined && compiled.keyType !== entry.type) {
      return this.#reject('wrong_key_type', now, ip, id, undefined, seen);
    }
    if (entry.ips !== undefined && !entry.ips.matches(ip)) {
      return this.#reject('ip_not_allowed', now, ip, id, undefined, seen);
    }
    if (entry.referrers !== undefined) {
      if (!entry.referrers.matches(headers)) {
        return this.#reject('referrer_not_allowed', now, ip, id, undefined, seen);
      }
      // A publishable key's Origin must match too. Without a Referer, `matches` judged the Origin
      // already, path included (stricter than the origin check): no second parse.
      if (
        entry.type === 'publishable' &&
        headers['referer'] !== undefined &&
        !entry.referrers.matchesOrigin(headers)
      ) {
        return this.#reject('referrer_not_allowed', now, ip, id, undefined, seen);
      }
    } else if (entry.type === 'publishable') {
      // Impossible through the API (create refuses it): a hand-edited record fails closed.
      return this.#reject('referrer_not_allowed', now, ip, id, undefined, seen);
    }
    if (entry.routes !== undefined) {
      const checked = entry.routes.check(request?.method, request?.route, request?.url);
      if (checked !== 'ok') return this.#reject(checked, now, ip, id, undefined, seen);
    }
    if (!satisfiesScopes(entry.scopes, compiled.requirement)) {
      return this.#insufficientScope(compiled, now, ip, id, seen);
    }
    if (record.rateLimit == null && record.quota == null) {
      return this.#afterKeyLimits(entry, ip, compiled.cost, now, true, NO_HEADERS, seen);
    }
    return this.#takeBucket(entry, ip, compiled.cost, now, true, seen);
  }

  #insufficientScope(
    compiled: CompiledOptions,
    now: number,
    ip: string | undefined,
    id: string,
    seen: Attempt | undefined,
  ): VerifyRejection {
    const scope = describeRequirement(compiled.requirement);
    const extra = {
      'www-authenticate': `Bearer realm="${this.config.realm}", error="insufficient_scope", scope="${scope}"`,
    };
    return this.#reject('insufficient_scope', now, ip, id, extra, seen);
  }

  /**
   * Checks a key this verifier verified (`key`, from a success of {@link verify}) against a
   * later guard's `options` on the same request: what that guard adds, nothing the first guard
   * already checked. Its scopes and anyScopes now; a guard's key-type and route rules belong
   * here too as they come. Charges `options.cost` less `credit` (units the first guard charged by
   * default) when `options.cost` is given, nothing otherwise, and emits no second `key.verified`.
   * `undefined` when `key` is not a KeyInfo this verifier produced.
   */
  authorize(
    key: KeyInfo,
    request: VerifyRequest,
    options: VerifyOptions,
    credit: number,
  ): MaybePromise<VerifyResult> | undefined {
    const entry = this.#issued.get(key);
    if (entry === undefined) return undefined;
    const compiled = this.#compile(options);
    const now = this.config.clock();
    const ip = typeof request?.ip === 'string' && request.ip.length > 0 ? request.ip : undefined;
    if (compiled.keyType !== undefined && compiled.keyType !== entry.type) {
      return this.#reject('wrong_key_type', now, ip, entry.record.id, undefined, undefined);
    }
    if (!satisfiesScopes(entry.scopes, compiled.requirement)) {
      return this.#insufficientScope(compiled, now, ip, entry.record.id, undefined);
    }
    const charge = compiled.explicitCost - credit;
    const { rateLimit, quota } = entry.record;
    if (charge <= 0) return { ok: true, key: entry.info, headers: NO_HEADERS };
    if (rateLimit == null && quota == null) {
      return this.#afterKeyLimits(entry, ip, charge, now, false, NO_HEADERS, undefined);
    }
    return this.#takeBucket(entry, ip, charge, now, false, undefined);
  }

  #takeBucket(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    const limit = entry.record.rateLimit;
    if (limit == null) return this.#countQuota(entry, ip, cost, now, announce, undefined, seen);
    let taken: MaybePromise<LimitResult>;
    try {
      taken = this.config.limitStore.takeToken(entry.record.id, limit, cost, now);
    } catch (error) {
      return this.#limitFailure(entry, ip, cost, now, announce, error, 'bucket', undefined, seen);
    }
    if (isPromiseLike(taken)) {
      return withTimeout(taken, this.config.storeTimeoutMs, 'limit store').then(
        (bucket) => this.#countQuota(entry, ip, cost, now, announce, bucket, seen),
        (error: unknown) =>
          this.#limitFailure(entry, ip, cost, now, announce, error, 'bucket', undefined, seen),
      );
    }
    return this.#countQuota(entry, ip, cost, now, announce, taken, seen);
  }

  #countQuota(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    bucket: LimitResult | undefined,
    seen: Attempt | undefined,
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
      return this.#reject('rate_limited', now, ip, entry.record.id, headers, seen);
    }
    if (quota == null) return this.#finish(entry, ip, cost, now, announce, bucket, undefined, seen);
    let counted: MaybePromise<LimitResult>;
    try {
      counted = this.config.limitStore.countQuota(entry.record.id, quota, cost, now);
    } catch (error) {
      return this.#limitFailure(entry, ip, cost, now, announce, error, 'quota', bucket, seen);
    }
    if (isPromiseLike(counted)) {
      return withTimeout(counted, this.config.storeTimeoutMs, 'limit store').then(
        (window) => this.#finish(entry, ip, cost, now, announce, bucket, window, seen),
        (error: unknown) =>
          this.#limitFailure(entry, ip, cost, now, announce, error, 'quota', bucket, seen),
      );
    }
    return this.#finish(entry, ip, cost, now, announce, bucket, counted, seen);
  }

  #finish(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    bucket: LimitResult | undefined,
    window: LimitResult | undefined,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    const { rateLimit, quota } = entry.record;
    if (seen !== undefined) seen.quota = window;
    if (window !== undefined && !window.allowed) {
      const headers = rateLimitHeaders(
        rateLimit ?? undefined,
        bucket,
        quota ?? undefined,
        window,
        entry.policy,
      );
      headers['retry-after'] = retryAfter(window.retryAfterMs);
      return this.#reject('quota_exceeded', now, ip, entry.record.id, headers, seen);
    }
    const headers = successRateLimitHeaders(
      entry.headerMemo,
      rateLimit ?? undefined,
      bucket,
      quota ?? undefined,
      window,
      entry.policy,
    );
    return this.#afterKeyLimits(entry, ip, cost, now, announce, headers, seen);
  }

  /**
   * After the key's own limits passed (`headers`: theirs): the owner's shared bucket and quota
   * when `ownerLimits` gives the key's owner any, else success. An `ownerLimits` that throws,
   * rejects or answers nonsense is `store_unavailable` whatever `limitStoreFailure` says (it is
   * configuration, not an outage to ride out); a limit store failing on the owner's bucket or
   * quota follows `limitStoreFailure` as for the key's own.
   */
  #afterKeyLimits(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    headers: Readonly<Record<string, string>>,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    const owners = this.config.ownerLimits;
    const ownerId = entry.record.ownerId;
    if (owners === undefined || ownerId == null) {
      return this.#success(entry, ip, headers, now, announce, seen);
    }
    let plan: MaybePromise<OwnerPlan | undefined>;
    try {
      plan = owners.get(ownerId, now);
    } catch (error) {
      return this.#storeUnavailable(now, ip, entry.record.id, error, seen, 'limit');
    }
    if (isPromiseLike(plan)) {
      return withTimeout(plan, this.config.storeTimeoutMs, 'ownerLimits').then(
        (settled) => this.#takeOwnerBucket(entry, ip, cost, now, announce, headers, settled, seen),
        (error: unknown) => this.#storeUnavailable(now, ip, entry.record.id, error, seen, 'limit'),
      );
    }
    return this.#takeOwnerBucket(entry, ip, cost, now, announce, headers, plan, seen);
  }

  /** The owner's shared token bucket, named `owner:<ownerId>` in the limit store. */
  #takeOwnerBucket(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    headers: Readonly<Record<string, string>>,
    plan: OwnerPlan | undefined,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    if (plan === undefined) return this.#success(entry, ip, headers, now, announce, seen);
    if (plan.rateLimit === undefined) {
      return this.#countOwnerQuota(entry, ip, cost, now, announce, headers, plan, undefined, seen);
    }
    return this.#ownerStep(
      'bucket',
      entry,
      ip,
      cost,
      now,
      announce,
      headers,
      plan,
      undefined,
      seen,
    );
  }

  /**
   * One owner-limit store call, `stage` saying which (its bucket, or its quota after `bucket`):
   * the answer goes on to the next step, a throw, a rejection or a timeout to
   * {@link #ownerLimitFailure}. No closure on the synchronous path: every request of an owner's
   * key comes through here.
   */
  #ownerStep(
    stage: 'bucket' | 'quota',
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    headers: Readonly<Record<string, string>>,
    plan: OwnerPlan,
    bucket: LimitResult | undefined,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    const store = this.config.limitStore;
    let result: MaybePromise<LimitResult>;
    try {
      result =
        stage === 'bucket'
          ? store.takeToken(plan.name, plan.rateLimit!, cost, now)
          : store.countQuota(plan.name, plan.quota!, cost, now);
    } catch (error) {
      return this.#ownerLimitFailure(
        entry,
        ip,
        cost,
        now,
        announce,
        headers,
        plan,
        error,
        stage,
        bucket,
        seen,
      );
    }
    if (isPromiseLike(result)) {
      return withTimeout(result, this.config.storeTimeoutMs, 'limit store').then(
        (settled) =>
          this.#afterOwnerStep(
            stage,
            entry,
            ip,
            cost,
            now,
            announce,
            headers,
            plan,
            bucket,
            settled,
            seen,
          ),
        (error: unknown) =>
          this.#ownerLimitFailure(
            entry,
            ip,
            cost,
            now,
            announce,
            headers,
            plan,
            error,
            stage,
            bucket,
            seen,
          ),
      );
    }
    return this.#afterOwnerStep(
      stage,
      entry,
      ip,
      cost,
      now,
      announce,
      headers,
      plan,
      bucket,
      result,
      seen,
    );
  }

  /**
   * After the owner's bucket its quota; after its quota the result. `result` is the step's
   * answer, undefined when a failed store was skipped (fail open).
   */
  #afterOwnerStep(
    stage: 'bucket' | 'quota',
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    headers: Readonly<Record<string, string>>,
    plan: OwnerPlan,
    bucket: LimitResult | undefined,
    result: LimitResult | undefined,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    return stage === 'bucket'
      ? this.#countOwnerQuota(entry, ip, cost, now, announce, headers, plan, result, seen)
      : this.#finishOwner(entry, ip, now, announce, headers, plan, bucket, result, seen);
  }

  #countOwnerQuota(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    headers: Readonly<Record<string, string>>,
    plan: OwnerPlan,
    bucket: LimitResult | undefined,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    if (bucket !== undefined && !bucket.allowed) {
      const refused = withOwnerHeaders(
        newOwnerHeaderMemo(),
        headers,
        plan.policy,
        plan.rateLimit,
        bucket,
        undefined,
        undefined,
      );
      refused['retry-after'] = retryAfter(bucket.retryAfterMs);
      return this.#reject('rate_limited', now, ip, entry.record.id, refused, seen);
    }
    if (plan.quota === undefined) {
      return this.#finishOwner(entry, ip, now, announce, headers, plan, bucket, undefined, seen);
    }
    return this.#ownerStep('quota', entry, ip, cost, now, announce, headers, plan, bucket, seen);
  }

  #finishOwner(
    entry: CachedKey,
    ip: string | undefined,
    now: number,
    announce: boolean,
    headers: Readonly<Record<string, string>>,
    plan: OwnerPlan,
    bucket: LimitResult | undefined,
    window: LimitResult | undefined,
    seen: Attempt | undefined,
  ): VerifyResult {
    entry.ownerHeaderMemo ??= newOwnerHeaderMemo();
    const all = withOwnerHeaders(
      entry.ownerHeaderMemo,
      headers,
      plan.policy,
      plan.rateLimit,
      bucket,
      plan.quota,
      window,
    );
    if (window !== undefined && !window.allowed) {
      all['retry-after'] = retryAfter(window.retryAfterMs);
      return this.#reject('quota_exceeded', now, ip, entry.record.id, all, seen);
    }
    return this.#success(entry, ip, all, now, announce, seen);
  }

  #ownerLimitFailure(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    headers: Readonly<Record<string, string>>,
    plan: OwnerPlan,
    error: unknown,
    stage: 'bucket' | 'quota',
    bucket: LimitResult | undefined,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    if (this.config.limitStoreFailure === 'closed') {
      return this.#storeUnavailable(now, ip, entry.record.id, error, seen, 'limit');
    }
    this.#storeError(now, ip, entry.record.id, error, 'limit');
    // Fail open: the step goes on as if that limit were not there.
    return this.#afterOwnerStep(
      stage,
      entry,
      ip,
      cost,
      now,
      announce,
      headers,
      plan,
      bucket,
      undefined,
      seen,
    );
  }

  #limitFailure(
    entry: CachedKey,
    ip: string | undefined,
    cost: number,
    now: number,
    announce: boolean,
    error: unknown,
    stage: 'bucket' | 'quota',
    bucket: LimitResult | undefined,
    seen: Attempt | undefined,
  ): MaybePromise<VerifyResult> {
    if (this.config.limitStoreFailure === 'closed') {
      return this.#storeUnavailable(now, ip, entry.record.id, error, seen, 'limit');
    }
    this.#storeError(now, ip, entry.record.id, error, 'limit');
    // Fail open: skip the limit the store could not apply.
    return stage === 'bucket'
      ? this.#countQuota(entry, ip, cost, now, announce, undefined, seen)
      : this.#finish(entry, ip, cost, now, announce, bucket, undefined, seen);
  }

  /** A success; `announce`: emit `key.verified` (false for a later guard's extra charge). */
  #success(
    entry: CachedKey,
    ip: string | undefined,
    headers: Readonly<Record<string, string>>,
    now: number,
    announce: boolean,
    seen: Attempt | undefined,
  ): VerifyResult {
    if (announce && this.#emitter !== undefined) {
      const event: Mutable<VerifiedEvent> = {
        type: 'key.verified',
        at: new Date(now),
        keyId: entry.record.id,
        environment: entry.record.environment,
        ip,
      };
      if (seen !== undefined && seen.startedAt !== 0) {
        event.durationMs = performance.now() - seen.startedAt;
      }
      this.#emit(event);
    }
    if (seen !== undefined) this.#notify(seen, 'verified');
    return { ok: true, key: entry.info, headers };
  }

  /** A rejection that counts as a failed attempt by this client IP. */
  #fail(
    code: RejectionCode,
    now: number,
    ip: string | undefined,
    seen: Attempt | undefined,
    keyId?: string,
  ): VerifyRejection {
    const failures = this.config.failures;
    if (failures?.record(ip, now)) {
      this.#anomaly({
        type: 'anomaly',
        at: new Date(now),
        kind: 'failed_attempts',
        detail: 'client IP is now throttled after repeated bad keys',
        ip,
      });
    }
    return this.#reject(code, now, ip, keyId, undefined, seen);
  }

  /** A store that failed (threw, rejected, timed out): recorded, and `503 store_unavailable`. */
  #storeUnavailable(
    now: number,
    ip: string | undefined,
    keyId: string,
    error: unknown,
    seen: Attempt | undefined,
    store: 'key' | 'limit' = 'key',
  ): VerifyRejection {
    this.#storeError(now, ip, keyId, error, store);
    return this.#reject('store_unavailable', now, ip, keyId, { 'retry-after': '1' }, seen);
  }

  #storeError(
    now: number,
    ip: string | undefined,
    keyId: string,
    error: unknown,
    store: 'key' | 'limit',
  ): void {
    if (this.#emitter === undefined && this.config.onAnomaly === undefined) return;
    const message = error instanceof Error ? error.message : 'store error';
    this.#anomaly({
      type: 'anomaly',
      at: new Date(now),
      kind: 'store_error',
      store,
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
    seen?: Attempt,
  ): VerifyRejection {
    const result = reject(code, this.config.realm, extra);
    if (this.#emitter !== undefined) {
      const event: Mutable<RejectedEvent> = {
        type: 'key.rejected',
        at: new Date(now),
        code,
        status: result.status,
        keyId,
        ip,
      };
      if (seen !== undefined) {
        const environment = seen.entry?.record.environment;
        if (environment !== undefined) event.environment = environment;
        if (seen.startedAt !== 0) event.durationMs = performance.now() - seen.startedAt;
      }
      this.#emit(event);
    }
    if (seen !== undefined) this.#notify(seen, code);
    return result;
  }

  /** The Attempt of a verification that starts (the spare one when it is free). */
  #begin(request: VerifyRequest, cost: number, now: number, ip: string | undefined): Attempt {
    const attempt = this.#spare ?? new Attempt();
    this.#spare = undefined;
    return attempt.reset(now, ip, request, cost, this.#timed ? performance.now() : 0);
  }

  /**
   * Hands the finished attempt to the observer (an observer's throw never reaches verify), then
   * keeps it for the next verification.
   */
  #notify(seen: Attempt, outcome: 'verified' | RejectionCode): void {
    const observer = this.#observer;
    if (observer !== undefined) {
      seen.outcome = outcome;
      try {
        observer.observe(seen);
      } catch {
        // Observers never break verification.
      }
    }
    // Nothing holds it past this point (observers copy what they keep): reuse it.
    seen.request = undefined;
    this.#spare = seen;
  }

  #anomaly(event: Extract<KeywardEvent, { type: 'anomaly' }>): void {
    this.#emit(event);
    try {
      this.config.onAnomaly?.(event);
    } catch {
      // Nor do anomaly listeners.
    }
  }

  /** The emitter is Keyward's wrapper, which already swallows a throwing handler. */
  #emit(event: KeywardEvent): void {
    this.#emitter?.(event);
  }
}
