import {
  type LimitResult,
  type LimitStore,
  type Quota,
  type RateLimit,
  StoreUnavailableError,
} from '@keyward/core';
import type { DurableObjectNamespaceBinding } from './bindings.js';
import { callObject, isFiniteNumber, isNamespace } from './protocol.js';

/**
 * Options of {@link DurableObjectLimitStore}.
 *
 * @example
 * ```ts
 * const options: DurableObjectLimitStoreOptions = { namespace: env.LIMITS };
 * ```
 */
export interface DurableObjectLimitStoreOptions {
  /** The binding of the {@link KeywardLimits} class (`[[durable_objects.bindings]]`). */
  namespace: DurableObjectNamespaceBinding;
}

function limitResult(value: unknown): LimitResult {
  const result = value as Partial<LimitResult> | null;
  if (
    typeof result?.allowed !== 'boolean' ||
    !isFiniteNumber(result.remaining) ||
    !isFiniteNumber(result.retryAfterMs) ||
    !isFiniteNumber(result.resetMs)
  ) {
    throw new StoreUnavailableError('limit object answered something that is not a LimitResult');
  }
  const { allowed, remaining, retryAfterMs, resetMs } = result;
  return { allowed, remaining, retryAfterMs, resetMs };
}

/**
 * keyward's limit store on Durable Objects: each token bucket and each quota is its own
 * {@link KeywardLimits} object (`idFromName`), so every take is atomic across all Workers and
 * locations, and different keys never contend. One request to the object per take; the object's
 * clock times refills and quota windows (keyward's `now` is ignored), as with `RedisStore`.
 *
 * @example
 * ```ts
 * import { createKeyward } from '@keyward/core';
 * import { DurableObjectLimitStore, KvKeyStore } from '@keyward/cloudflare';
 * export { KeywardLimits } from '@keyward/cloudflare';
 *
 * const keyward = createKeyward({
 *   prefix: 'acme',
 *   keyStore: new KvKeyStore({ namespace: env.KEYS }),
 *   limitStore: new DurableObjectLimitStore({ namespace: env.LIMITS }),
 * });
 * ```
 */
export class DurableObjectLimitStore implements LimitStore {
  readonly #namespace: DurableObjectNamespaceBinding;

  constructor(options: DurableObjectLimitStoreOptions) {
    if (typeof options !== 'object' || options === null || !isNamespace(options.namespace)) {
      throw new TypeError(
        'DurableObjectLimitStore needs { namespace }: the Durable Object binding of KeywardLimits',
      );
    }
    this.#namespace = options.namespace;
  }

  /**
   * Takes `cost` tokens from `bucket` in its own object. `now` is ignored: the object's clock
   * times refills.
   *
   * @example
   * ```ts
   * const result = await store.takeToken('4GhT9xQ2mPz1', { capacity: 20, refillPerSecond: 5 }, 1, Date.now());
   * ```
   */
  async takeToken(
    bucket: string,
    limit: RateLimit,
    cost: number,
    _now?: number,
  ): Promise<LimitResult> {
    return this.#call(`bucket:${bucket}`, 'take', {
      capacity: limit.capacity,
      refillPerSecond: limit.refillPerSecond,
      cost,
    });
  }

  /**
   * Counts `cost` units against the UTC-aligned window of `quota` in its own object. `now` is
   * ignored: the window is taken from the object's clock.
   *
   * @example
   * ```ts
   * const result = await store.countQuota('4GhT9xQ2mPz1', { limit: 10_000, period: 'day' }, 1, Date.now());
   * ```
   */
  async countQuota(name: string, quota: Quota, cost: number, _now?: number): Promise<LimitResult> {
    return this.#call(`quota:${name}`, 'count', {
      limit: quota.limit,
      period: quota.period,
      cost,
    });
  }

  async #call(name: string, operation: string, body: unknown): Promise<LimitResult> {
    const namespace = this.#namespace;
    const answer = await callObject(
      namespace.get(namespace.idFromName(name)),
      operation,
      body,
      'limit object',
    );
    if (!answer.ok) {
      throw new StoreUnavailableError(`limit object refused the request (${answer.refusal.code})`);
    }
    return limitResult(answer.value);
  }
}
