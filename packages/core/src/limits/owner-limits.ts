import { isPromiseLike } from '../async.js';
import { rateLimitPolicy } from '../http/rate-limit-headers.js';
import { rejectUnknownOptions } from '../option-names.js';
import type { MaybePromise } from '../stores/types.js';
import { type Quota, validateQuota } from './quota.js';
import { type RateLimit, validateRateLimit } from './token-bucket.js';

/** The limits an owner's keys share, checked and with their header policy items built once. */
export interface OwnerPlan {
  /** The limit store name of the owner's bucket and quota: `owner:<ownerId>`. */
  readonly name: string;
  readonly rateLimit: RateLimit | undefined;
  readonly quota: Quota | undefined;
  /** `RateLimit-Policy` items: `"owner";q=…;w=…` and `"owner-quota";q=…;w=…`. */
  readonly policy: { readonly bucket: string | undefined; readonly quota: string | undefined };
}

/** The user's `ownerLimits` function. */
export type OwnerLimitsFunction = (
  ownerId: string,
) =>
  | { rateLimit?: RateLimit | undefined; quota?: Quota | undefined }
  | undefined
  | null
  | Promise<{ rateLimit?: RateLimit | undefined; quota?: Quota | undefined } | undefined | null>;

const NAMES: ReadonlySet<string> = new Set(['rateLimit', 'quota']);
/** The owner's items in `RateLimit-Policy` and `RateLimit`. */
const OWNER_ITEMS = ['"owner"', '"owner-quota"'] as const;

/** Checks what `ownerLimits` returned; throws naming the problem (verify answers 503). */
function toPlan(ownerId: string, value: unknown): OwnerPlan | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object')
    throw new TypeError('ownerLimits must return { rateLimit?, quota? } or undefined');
  rejectUnknownOptions(value, NAMES, 'ownerLimits() result');
  const given = value as { rateLimit?: unknown; quota?: unknown };
  const rateLimit =
    given.rateLimit == null
      ? undefined
      : validateRateLimit(given.rateLimit, 'ownerLimits().rateLimit');
  const quota = given.quota == null ? undefined : validateQuota(given.quota, 'ownerLimits().quota');
  if (rateLimit === undefined && quota === undefined) return undefined;
  const policy = rateLimitPolicy(rateLimit, quota, OWNER_ITEMS);
  return {
    name: `owner:${ownerId}`,
    rateLimit,
    quota,
    policy: { bucket: policy.key, quota: policy.quota },
  };
}

interface Entry {
  readonly plan: OwnerPlan | undefined;
  readonly until: number;
}

/**
 * `ownerLimits` answers, cached per owner for `ttlMs` (the record cache's TTL), at most `max`
 * owners (the oldest dropped first). Concurrent lookups of one owner share one call. A throw, a
 * rejection or a bad answer is not cached: the next request asks again.
 */
export class OwnerLimitCache {
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<OwnerPlan | undefined>>();

  constructor(
    private readonly limits: OwnerLimitsFunction,
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  /** The owner's plan (undefined: no shared limits); throws or rejects when `ownerLimits` failed. */
  get(ownerId: string, now: number): MaybePromise<OwnerPlan | undefined> {
    const cached = this.#entries.get(ownerId);
    if (cached !== undefined && cached.until > now) return cached.plan;
    const pending = this.#pending.get(ownerId);
    if (pending !== undefined) return pending;
    const answer = this.limits(ownerId);
    if (!isPromiseLike(answer)) return this.#remember(ownerId, toPlan(ownerId, answer), now);
    const load = Promise.resolve(answer).then((value) =>
      this.#remember(ownerId, toPlan(ownerId, value), now),
    );
    this.#pending.set(ownerId, load);
    const clear = () => {
      if (this.#pending.get(ownerId) === load) this.#pending.delete(ownerId);
    };
    load.then(clear, clear);
    return load;
  }

  #remember(ownerId: string, plan: OwnerPlan | undefined, now: number): OwnerPlan | undefined {
    if (this.ttlMs > 0 && this.max > 0) {
      this.#entries.delete(ownerId);
      if (this.#entries.size >= this.max) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      this.#entries.set(ownerId, { plan, until: now + this.ttlMs });
    }
    return plan;
  }
}
