import { AlertEngine } from './alerts/alert-engine.js';
import { compileAlertOptions } from './alerts/thresholds.js';
import type { AlertOptions } from './alerts/types.js';
import { callStore, isPromiseLike } from './async.js';
import { type AuditListOptions, AuditTrail, isAuditStore } from './audit/audit-trail.js';
import type { AuditContext, AuditEntry, AuditStore, AuditVerification } from './audit/types.js';
import { KeywardError } from './errors.js';
import {
  ENVIRONMENTS,
  isEnvironmentName,
  type KeyEnvironment,
  PREFIX_PATTERN,
} from './key/format.js';
import { normalizePeppers, SecretHasher } from './key/hash.js';
import { type IssuedKey, KeyLifecycle } from './lifecycle.js';
import { FailedAttempts } from './limits/failed-attempts.js';
import { OwnerLimitCache } from './limits/owner-limits.js';
import type { Quota } from './limits/quota.js';
import { type RateLimit, validateRateLimit } from './limits/token-bucket.js';
import { fanOut, type VerifyObserver } from './observe.js';
import { rejectUnknownOptions } from './option-names.js';
import { compileGrantedScopes, validateGrantedScopes } from './policy/scopes.js';
import { RecordCache } from './record-cache.js';
import {
  type LastUsedSource,
  type ReviewFinding,
  type ReviewPolicy,
  reviewKeys,
} from './review.js';
import { MemoryStore } from './stores/memory-store.js';
import type { InvalidationChannel, KeyStore, LimitStore, MaybePromise } from './stores/types.js';
import type {
  CreateKeyOptions,
  KeyInfo,
  KeywardEvent,
  ListKeysOptions,
  UpdateKeyOptions,
  VerifyOptions,
  VerifyRequest,
  VerifyResult,
} from './types.js';
import {
  readUsage,
  toUsageQuery,
  type UsageOptions,
  type UsagePoint,
  type UsageRouteTotal,
} from './usage/query.js';
import { USAGE_STORE_TIMEOUT_MS, UsageRecorder } from './usage/recorder.js';
import type { UsageStore } from './usage/types.js';
import { compileVerifyOptions, Verifier } from './verify.js';

/**
 * The `usage` option of {@link createKeyward}: where usage goes and how often it is flushed.
 * Usage is on by default when the key store (or `store`) implements {@link UsageStore}.
 *
 * @example
 * ```ts
 * createKeyward({ prefix: 'acme', store, usage: { flushIntervalMs: 5_000, maxPending: 50_000 } });
 * ```
 */
export interface UsageRecordingOptions {
  /** Where usage is written and read; default the key store (or `store`) when it is a UsageStore. */
  store?: UsageStore | undefined;
  /** How often pending usage is written, in ms; default 1000. */
  flushIntervalMs?: number | undefined;
  /** Most distinct rows (key × minute × outcome × route) held between flushes; default 100,000. */
  maxPending?: number | undefined;
}

/**
 * A snapshot of a keyward instance's in-process state (for metrics).
 *
 * @example
 * ```ts
 * const { cacheEntries, pendingUsageRows } = keyward.stats();
 * ```
 */
export interface KeywardStats {
  /** Records in the verify cache (known and unknown ids). */
  readonly cacheEntries: number;
  /** Distinct usage rows waiting for the next flush. */
  readonly pendingUsageRows: number;
  /** Verifications whose usage was dropped (no room under `maxPending`) since start. */
  readonly droppedUsage: number;
}

/**
 * Options of {@link Keyward.subscribe}.
 *
 * @example
 * ```ts
 * keyward.subscribe((event) => histogram.record(event.durationMs), { timing: true });
 * ```
 */
export interface SubscribeOptions {
  /** Add `durationMs` to `key.verified` and `key.rejected` events (reads a timer per verify). */
  timing?: boolean | undefined;
}

interface Subscriber {
  readonly listener: (event: KeywardEvent) => void;
  readonly timing: boolean;
}

const USAGE_OPTION_NAMES = new Set(['store', 'flushIntervalMs', 'maxPending']);
const CACHE_OPTION_NAMES = new Set(['max', 'ttlMs', 'negativeTtlMs']);
const KEYWARD_OPTION_NAMES: ReadonlySet<string> = new Set([
  'prefix',
  'environments',
  'store',
  'keyStore',
  'limitStore',
  'invalidation',
  'pepper',
  'cache',
  'keyHeaders',
  'failedAttempts',
  'limitStoreFailure',
  'storeTimeoutMs',
  'realm',
  'clock',
  'onEvent',
  'auditStore',
  'alerts',
  'usage',
  'publishableScopes',
  'publishableRateLimit',
  'ownerLimits',
]);

/** The default `publishableRateLimit`: 60 requests a minute per key, bursts of 20. */
const DEFAULT_PUBLISHABLE_RATE_LIMIT: RateLimit = Object.freeze({
  capacity: 20,
  refillPerSecond: 1,
});

/**
 * The limits all keys of one owner share (a customer's plan), from {@link KeywardOptions.ownerLimits}.
 *
 * @example
 * ```ts
 * const plan: OwnerLimits = { rateLimit: { capacity: 100, refillPerSecond: 50 }, quota: { limit: 1_000_000, period: 'month' } };
 * ```
 */
