/**
 * A value, or a Promise of it: in-memory stores answer synchronously, networked ones do not.
 *
 * @example
 * ```ts
 * const added: MaybePromise<boolean> = store.add('msg_1', 600_000);
 * ```
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Where the webhook middleware remembers the ids of the webhooks it accepted, to refuse a replay
 * of one while its timestamp is still within the tolerance. Implement it over your own storage
 * in a few lines; {@link MemorySeenIdStore} and {@link RedisSeenIdStore} ship with the package.
 *
 * @example
 * ```ts
 * const seen = new Set<string>();
 * const store: SeenIdStore = {
 *   add: (id) => !seen.has(id) && Boolean(seen.add(id)),   // never forgets: only for a demo
 *   delete: (id) => void seen.delete(id),
 * };
 * ```
 */
export interface SeenIdStore {
  /**
   * Records `id` for `ttlMs` milliseconds, atomically: true when it was not recorded yet (the
   * first delivery), false when it was (a replay).
   */
  add(id: string, ttlMs: number): MaybePromise<boolean>;
  /** Forgets `id`: the middleware calls it when the handler did not answer 2xx, so a retry is processed. */
  delete(id: string): MaybePromise<unknown>;
}
