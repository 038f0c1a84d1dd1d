import {
  type BucketState,
  countQuota,
  type QuotaPeriod,
  type QuotaState,
  takeToken,
} from '@keyward/core';
import type { DurableObjectStateLike } from './bindings.js';
import { answer, badRequest, isFiniteNumber, readCall } from './protocol.js';

const PERIODS: readonly unknown[] = ['minute', 'hour', 'day', 'month'] satisfies QuotaPeriod[];

const isPositive = (value: unknown): value is number => isFiniteNumber(value) && value > 0;
const isCost = (value: unknown): value is number => isFiniteNumber(value) && value >= 0;

function storedBucket(value: unknown): BucketState | undefined {
  const state = value as Partial<BucketState> | undefined;
  return isFiniteNumber(state?.tokens) && isFiniteNumber(state.updatedAt)
    ? { tokens: state.tokens, updatedAt: state.updatedAt }
    : undefined;
}

function storedQuota(value: unknown): QuotaState | undefined {
  const state = value as Partial<QuotaState> | undefined;
  return isFiniteNumber(state?.windowStart) && isFiniteNumber(state.used)
    ? { windowStart: state.windowStart, used: state.used }
    : undefined;
}

/**
 * The Durable Object behind {@link DurableObjectLimitStore}: one object per token bucket or quota
 * window. It keeps the state in memory and in its storage and applies `@keyward/core`'s
 * `takeToken` / `countQuota` to it (a refusal writes nothing: the stored state refills to the same
 * value, so a flood of refused requests costs no storage writes). An object runs one event at a time and nothing awaits between
 * reading the state and replacing it, so every take is atomic, however many Workers call at once.
 * Time is the object's own clock (`Date.now()` where it runs), like the Redis server's clock for
 * `RedisStore`: callers' clocks never matter.
 *
 * Export it from your Worker and bind it (`new_sqlite_classes` or `new_classes` both work):
 *
 * @example
 * ```ts
 * // worker.ts
 * export { KeywardLimits } from '@keyward/cloudflare';
 * // wrangler.toml
 * // [[durable_objects.bindings]]
 * // name = "LIMITS"
 * // class_name = "KeywardLimits"
 * // [[migrations]]
 * // tag = "v1"
 * // new_sqlite_classes = ["KeywardLimits"]
 * ```
 */
export class KeywardLimits {
  readonly #storage: DurableObjectStateLike['storage'];
  #bucket: BucketState | undefined;
  #quota: QuotaState | undefined;

  constructor(state: DurableObjectStateLike, _env?: unknown) {
    this.#storage = state.storage;
    void state.blockConcurrencyWhile(async () => {
      this.#bucket = storedBucket(await state.storage.get('bucket'));
      this.#quota = storedQuota(await state.storage.get('quota'));
    });
  }

  /**
   * Answers `POST /take` (`{ capacity, refillPerSecond, cost }`) and `POST /count`
   * (`{ limit, period, cost }`) with a `LimitResult`; anything else with 400.
   *
   * @example
   * ```ts
   * const response = await stub.fetch('https://keyward/take', {
   *   method: 'POST',
   *   body: JSON.stringify({ capacity: 10, refillPerSecond: 1, cost: 1 }),
   * });
   * ```
   */
  async fetch(request: Request): Promise<Response> {
    const call = await readCall(request);
    if (call === undefined) return badRequest();
    const { operation, body } = call;
    if (operation === 'take') {
      const { capacity, refillPerSecond, cost } = body;
      if (!isPositive(capacity) || !isPositive(refillPerSecond) || !isCost(cost)) {
        return badRequest();
      }
      const { state, result } = takeToken(
        this.#bucket,
        { capacity, refillPerSecond },
        cost,
        Date.now(),
      );
      this.#bucket = state;
      if (result.allowed) await this.#storage.put('bucket', state);
      return answer(result);
    }
    if (operation === 'count') {
      const { limit, period, cost } = body;
      if (!isPositive(limit) || !PERIODS.includes(period) || !isCost(cost)) return badRequest();
      const { state, result } = countQuota(
        this.#quota,
        { limit, period: period as QuotaPeriod },
        cost,
        Date.now(),
      );
      this.#quota = state;
      if (result.allowed) await this.#storage.put('quota', state);
      return answer(result);
    }
    return badRequest();
  }
}
