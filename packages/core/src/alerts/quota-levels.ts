import { type Quota, quotaWindow } from '../limits/quota.js';
import type { LimitResult } from '../limits/token-bucket.js';

/**
 * The highest quota percentage one key has reached in its current window: reports each of
 * `percents` once per window, when use first reaches it (a refused request counts as 100 %).
 */
export class QuotaLevels {
  #windowStart = Number.NaN;
  #level = 0;

  see(
    quota: Quota,
    result: LimitResult,
    now: number,
    percents: readonly number[],
  ): { percent: number; used: number; limit: number; windowStart: number } | undefined {
    const used = quota.limit - result.remaining;
    // Most requests are far below the lowest percentage: one multiplication decides.
    if (result.allowed && used * 100 < percents[0]! * quota.limit) return undefined;
    const share = result.allowed ? (used / quota.limit) * 100 : 100;
    let level = 0;
    for (const percent of percents) if (share >= percent) level = percent;
    if (level === 0) return undefined;
    const { start } = quotaWindow(quota.period, now);
    if (start !== this.#windowStart) {
      this.#windowStart = start;
      this.#level = 0;
    }
    if (level <= this.#level) return undefined;
    this.#level = level;
    return {
      percent: level,
      used: result.allowed ? used : quota.limit,
      limit: quota.limit,
      windowStart: start,
    };
  }
}
