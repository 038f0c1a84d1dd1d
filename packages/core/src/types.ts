import type { Alert, AlertKind } from './alerts/types.js';
import type { AuditActor } from './audit/types.js';
import type { HeaderBag } from './key/extract.js';
import type { KeyEnvironment } from './key/format.js';
import type { Quota } from './limits/quota.js';
import type { RateLimit } from './limits/token-bucket.js';

/**
 * What users see of a key: everything but its hash. Frozen; shared between requests that
 * verify the same cached key, so do not mutate it.
 *
 * @example
 * ```ts
 * const info = await keyward.get('4GhT9xQ2mPz1');
 * console.log(info?.scopes, info?.expiresAt?.toISOString());
 * ```
 */
export interface KeyInfo {
  readonly id: string;
  readonly environment: KeyEnvironment;
  readonly name: string;
  readonly ownerId?: string | undefined;
  /** The key with its secret cut off, safe to log: `acme_live_4GhT9xQ2mPz1_…`. */
  readonly redacted: string;
  readonly scopes: readonly string[];
  readonly ips?: readonly string[] | undefined;
  readonly referrers?: readonly string[] | undefined;
  readonly rateLimit?: RateLimit | undefined;
  readonly quota?: Quota | undefined;
  readonly expiresAt?: Date | undefined;
  readonly disabled: boolean;
  readonly revokedAt?: Date | undefined;
  readonly revokedReason?: string | undefined;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly rotatedAt?: Date | undefined;
  /** Until when the secret replaced by the last rotation still verifies. */
  readonly previousSecretExpiresAt?: Date | undefined;
  readonly version: number;
  /**
   * When the key was last presented with its correct secret (whatever the outcome), from the
   * usage store; accurate to the usage flush interval. Absent when never used or without usage.
   */
  readonly lastUsedAt?: Date | undefined;
}

/**
 * The request-like object every adapter builds for {@link Keyward.verify}.
 *
 * @example
 * ```ts
 * keyward.verify({ headers: req.headers, rawHeaders: req.rawHeaders, ip: req.ip, method: req.method, url: req.url });
 * ```
 */
export interface VerifyRequest {
  /** Node-style headers (lower-case names). */
  readonly headers: HeaderBag;
  /**
   * Node's `rawHeaders`, when available. Node keeps only the first of repeated `Authorization`
   * headers in `headers`; with `rawHeaders` keyward sees every copy and can refuse ambiguity.
   */
  readonly rawHeaders?: readonly string[] | undefined;
  /** The client IP as the framework resolved it (its trust-proxy settings apply). */
  readonly ip?: string | undefined;
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /**
   * The route TEMPLATE the framework matched, path only (`/invoices/:id`), where the framework
   * knows one; never the client's URL. Usage is grouped by it (with `method`).
   */
  readonly route?: string | undefined;
}

/**
 * What a route requires. Compile once; adapters pass the same object on every request.
 *
 * @example
 * ```ts
 * keyward.verify(request, { scopes: ['invoices:read'], cost: 2 });
 * ```
 */
export interface VerifyOptions {
  /** Every one of these must be granted. */
  readonly scopes?: readonly string[] | undefined;
  /** At least one of these must be granted. */
  readonly anyScopes?: readonly string[] | undefined;
  /**
   * Tokens (and quota units) this request costs; default 1. A request that several guards of one
   * keyward pass costs the sum of the costs they name, or 1 (see `Keyward.verifyOnce`).
   */
  readonly cost?: number | undefined;
}

/**
 * Every rejection code, with the HTTP status it maps to (see the README's table).
 *
 * @example
 * ```ts
 * if (!result.ok && result.code === 'rate_limited') metrics.increment('throttled');
 * ```
 */
