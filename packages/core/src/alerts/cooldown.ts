/**
 * One alert per (kind, key, phase) per `cooldownMs`: remembers when each may fire again and how
 * many were held back meanwhile. Bounded: past `max` entries, lapsed ones are dropped, then the
 * oldest.
 */
export class Cooldown {
  readonly #entries = new Map<string, { until: number; held: number }>();

  constructor(
    private readonly cooldownMs: number,
    private readonly max: number,
  ) {}

  /** Undefined when `name` is cooling down (counted as held back); else how many were held back. */
  pass(name: string, now: number): number | undefined {
    const entries = this.#entries;
    const entry = entries.get(name);
    if (entry !== undefined && now < entry.until) {
      entry.held++;
      return undefined;
    }
    entries.delete(name);
    entries.set(name, { until: now + this.cooldownMs, held: 0 });
    if (entries.size > this.max) {
      for (const [key, { until }] of entries) if (until <= now) entries.delete(key);
      for (const key of entries.keys()) {
        if (entries.size <= this.max) break;
        entries.delete(key);
      }
    }
    return entry?.held ?? 0;
  }
}
