import type { AlertThresholds } from './types.js';

const MINUTE = 60_000;
/** Idle minutes folded at once at most: (1 - alpha)^100_000 is 0 for any window anyway. */
const MAX_IDLE = 100_000;

/**
 * One key's requests per minute and their exponential moving average over past minutes. A minute
 * spikes when its count passes `max(spikeFactor × average, spikeFloor)`, once the key has
 * `spikeWarmupMinutes` full minutes of history. The minute in which keyward first saw the key is
 * partial and is left out; minutes without requests count as zeros.
 */
export class SpikeMeter {
  #minute = -1;
  /** When the current minute ends (ms): the only comparison most requests make. */
  #minuteEnd = Number.NEGATIVE_INFINITY;
  #partial = true;
  #count = 0;
  #average = 0;
  #history = 0;
  #limit = Number.POSITIVE_INFINITY;

  /** Counts one request at `now`; returns the figures the first time its minute passes the limit. */
  count(
    now: number,
    t: Readonly<AlertThresholds>,
  ): { count: number; average: number; limit: number } | undefined {
    if (now >= this.#minuteEnd) this.#roll(Math.floor(now / MINUTE), t);
    if (++this.#count <= this.#limit) return undefined;
    const figures = { count: this.#count, average: this.#average, limit: this.#limit };
    this.#limit = Number.POSITIVE_INFINITY;
    return figures;
  }

  #roll(minute: number, t: Readonly<AlertThresholds>): void {
    if (this.#minute >= 0) {
      const alpha = 2 / (t.spikeWindowMinutes + 1);
      if (!this.#partial) {
        this.#average =
          this.#history === 0 ? this.#count : alpha * this.#count + (1 - alpha) * this.#average;
        this.#history++;
      }
      const idle = Math.min(minute - this.#minute - 1, MAX_IDLE);
      if (idle > 0) {
        this.#average *= (1 - alpha) ** idle;
        this.#history += idle;
      }
      this.#partial = false;
    }
    this.#minute = minute;
    this.#minuteEnd = (minute + 1) * MINUTE;
    this.#count = 0;
    this.#limit =
      this.#history >= t.spikeWarmupMinutes
        ? Math.max(t.spikeFactor * this.#average, t.spikeFloor)
        : Number.POSITIVE_INFINITY;
  }
}