export type RejectionCode =
  | 'missing_key'
  | 'ambiguous_key'
  | 'malformed_key'
  | 'wrong_environment'
  | 'invalid_key'
  | 'expired_key'
  | 'revoked_key'
  | 'disabled_key'
  | 'ip_not_allowed'
  | 'referrer_not_allowed'
  | 'insufficient_scope'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'too_many_failures'
  | 'store_unavailable';

/**
 * An RFC 9457 problem document with keyward's `code` member. Holds no secret material.
 *
 * @example
 * ```ts
 * // {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The API key is invalid.","code":"invalid_key"}
 * res.status(result.status).json(result.body satisfies ProblemDetails);
 * ```
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: RejectionCode;
}

/**
 * Response headers (lower-case names) a result asks the adapter to send.
 *
 * @example
 * ```ts
 * for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
 * ```
 */
export type ResponseHeaders = Readonly<Record<string, string>>;

/**
 * The outcome of {@link Keyward.verify}. Rejections are values, never thrown.
 *
 * @example
 * ```ts
 * const result = await keyward.verify(request);
 * if (result.ok) console.log(result.key.id);
 * else res.writeHead(result.status, result.headers).end(JSON.stringify(result.body));
 * ```
 */
export type VerifyResult = VerifySuccess | VerifyRejection;

/**
 * VerifySuccess
 *
 * @example
 * ```ts
 * if (result.ok) console.log(result.key.id, result.headers['ratelimit']);
 * ```
 */
export interface VerifySuccess {
  readonly ok: true;
  readonly key: KeyInfo;
  /** Rate-limit headers to send (empty when the key has no limits). */
  readonly headers: ResponseHeaders;
}

/**
 * VerifyRejection
 *
 * @example
 * ```ts
 * if (!result.ok) res.writeHead(result.status, result.headers).end(JSON.stringify(result.body));
 * ```
 */
export interface VerifyRejection {
  readonly ok: false;
  readonly code: RejectionCode;
  readonly status: number;
  /** Includes `content-type: application/problem+json`. */
  readonly headers: ResponseHeaders;
  readonly body: ProblemDetails;
}

/**
 * Options of {@link Keyward.create}.
 *
 * @example
 * ```ts
 * const options: CreateKeyOptions = { name: 'ci', environment: 'test', scopes: ['invoices:read'], ips: ['10.0.0.0/8'] };
 * const { key } = await keyward.create(options);
 * ```
 */
export interface CreateKeyOptions {
  name: string;
  /** `live` or `test`; default: the first of the deployment's `environments`. */
  environment?: KeyEnvironment | undefined;
  ownerId?: string | undefined;
  scopes?: readonly string[] | undefined;
  /** CIDR ranges or single addresses, IPv4 or IPv6. */
  ips?: readonly string[] | undefined;
  /** Google-style patterns, e.g. `https://*.example.com/*`. */
  referrers?: readonly string[] | undefined;
  rateLimit?: RateLimit | undefined;
  quota?: Quota | undefined;
  expiresAt?: Date | number | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** Who creates the key, for the audit trail. */
  actor?: AuditActor | undefined;
  /** Why, for the audit trail. */
  reason?: string | undefined;
}

/**
 * Fields {@link Keyward.update} can change; `null` removes an optional restriction.
 *
 * @example
 * ```ts
 * await keyward.update(id, { scopes: ['invoices:*'], ips: null, expiresAt: Date.now() + 86_400_000 });
 * ```
 */
export interface UpdateKeyOptions {
  name?: string | undefined;
  scopes?: readonly string[] | undefined;
  ips?: readonly string[] | null | undefined;
  referrers?: readonly string[] | null | undefined;
  rateLimit?: RateLimit | null | undefined;
  quota?: Quota | null | undefined;
  disabled?: boolean | undefined;
  expiresAt?: Date | number | null | undefined;
  metadata?: Record<string, unknown> | null | undefined;
}

/**
 * Options of {@link Keyward.list}.
 *
 * @example
 * ```ts
 * const page = await keyward.list({ ownerId: 'acct_42', environment: 'live', limit: 50 });
 * const found = await keyward.list({ status: 'active', search: 'billing' });
 * ```
 */
