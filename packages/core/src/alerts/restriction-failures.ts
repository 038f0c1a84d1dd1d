/** Rejections that mean the right secret was presented where the key may not be used. */
export const RESTRICTION_FAILURES: ReadonlySet<string> = new Set([
  'ip_not_allowed',
  'referrer_not_allowed',
  'insufficient_scope',
  'route_not_allowed',
  'invalid_path',
  'wrong_key_type',
]);

/**
 * One key's restriction failures in fixed windows of `windowMs`: reports the window's figures
 * once, when its count reaches the threshold.
 */
export class RestrictionFailures {
  #windowStart = Number.NEGATIVE_INFINITY;
  #count = 0;
  #codes: Record<string, number> = {};

  add(
    code: string,
    now: number,
    threshold: number,
    windowMs: number,
  ): { count: number; codes: Record<string, number> } | undefined {
    if (now - this.#windowStart >= windowMs || now < this.#windowStart) {
      this.#windowStart = now;
      this.#count = 0;
      this.#codes = {};
    }
    this.#codes[code] = (this.#codes[code] ?? 0) + 1;
    if (++this.#count !== threshold) return undefined;
    return { count: this.#count, codes: { ...this.#codes } };
  }
}