export interface OwnerLimits {
  /** One token bucket for all the owner's keys, taken after each key's own. */
  rateLimit?: RateLimit | undefined;
  /** One quota for all the owner's keys, counted after each key's own. */
  quota?: Quota | undefined;
}

/**
 * Options of {@link createKeyward}. Only `prefix` is required.
 *
 * @example
 * ```ts
 * const options: KeywardOptions = { prefix: 'acme', environments: ['live'], pepper: process.env.KEYWARD_PEPPER };
 * ```
 */
export interface KeywardOptions {
  /** What every key starts with: `[a-z][a-z0-9]{1,15}`. */
  prefix: string;
  /**
   * Environments this deployment accepts, each `[a-z][a-z0-9]{1,7}` and never `pk`; default
   * `['live', 'test']`. A key of another environment is `401 wrong_environment` before any store
   * read. The first is the default environment of `create`.
   */
  environments?: readonly KeyEnvironment[] | undefined;
  /** One store for keys and limits (default: a new {@link MemoryStore}). */
  store?: (KeyStore & LimitStore) | undefined;
  keyStore?: KeyStore | undefined;
  limitStore?: LimitStore | undefined;
  /**
   * Cross-process cache invalidation. Default: `store`, `keyStore` or `limitStore` when it
   * implements {@link InvalidationChannel} (as `RedisStore` does).
   */
  invalidation?: InvalidationChannel | false | undefined;
  /** HMAC pepper (at least 16 chars), or versions of it for rotation. */
  pepper?: string | { current: string; peppers: Record<string, string> } | undefined;
  /** Record cache: default `{ max: 10_000, ttlMs: 30_000, negativeTtlMs: 5_000 }`; max 0 disables. */
  cache?: { max?: number; ttlMs?: number; negativeTtlMs?: number } | undefined;
  /**
   * Headers searched for a key (1 to 16); default `['authorization', 'x-api-key']`
   * (Authorization: Bearer). A request carrying one of them on more than one line, or with a
   * value that joins lines with commas (see docs/runtimes.md), is refused as `ambiguous_key`.
   */
  keyHeaders?: readonly string[] | undefined;
  /** Per client IP throttling of bad keys; default `{ capacity: 20, refillPerSecond: 1 }`. */
  failedAttempts?: RateLimit | false | undefined;
  /** What to do when the limit store fails: `'closed'` (503, default) or `'open'` (allow). */
  limitStoreFailure?: 'closed' | 'open' | undefined;
  /** How long a store may take before a request gets `store_unavailable`; default 1000 ms. */
  storeTimeoutMs?: number | undefined;
  /** The `realm` of `WWW-Authenticate`; default `api`. */
  realm?: string | undefined;
  /** Milliseconds since the epoch; for tests. */
  clock?: (() => number) | undefined;
  onEvent?: ((event: KeywardEvent) => void) | undefined;
  /**
   * Where management calls append their audit entries. Default: the key store when it implements
   * {@link AuditStore} (every store keyward ships does; entries are then written in the same
   * transaction as the change). `false` keeps no trail.
   */
  auditStore?: AuditStore | false | undefined;
  /**
   * Alerts on unusual use of keys (spikes, a revoked key's secret, a new network…), computed in
   * this process from what verify already sees, to `onAlert`, the `alert` event and a signed
   * webhook. Off (`undefined` or `false`) by default. See docs/alerts.md.
   */
  alerts?: AlertOptions | false | undefined;
  /**
   * Usage recording (per key, minute, outcome and route; flushed by a timer), or `false`.
   * Default: on when the key store (or `store`) implements {@link UsageStore}.
   */
  usage?: UsageRecordingOptions | false | undefined;
  /**
   * The scopes a publishable key may hold (wildcards allowed, e.g. `['checkout:*']`); default
   * none, so `create({ type: 'publishable' })` refuses any scope.
   */
  publishableScopes?: readonly string[] | undefined;
  /**
   * The rate limit of a publishable key created without one; default
   * `{ capacity: 20, refillPerSecond: 1 }`.
   */
  publishableRateLimit?: RateLimit | undefined;
  /**
   * The limits every key of an owner shares (a customer's plan), or `undefined` for none: one
   * token bucket and one quota per owner, checked after the key's own limits, shown as the
   * `"owner"` policy of the RateLimit headers. Called at most once per owner per record-cache
   * TTL (`cache.ttlMs`); may return a Promise. A throw or a bad result is `store_unavailable`.
   */
  ownerLimits?:
    | ((ownerId: string) => OwnerLimits | undefined | Promise<OwnerLimits | undefined>)
    | undefined;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const NO_OPTIONS: VerifyOptions = Object.freeze({});

/** The marks {@link Keyward.verifyOnce} leaves on a request, under symbols of one instance. */
type Marked = Record<symbol, unknown>;

function nonNegative(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${option} must be a non-negative number`);
  }
  return value;
}

/** Runs a validator shared with `create`, turning its InvalidOptionsError into a TypeError. */
function asTypeError<T>(validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    throw error instanceof KeywardError ? new TypeError(error.message) : error;
  }
}

function isInvalidationChannel(value: unknown): value is InvalidationChannel {
  return (
    typeof (value as InvalidationChannel | undefined)?.publishInvalidation === 'function' &&
    typeof (value as InvalidationChannel | undefined)?.subscribeInvalidations === 'function'
  );
}

function isUsageStore(value: unknown): value is UsageStore {
  const store = value as Partial<Record<keyof UsageStore, unknown>> | null | undefined;
  return (
    typeof store?.recordUsage === 'function' &&
    typeof store.queryUsage === 'function' &&
    typeof store.lastUsed === 'function' &&
    typeof store.pruneUsage === 'function'
  );
}

/** The usage settings from `options.usage`, or undefined when usage is off. */
function usageSettings(
  option: unknown,
  keyStore: unknown,
): { store: UsageStore; flushIntervalMs: number; maxPending: number } | undefined {
  if (option === false) return undefined;
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw new TypeError('usage must be { store?, flushIntervalMs?, maxPending? } or false');
  }
  const given = (option ?? {}) as UsageRecordingOptions;
  rejectUnknownOptions(given, USAGE_OPTION_NAMES, 'usage');
  let store: UsageStore | undefined;
  if (given.store !== undefined) {
    checkStore(given.store, 'usage.store', ['recordUsage', 'queryUsage', 'lastUsed', 'pruneUsage']);
    store = given.store;
  } else if (isUsageStore(keyStore)) {
    store = keyStore;
  } else if (option === undefined) {
    return undefined;
  } else {
    throw new TypeError('usage needs usage.store: the key store does not implement UsageStore');
  }
  const flushIntervalMs = given.flushIntervalMs ?? 1000;
  if (
    typeof flushIntervalMs !== 'number' ||
    !Number.isFinite(flushIntervalMs) ||
    flushIntervalMs < 1 ||
    flushIntervalMs > 2_147_483_647
  ) {
    throw new TypeError('usage.flushIntervalMs must be a number of ms from 1 to 2147483647');
  }
  const maxPending = given.maxPending ?? 100_000;
  if (!Number.isSafeInteger(maxPending) || maxPending < 1) {
    throw new TypeError('usage.maxPending must be a positive integer');
  }
  return { store, flushIntervalMs, maxPending };
}

function checkStore(value: unknown, option: string, methods: readonly string[]): void {
  for (const method of methods) {
    if (typeof (value as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new TypeError(`${option} must implement ${method}()`);
    }
  }
}

/**
 * A configured keyward instance: issue and manage keys, and verify them on every request.
 * Create it with {@link createKeyward}.
 *
 * @example
 * ```ts
 * const result = keyward.verify({ headers: req.headers, ip: req.ip }, { scopes: ['invoices:read'] });
 * ```
 */
export class Keyward {
  readonly prefix: string;
  readonly environments: readonly KeyEnvironment[];
  readonly #verifier: Verifier;
  readonly #lifecycle: KeyLifecycle;
  readonly #cache: RecordCache;
  readonly #unsubscribe: (() => void) | undefined;
  /**
   * On a request this instance verified: its KeyInfo (see {@link verifyOnce}). One property
   * store per verified request: on Koa's and Fastify's requests it costs next to nothing in a
   * server profile; Express's `req` gets a hidden class of its own per request, where each added
   * property makes V8 build a new class, so the Express adapter passes `req.rawHeaders` instead.
   */
  readonly #verifiedKey = Symbol('keyward.verified');
  /**
   * On such a request, `true` once its default charge of 1 is used up (a guard named a cost);
   * absent otherwise, so the common request (no cost named) carries one property, not two.
   */
  readonly #creditUsed = Symbol('keyward.creditUsed');
  readonly #audit: AuditTrail | undefined;
  readonly #alerts: AlertEngine | undefined;
  readonly #review: (policy: ReviewPolicy) => Promise<ReviewFinding[]>;
  readonly #onEvent: ((event: KeywardEvent) => void) | undefined;
  readonly #emit: (event: KeywardEvent) => void;
  readonly #subscribers = new Set<Subscriber>();
  readonly #observers: VerifyObserver[] = [];
  readonly #usageStore: UsageStore | undefined;
  readonly #recorder: UsageRecorder | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link createKeyward}. */
  constructor(options: KeywardOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('createKeyward() needs an options object with a prefix');
    }
    rejectUnknownOptions(options, KEYWARD_OPTION_NAMES, 'createKeyward()');
    const { prefix } = options;
    if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
      throw new TypeError('prefix must match [a-z][a-z0-9]{1,15}, e.g. "acme"');
    }
    const environments = options.environments ?? ENVIRONMENTS;
    if (!Array.isArray(environments) || environments.length === 0 || environments.length > 32) {
      throw new TypeError('environments must be an array of 1 to 32 environment names');
    }
    environments.forEach((env: unknown, i) => {
      if (!isEnvironmentName(env)) {
        throw new TypeError(
          `environments[${i}]: ${JSON.stringify(String(env).slice(0, 40))} is not an environment name ([a-z][a-z0-9]{1,7}, never "pk")`,
        );
      }
    });
    const publishableScopes = asTypeError(() =>
      validateGrantedScopes(options.publishableScopes ?? [], 'publishableScopes'),
    );
    const publishableRateLimit =
      options.publishableRateLimit === undefined
        ? DEFAULT_PUBLISHABLE_RATE_LIMIT
        : asTypeError(() =>
            validateRateLimit(options.publishableRateLimit, 'publishableRateLimit'),
          );
    const ownerLimits = options.ownerLimits;
    if (ownerLimits !== undefined && typeof ownerLimits !== 'function') {
      throw new TypeError('ownerLimits must be a function of an owner id');
    }
    const store =
      options.store ?? (options.keyStore && options.limitStore ? undefined : new MemoryStore());
    const keyStore = options.keyStore ?? store;
    const limitStore = options.limitStore ?? store;
    checkStore(keyStore, options.keyStore ? 'keyStore' : 'store', [
      'getKey',
      'insertKey',
      'updateKey',
      'listKeys',
    ]);
    checkStore(limitStore, options.limitStore ? 'limitStore' : 'store', [
      'takeToken',
      'countQuota',
    ]);
    const keyHeaders = options.keyHeaders ?? ['authorization', 'x-api-key'];
    if (
      !Array.isArray(keyHeaders) ||
      keyHeaders.length === 0 ||
      keyHeaders.length > 16 ||
      keyHeaders.some((h) => typeof h !== 'string' || !/^[a-z0-9-]{1,64}$/.test(h))
    ) {
      throw new TypeError('keyHeaders must be an array of 1 to 16 lower-case header names');
    }
    const cacheOptions = options.cache ?? {};
    if (typeof cacheOptions !== 'object' || cacheOptions === null) {
      throw new TypeError('cache must be { max?, ttlMs?, negativeTtlMs? }');
    }
    rejectUnknownOptions(cacheOptions, CACHE_OPTION_NAMES, 'cache');
    const max = nonNegative(cacheOptions.max, 'cache.max', 10_000);
    if (!Number.isSafeInteger(max)) throw new TypeError('cache.max must be an integer');
    this.#cache = new RecordCache({
      max,
      ttlMs: nonNegative(cacheOptions.ttlMs, 'cache.ttlMs', 30_000),
      negativeTtlMs: nonNegative(cacheOptions.negativeTtlMs, 'cache.negativeTtlMs', 5_000),
    });
    const failedAttempts = options.failedAttempts ?? { capacity: 20, refillPerSecond: 1 };
    if (failedAttempts !== false) {
      const { capacity, refillPerSecond } = failedAttempts as RateLimit;
      if (
        !(
          capacity > 0 &&
          Number.isFinite(capacity) &&
          refillPerSecond > 0 &&
          Number.isFinite(refillPerSecond)
        )
      ) {
        throw new TypeError(
          'failedAttempts must be { capacity > 0, refillPerSecond > 0 } or false',
        );
      }
    }
    const limitStoreFailure = options.limitStoreFailure ?? 'closed';
    if (limitStoreFailure !== 'closed' && limitStoreFailure !== 'open') {
      throw new TypeError('limitStoreFailure must be "closed" or "open"');
    }
    const storeTimeoutMs = nonNegative(options.storeTimeoutMs, 'storeTimeoutMs', 1000);
    if (storeTimeoutMs === 0) throw new TypeError('storeTimeoutMs must be positive');
    const realm = options.realm ?? 'api';
    if (typeof realm !== 'string' || !/^[\x20-\x7e]{1,64}$/.test(realm) || realm.includes('"')) {
      throw new TypeError('realm must be printable ASCII without quotes');
    }
    const clock = options.clock ?? Date.now;
    if (typeof clock !== 'function') throw new TypeError('clock must be a function');
    const onEvent = options.onEvent;
    if (onEvent !== undefined && typeof onEvent !== 'function') {
      throw new TypeError('onEvent must be a function');
    }
    let invalidation: InvalidationChannel | undefined;
    if (options.invalidation !== false) {
      invalidation =
        options.invalidation ??
        ([options.store, options.keyStore, options.limitStore] as unknown[]).find(
          isInvalidationChannel,
        );
      if (invalidation !== undefined && !isInvalidationChannel(invalidation)) {
        throw new TypeError(
          'invalidation must implement publishInvalidation() and subscribeInvalidations()',
        );
      }
    }
    let audit: AuditTrail | undefined;
    if (options.auditStore !== false) {
      const auditStore = options.auditStore ?? (isAuditStore(keyStore) ? keyStore : undefined);
      if (auditStore !== undefined && !isAuditStore(auditStore)) {
        throw new TypeError('auditStore must implement appendAudit() and listAudit(), or be false');
      }
      if (auditStore !== undefined) {
        audit = new AuditTrail(auditStore, (auditStore as unknown) === keyStore, storeTimeoutMs);
      }
    }
    this.#audit = audit;
    const usage = usageSettings(options.usage, keyStore);
    const hasher = new SecretHasher(normalizePeppers(options.pepper));
    const subscribers = this.#subscribers;
    const emit = (event: KeywardEvent) => {
      try {
        onEvent?.(event);
      } catch {
        // Event handlers never break keyward.
      }
      for (const subscriber of subscribers) {
        try {
          subscriber.listener(event);
        } catch {
          // Nor do subscribers.
        }
      }
    };
    this.#onEvent = onEvent;
    this.#emit = emit;
    const alerts =
      options.alerts === undefined || options.alerts === false
        ? undefined
        : new AlertEngine(compileAlertOptions(options.alerts), emit);
    this.#alerts = alerts;
    if (usage !== undefined) {
      this.#usageStore = usage.store;
      // A failed flush is a store error the alert engine hears about too.
      const usageEmit =
        alerts === undefined
          ? emit
          : (event: KeywardEvent) => {
              emit(event);
              if (event.type === 'anomaly') alerts.anomaly(event);
            };
      this.#recorder = new UsageRecorder({ ...usage, emit: usageEmit, clock });
    }
    // A review reads last uses from the usage store (and what is pending here); without one it
    // reports usage as unknown.
    const lastUsed: LastUsedSource | undefined =
      usage === undefined ? undefined : { lastUsed: (ids) => this.#lastUsed(ids) };
    this.#review = (policy) =>
      reviewKeys(keyStore as KeyStore, lastUsed, policy, clock, storeTimeoutMs);
    this.prefix = prefix;
    this.environments = Object.freeze([...environments]);
    this.#verifier = new Verifier({
      prefix,
      realm,
      environments: new Set(environments),
      keyHeaders: [...keyHeaders],
      keyStore: keyStore as KeyStore,
      limitStore: limitStore as LimitStore,
      hasher,
      cache: this.#cache,
      failures: failedAttempts === false ? undefined : new FailedAttempts(failedAttempts),
      limitStoreFailure,
      ownerLimits:
        ownerLimits === undefined
          ? undefined
          : new OwnerLimitCache(ownerLimits, this.#cache.options.ttlMs, this.#cache.options.max),
      storeTimeoutMs,
      clock,
      emit: onEvent === undefined ? undefined : emit,
      onAnomaly: alerts === undefined ? undefined : (event) => alerts.anomaly(event),
    });
    this.#lifecycle = new KeyLifecycle({
      prefix,
      environments: this.environments,
      keyStore: keyStore as KeyStore,
      hasher,
      cache: this.#cache,
      invalidation,
      storeTimeoutMs,
      clock,
      emit,
      audit,
      publishableScopes: {
        list: Object.freeze(publishableScopes),
        granted: compileGrantedScopes(publishableScopes),
      },
      publishableRateLimit,
    });
    this.#unsubscribe = invalidation?.subscribeInvalidations((id) =>
      typeof id === 'string' ? this.#cache.invalidate(id) : this.#cache.clear(),
    );
    if (this.#recorder !== undefined) this.#observers.push(this.#recorder);
    if (alerts !== undefined) this.#observers.push(alerts);
    if (this.#observers.length > 0) this.#listen();
    this.verify = this.verify.bind(this);
    this.verifyOnce = this.verifyOnce.bind(this);
  }

  /** Tells the verifier who listens: events (onEvent, subscribers), observers, timings. */
  #listen(): void {
    let timed = false;
    for (const subscriber of this.#subscribers) timed ||= subscriber.timing;
    const hasEvents = this.#onEvent !== undefined || this.#subscribers.size > 0;
    this.#verifier.listen(hasEvents ? this.#emit : undefined, fanOut(this.#observers), timed);
  }

  /**
   * Verifies the key a request carries. Returns a plain {@link VerifyResult} when the record is
   * cached and the stores answer synchronously, otherwise a Promise of one. Never throws on any
   * request and never rejects; a store failure becomes `store_unavailable`. Throws a TypeError only
   * for invalid `options` (a programming error; adapters check them at startup). A frozen options
   * object with frozen scope arrays (what `prepareVerifyOptions` returns) is checked and
   * compiled once; any other is checked and compiled on every call, so changing it between calls
   * takes effect.
   *
   * @example
   * ```ts
   * const result = await keyward.verify({ headers: req.headers, ip: req.ip }, { scopes: ['invoices:read'] });
   * if (!result.ok) return res.status(result.status).set(result.headers).json(result.body);
   * ```
   */
  verify(request: VerifyRequest, options?: VerifyOptions): MaybePromise<VerifyResult> {
    return this.#verifier.verify(request, options);
  }

  /**
   * For adapters: verifies a request once however many guards of this instance it passes, so a
   * request is never charged twice (`app.use('/api', apiKeyAuth(keyward))` plus
   * `apiKeyAuth(keyward, { scopes })` on a route). `carrier` is the object that is the request for
   * as long as it lives and serves no other request (Node's `IncomingMessage`: `ctx.req`,
   * `request.raw`; the Express adapter passes `req.rawHeaders`, see docs/adapters.md).
   *
   * The first call for a carrier is `verify(request, options)`; a success marks the carrier under
   * a symbol private to this instance (so nothing a user or another instance puts on the request,
   * such as `req.apiKey`, ever counts as verified). Each later call for a marked carrier is
   * {@link authorize} with `later` (default: `options`): only what that guard adds — its scopes
   * and anyScopes — is checked against the verified key, and it charges a cost only when `later`
   * names one. Costs add up to the sum of the costs the guards name, or 1 when none names one: a
   * later `cost: 5` after a first guard that charged the default 1 charges 4 more, after one that
   * named `cost: 2` it charges 5 more. Rejections leave no mark. Returns a plain object whenever
   * `verify`/`authorize` do.
   *
   * @example
   * ```ts
   * app.use((req, res, next) => {
   *   const result = keyward.verifyOnce(req, { headers: req.headers, rawHeaders: req.rawHeaders, ip: req.ip }, verifyOptions);
   *   // …send the result as the adapters do
   * });
   * ```
   */
  verifyOnce(
    carrier: object,
    request: VerifyRequest,
    options: VerifyOptions = NO_OPTIONS,
    later: VerifyOptions = options,
  ): MaybePromise<VerifyResult> {
    if (typeof carrier !== 'object' || carrier === null) {
      return this.#verifier.verify(request, options);
    }
    const marked = carrier as Marked;
    const key = marked[this.#verifiedKey] as KeyInfo | undefined;
    if (key !== undefined) {
      const named = later.cost !== undefined;
      const credit = named && marked[this.#creditUsed] !== true ? 1 : 0;
      const result = this.#verifier.authorize(key, request, later, credit);
      if (result !== undefined) {
        if (named) marked[this.#creditUsed] = true;
        return result;
      }
    }
    // A mark this verifier did not make (a KeyInfo it never returned): verified and charged afresh.
    const remark = key !== undefined;
    const result = this.#verifier.verify(request, options);
    if (isPromiseLike(result)) {
      return result.then((settled) => this.#markVerified(marked, settled, options, remark));
    }
    return this.#markVerified(marked, result, options, remark);
  }

  #markVerified(
    carrier: Marked,
    result: VerifyResult,
    options: VerifyOptions,
    remark: boolean,
  ): VerifyResult {
    if (!result.ok) return result;
    try {
      carrier[this.#verifiedKey] = result.key;
      // Only when needed: a second property on every request costs as much as the first.
      if (options.cost !== undefined || remark) {
        carrier[this.#creditUsed] = options.cost !== undefined;
      }
    } catch {
      // A frozen carrier cannot be marked: a later guard verifies it again.
    }
    return result;
  }

  /**
   * Checks a key this instance verified for a request against a later guard's requirements on the
   * same request: its scopes and anyScopes (what the first guard checked — secret, state, IP,
   * referrer — is not checked again), and charges `options.cost` from the key's rate limit and
   * quota only when it is given (the result then carries the new RateLimit headers). Emits no
   * second `key.verified`. Throws a TypeError when `key` is not a KeyInfo this instance's
   * `verify` returned (one from `get` or `list`, or a copy, does not count). Adapters use
   * {@link verifyOnce}, which calls this.
   *
   * @example
   * ```ts
   * const first = keyward.verify(request);
   * if (first.ok) {
   *   const admin = keyward.authorize(first.key, request, { scopes: ['invoices:admin'] });
   * }
   * ```
   */
  authorize(
    key: KeyInfo,
    request: VerifyRequest,
    options: VerifyOptions = NO_OPTIONS,
  ): MaybePromise<VerifyResult> {
    const result = this.#verifier.authorize(key, request, options, 0);
    if (result === undefined) {
      throw new TypeError('authorize() takes a KeyInfo that this keyward instance verified');
    }
    return result;
  }

  /**
   * Issues a key. The full key is in the result once and is never stored.
   *
   * @example
   * ```ts
   * const { key, record } = await keyward.create({ name: 'ci', environment: 'test', scopes: ['invoices:read'] });
   * ```
   */
  create(options: CreateKeyOptions): Promise<IssuedKey> {
    return this.#lifecycle.create(options);
  }

  /**
   * Gives a key a new secret (same id). With `gracePeriodMs`, the old secret keeps working until
   * the grace period ends.
   *
   * @example
   * ```ts
   * const { key } = await keyward.rotate(id, { gracePeriodMs: 86_400_000, reason: 'yearly rotation' });
   * ```
   */
  rotate(id: string, options?: { gracePeriodMs?: number } & AuditContext): Promise<IssuedKey> {
    return this.#lifecycle.rotate(id, options);
  }

  /**
   * Revokes a key for good; takes effect at once in this process (and in every process subscribed
   * to an invalidation channel).
   *
   * @example
   * ```ts
   * await keyward.revoke(id, { reason: 'leaked in a public repo', actor: { type: 'user', id: 'alice' } });
   * ```
   */
  revoke(id: string, options?: AuditContext): Promise<KeyInfo> {
    return this.#lifecycle.revoke(id, options);
  }

  /**
   * Changes a key's name, scopes, restrictions, limits, expiry, metadata or disabled flag.
   * `null` removes an optional field. Pass `expectedVersion` to refuse a stale update, and
   * `actor`/`reason` for the audit trail.
   *
   * @example
   * ```ts
   * await keyward.update(id, { scopes: ['invoices:*'], ips: null }, { actor: { type: 'user', id: 'alice' } });
   * ```
   */
  update(
    id: string,
    changes: UpdateKeyOptions,
    options?: { expectedVersion?: number } & AuditContext,
  ): Promise<KeyInfo> {
    return this.#lifecycle.update(id, changes, options);
  }

  /**
   * Disables a key (requests get `disabled_key`) until {@link Keyward.enable}. Recorded in the
   * audit trail as `key.disabled`.
   *
   * @example
   * ```ts
   * await keyward.disable(id, { actor: { type: 'service', id: 'fraud-detector' }, reason: 'abuse' });
   * ```
   */
  disable(id: string, options?: { expectedVersion?: number } & AuditContext): Promise<KeyInfo> {
    return this.#lifecycle.setDisabled(id, true, options);
  }

  /**
   * Enables a disabled key. Recorded in the audit trail as `key.enabled`.
   *
   * @example
   * ```ts
   * await keyward.enable(id, { actor: { type: 'user', id: 'alice' }, reason: 'customer paid' });
   * ```
   */
  enable(id: string, options?: { expectedVersion?: number } & AuditContext): Promise<KeyInfo> {
    return this.#lifecycle.setDisabled(id, false, options);
  }

  /**
   * One page of the audit trail, in order (`seq`), optionally one key's entries or those since a
   * time. Throws a KeywardError with code `no_audit_store` when there is no audit store.
   *
   * @example
   * ```ts
   * let page = await keyward.audit({ keyId: '4GhT9xQ2mPz1' });
   * while (page.cursor) page = await keyward.audit({ keyId: '4GhT9xQ2mPz1', cursor: page.cursor });
   * ```
   */
  async audit(options?: AuditListOptions): Promise<{ items: AuditEntry[]; cursor?: string }> {
    return this.#auditTrail().page(options);
  }

  /**
   * Reads the whole audit trail and checks its hash chain: `{ ok: true, entries, head }`, or
   * `{ ok: false, seq }` with the first entry that was changed, removed or moved.
   *
   * @example
   * ```ts
   * const check = await keyward.verifyAudit();
   * if (!check.ok) console.error(`audit trail tampered with at entry ${check.seq}`);
   * ```
   */
  async verifyAudit(): Promise<AuditVerification> {
    return this.#auditTrail().verify();
  }

  /**
   * A key's public information, read from the store, or undefined.
   *
   * @example
   * ```ts
   * const info = await keyward.get('4GhT9xQ2mPz1');
   * ```
   */
  async get(id: string): Promise<KeyInfo | undefined> {
    const info = await this.#lifecycle.get(id);
    return info === undefined ? undefined : (await this.#withLastUsed([info]))[0];
  }

  /**
   * Lists keys by owner and/or environment, one page at a time.
   *
   * @example
   * ```ts
   * let page = await keyward.list({ ownerId: 'acct_42', limit: 50 });
   * while (page.cursor) page = await keyward.list({ ownerId: 'acct_42', cursor: page.cursor });
   * ```
   */
  async list(options?: ListKeysOptions): Promise<{ items: KeyInfo[]; cursor?: string }> {
    const page = await this.#lifecycle.list(options);
    const items = await this.#withLastUsed(page.items);
    return page.cursor === undefined ? { items } : { items, cursor: page.cursor };
  }

  /** `lastUsedAt` from {@link #lastUsed}: one batched read per page. */
  async #withLastUsed(items: KeyInfo[]): Promise<KeyInfo[]> {
    if (this.#usageStore === undefined || items.length === 0) return items;
    const found = await this.#lastUsed(items.map((info) => info.id));
    return items.map((info) => {
      const at = found.get(info.id);
      return at === undefined ? info : Object.freeze({ ...info, lastUsedAt: new Date(at) });
    });
  }

  /**
   * When each key was last used (ms; an id missing was never used): the usage store's answer or,
   * when newer, what is pending in this process. `get`, `list` and `review` read it.
   */
  async #lastUsed(ids: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const store = this.#usageStore;
    const out = new Map<string, number>();
    if (store === undefined || ids.length === 0) return out;
    const found = await callStore(() => store.lastUsed(ids), USAGE_STORE_TIMEOUT_MS, 'usage store');
    for (const id of ids) {
      const stored = found?.get?.(id);
      let at = typeof stored === 'number' && Number.isFinite(stored) ? stored : 0;
      at = Math.max(at, this.#recorder?.pendingLastUsed(id) ?? 0);
      if (at > 0) out.set(id, at);
    }
    return out;
  }

  /**
   * Usage of one key (`keyId`), of an owner's keys (`ownerId`) or of the whole deployment
   * (neither), from the usage store: `{ points }`, one per bucket of `granularity` (default
   * `hour`) from `from` to `to` with empty buckets included, or with `groupBy: 'route'`,
   * `{ routes }`, totals per route template, busiest first. `from` is rounded down and `to` up to
   * whole buckets; a range of more than {@link MAX_USAGE_BUCKETS} buckets is refused
   * (InvalidOptionsError). Usage not yet flushed is not included.
   *
   * @example
   * ```ts
   * const { points } = await keyward.usage({ keyId, from: Date.now() - 86_400_000, to: Date.now(), granularity: 'hour' });
   * const { routes } = await keyward.usage({ keyId, from, to, groupBy: 'route' });
   * ```
   */
  usage(
    options: UsageOptions & { groupBy?: 'time' | undefined },
  ): Promise<{ points: UsagePoint[] }>;
  usage(options: UsageOptions & { groupBy: 'route' }): Promise<{ routes: UsageRouteTotal[] }>;
  usage(options: UsageOptions): Promise<{ points: UsagePoint[] } | { routes: UsageRouteTotal[] }>;
  async usage(
    options: UsageOptions,
  ): Promise<{ points: UsagePoint[] } | { routes: UsageRouteTotal[] }> {
    const store = this.#usageStore;
    if (store === undefined) {
      throw new TypeError(
        'usage() needs a usage store (createKeyward usage option, or a store that implements UsageStore)',
      );
    }
    return readUsage(store, toUsageQuery(options));
  }

  /**
   * Writes pending usage to the usage store now (the timer does it every `flushIntervalMs`):
   * for tests and graceful shutdown. Rejects with the store's error; the rows are kept for the
   * next flush.
   *
   * @example
   * ```ts
   * await keyward.flush();
   * ```
   */
  flush(): Promise<void> {
    return this.#recorder?.flush() ?? Promise.resolve();
  }

  /**
   * Listens to every event, beside `onEvent`; returns the unsubscribe function. With
   * `{ timing: true }`, `key.verified` and `key.rejected` carry `durationMs`. A throwing listener
   * never breaks keyward.
   *
   * @example
   * ```ts
   * const unsubscribe = keyward.subscribe((event) => { if (event.type === 'key.rejected') count(event.code); });
   * unsubscribe();
   * ```
   */
  subscribe(listener: (event: KeywardEvent) => void, options: SubscribeOptions = {}): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const subscriber: Subscriber = { listener, timing: options?.timing === true };
    this.#subscribers.add(subscriber);
    this.#listen();
    return () => {
      if (this.#subscribers.delete(subscriber)) this.#listen();
    };
  }

  /**
   * A snapshot of in-process state: cached records, pending and dropped usage.
   *
   * @example
   * ```ts
   * console.log(keyward.stats().cacheEntries);
   * ```
   */
  stats(): KeywardStats {
    return {
      cacheEntries: this.#cache.size,
      pendingUsageRows: this.#recorder?.pendingRows ?? 0,
      droppedUsage: this.#recorder?.droppedTotal ?? 0,
    };
  }

  /**
   * Checks verify options once (adapters call this at startup); throws a TypeError naming a bad
   * scope or cost.
   *
   * @example
   * ```ts
   * keyward.checkVerifyOptions({ scopes: ['invoices:read'] });
   * ```
   */
  checkVerifyOptions(options: VerifyOptions): void {
    compileVerifyOptions(options);
  }

  /**
   * Drops every cached record (all of them, or one id).
   *
   * @example
   * ```ts
   * keyward.clearCache('4GhT9xQ2mPz1');
   * ```
   */
  clearCache(id?: string): void {
    if (id === undefined) this.#cache.clear();
    else this.#cache.invalidate(id);
  }

  /**
   * Flushes pending usage, stops the usage timer, stops listening for invalidations and stops
   * alert delivery (alerts still waiting are reported as `alert.undelivered` events); safe to
   * call twice (the same Promise). Never rejects: a failed last flush becomes an event.
   * Verifications after `close()` are neither recorded nor watched for alerts. Stores and their
   * clients stay open (they are yours).
   *
   * @example
   * ```ts
   * await keyward.close();
   * ```
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#unsubscribe?.();
      const recorder = this.#recorder;
      const alerts = this.#alerts;
      if (this.#observers.length > 0) {
        this.#observers.length = 0;
        this.#listen();
      }
      // The last flush first, so an alert about its failure is reported (as undelivered).
      const flushed = recorder === undefined ? Promise.resolve() : recorder.close();
      this.#closing = flushed.then(() => alerts?.close());
    }
    return this.#closing;
  }

  /**
   * An access review: every key that can still be used, checked against the policy. Findings:
   * `never_used`, `unused`, `rotation_overdue`, `no_expiry`, `wildcard_scope`, `unrestricted`
   * (a live secret key with no IP, referrer or route restriction) and `publishable_without_origin`.
   * When no usage store says when keys were last used, old keys are reported as `unused` with
   * "usage unknown" in the detail rather than as never used.
   *
   * @example
   * ```ts
   * const findings = await keyward.review({ unusedDays: 90, rotateEveryDays: 90 });
   * for (const f of findings) console.log(f.keyId, f.kind, f.detail);
   * ```
   */
  async review(policy: ReviewPolicy = {}): Promise<ReviewFinding[]> {
    return this.#review(policy);
  }

  #auditTrail(): AuditTrail {
    if (this.#audit === undefined) {
      throw new KeywardError(
        'no_audit_store',
        'this keyward has no audit store (the key store is not an AuditStore, or auditStore is false)',
      );
    }
    return this.#audit;
  }

  toJSON(): { prefix: string; environments: readonly KeyEnvironment[] } {
    return { prefix: this.prefix, environments: this.environments };
  }

  [INSPECT](): string {
    return `Keyward { prefix: '${this.prefix}', environments: [${this.environments.map((e) => `'${e}'`).join(', ')}] }`;
  }
}

/**
 * Creates a keyward instance. Throws a TypeError naming the first bad option.
 *
 * @example
 * ```ts
 * import { createKeyward, MemoryStore } from '@keyward/core';
 *
 * const keyward = createKeyward({ prefix: 'acme', environments: ['live'], store: new MemoryStore() });
 * const { key } = await keyward.create({ name: 'ci', environment: 'live', scopes: ['invoices:read'] });
 * ```
 */
export function createKeyward(options: KeywardOptions): Keyward {
  return new Keyward(options);
}