export interface ListKeysOptions {
  ownerId?: string | undefined;
  environment?: KeyEnvironment | undefined;
  /**
   * Only keys in this state now (keyward's clock): `revoked`, `disabled` (not revoked), `expired`
   * (past expiresAt, neither revoked nor disabled) or `active` (none of those).
   */
  status?: 'active' | 'disabled' | 'revoked' | 'expired' | undefined;
  /**
   * Only the key with exactly this id, and keys whose name contains this text (ASCII letters
   * case-insensitive; `%`, `_` and `\` are plain characters). At most 100 characters; `''`
   * filters nothing.
   */
  search?: string | undefined;
  /** Page size, 1–1000; default 100. */
  limit?: number | undefined;
  cursor?: string | undefined;
}

/**
 * Events passed to `onEvent`. Each carries `at`, `keyId` where known and `ip` where known —
 * never a secret or a hash.
 *
 * @example
 * ```ts
 * createKeyward({ prefix: 'acme', onEvent: (e) => logger.info(e) });
 * ```
 */
export type KeywardEvent =
  | {
      readonly type: 'key.created';
      readonly at: Date;
      readonly keyId: string;
      readonly environment: KeyEnvironment;
      readonly ownerId?: string | undefined;
    }
  | {
      readonly type: 'key.rotated';
      readonly at: Date;
      readonly keyId: string;
      readonly previousSecretExpiresAt?: Date | undefined;
    }
  | {
      readonly type: 'key.updated';
      readonly at: Date;
      readonly keyId: string;
      readonly fields: readonly string[];
    }
  | {
      readonly type: 'key.revoked';
      readonly at: Date;
      readonly keyId: string;
      readonly reason?: string | undefined;
    }
  | {
      readonly type: 'key.verified';
      readonly at: Date;
      readonly keyId: string;
      readonly environment: KeyEnvironment;
      readonly ip?: string | undefined;
      /** How long verify took, in ms; only for listeners subscribed with `{ timing: true }`. */
      readonly durationMs?: number | undefined;
    }
  | {
      readonly type: 'key.rejected';
      readonly at: Date;
      readonly code: RejectionCode;
      readonly status: number;
      readonly keyId?: string | undefined;
      /** The environment of the stored key whose secret the request presented, when there is one. */
      readonly environment?: KeyEnvironment | undefined;
      readonly ip?: string | undefined;
      /** How long verify took, in ms; only for listeners subscribed with `{ timing: true }`. */
      readonly durationMs?: number | undefined;
    }
  | {
      readonly type: 'anomaly';
      readonly at: Date;
      readonly kind: 'failed_attempts' | 'store_error';
      /** For `store_error`: which store failed. */
      readonly store?: 'key' | 'limit' | 'usage' | undefined;
      readonly detail: string;
      readonly keyId?: string | undefined;
      readonly ip?: string | undefined;
    }
  | {
      /** An alert (see `createKeyward({ alerts })`), as `onAlert` gets it. */
      readonly type: 'alert';
      readonly at: Date;
      readonly keyId?: string | undefined;
      readonly alert: Alert;
    }
  | {
      /** An alert that did not reach its webhook, or was dropped with the delivery queue full. */
      readonly type: 'alert.undelivered';
      readonly at: Date;
      readonly keyId?: string | undefined;
      readonly alertId: string;
      readonly kind: AlertKind;
      readonly reason: 'queue_full' | 'failed' | 'closed';
      readonly attempts: number;
      /** The webhook's last HTTP status, when it answered. */
      readonly status?: number | undefined;
    }
  | {
      /** Usage rows that did not fit in `usage.maxPending` since the last flush (not recorded). */
      readonly type: 'usage.dropped';
      readonly at: Date;
      /** Verifications whose usage was dropped. */
      readonly count: number;
    };
