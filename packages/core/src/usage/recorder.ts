import { callStore } from '../async.js';
import { randomBase62 } from '../key/base62.js';
import type { VerifyObservation, VerifyObserver } from '../observe.js';
import type { KeywardEvent } from '../types.js';
import { PendingUsage } from './pending.js';
import type { UsageRow, UsageStore } from './types.js';

/** How long one flush may take before it counts as failed (and is retried). */
export const USAGE_STORE_TIMEOUT_MS = 30_000;

export interface UsageRecorderConfig {
  readonly store: UsageStore;
  readonly flushIntervalMs: number;
  readonly maxPending: number;
  readonly emit: (event: KeywardEvent) => void;
  readonly clock: () => number;
}

/** One flush's rows, kept whole (same id, same rows) until the store took it. */
interface Batch {
  readonly id: string;
  readonly rows: readonly UsageRow[];
  readonly lastUsed: ReadonlyMap<string, number>;
}

/**
 * Counts every verification in process (a {@link VerifyObserver}) and writes the counts to the
 * usage store in one batch per flush interval, from one unref'd timer that runs only while
 * something is pending.
 *
 * A failed batch is kept as it is and offered again (same batch id, so a store that did apply
 * it skips it) before anything newer; its rows count against `maxPending` until then.
 */
export class UsageRecorder implements VerifyObserver {
  readonly #config: UsageRecorderConfig;
  readonly #pending: PendingUsage;
  #failed: Batch | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The last flush started, until it settles (flushes run one at a time). */
  #flushing: Promise<void> | undefined;
  #closed = false;
  #droppedTotal = 0;

  constructor(config: UsageRecorderConfig) {
    this.#config = config;
    this.#pending = new PendingUsage(config.maxPending);
  }

  observe(o: VerifyObservation): void {
    const entry = o.entry;
    const added = this.#pending.add(
      entry === undefined ? '' : entry.record.id,
      entry?.record.ownerId,
      o.now,
      o.outcome,
      this.#pending.routeIndex(o.method, o.routeTemplate),
      o.cost,
      o.secretMatched ? o.now : 0,
    );
    if (!added) this.#droppedTotal++;
    if (this.#timer === undefined && !this.#closed) this.#arm();
  }

  /** Distinct rows waiting for the next flush (a failed batch's included). */
  get pendingRows(): number {
    return this.#pending.rows + this.#pending.reserved;
  }

  /** Verifications whose usage was dropped since this recorder started. */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** The last use of a key counted here and not flushed yet (0 for none). */
  pendingLastUsed(keyId: string): number {
    return this.#pending.lastUsedOf(keyId);
  }

  /**
   * Writes everything pending now: a failed batch first, then the rows counted since. Resolves
   * when the store took it; rejects with the store's error (the rows are kept for a retry).
   * Flushes run one at a time. When none is running, the store is called before this returns,
   * so `keyward.close(); await client.quit()` sends the last batch ahead of the QUIT.
   */
  flush(): Promise<void> {
    const previous = this.#flushing;
    const run = previous === undefined ? this.#flushOnce() : previous.then(() => this.#flushOnce());
    const settled: Promise<void> = run.then(
      () => this.#settle(settled),
      () => this.#settle(settled),
    );
    this.#flushing = settled;
    return run;
  }

  #settle(flush: Promise<void>): void {
    if (this.#flushing === flush) this.#flushing = undefined;
  }

  /** Stops the timer and flushes once more; never rejects (a failure becomes an event). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    await this.flush().catch(() => {});
  }

  async #flushOnce(): Promise<void> {
    const failed = this.#failed;
    if (failed !== undefined) {
      await this.#write(failed);
      this.#failed = undefined;
      this.#pending.reserved = 0;
    }
    const { rows, lastUsed, dropped } = this.#pending.take();
    if (dropped > 0) {
      this.#config.emit({
        type: 'usage.dropped',
        at: new Date(this.#config.clock()),
        count: dropped,
      });
    }
    if (rows.length === 0 && lastUsed.size === 0) return;
    const batch: Batch = { id: randomBase62(22), rows, lastUsed };
    try {
      await this.#write(batch);
    } catch (error) {
      this.#failed = batch;
      this.#pending.reserved = rows.length;
      throw error;
    }
  }

  async #write(batch: Batch): Promise<void> {
    const { store } = this.#config;
    try {
      await callStore(
        () => store.recordUsage(batch.rows, batch.lastUsed, batch.id),
        USAGE_STORE_TIMEOUT_MS,
        'usage store',
      );
    } catch (error) {
      this.#config.emit({
        type: 'anomaly',
        at: new Date(this.#config.clock()),
        kind: 'store_error',
        store: 'usage',
        detail: `usage flush of ${batch.rows.length} rows failed (kept for a retry): ${
          error instanceof Error ? error.message : 'store error'
        }`,
      });
      throw error;
    }
  }

  #arm(): void {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().then(
        () => this.#rearm(),
        () => this.#rearm(),
      );
    }, this.#config.flushIntervalMs);
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  #rearm(): void {
    if (this.#closed || this.#timer !== undefined) return;
    if (this.#pending.rows > 0 || this.#failed !== undefined || this.#pending.dropped > 0) {
      this.#arm();
    }
  }
}
