/** What {@link watchProcessFailures} saw, and how to stop watching. */
export interface ProcessFailures {
  /** Reasons of unhandled rejections and uncaught exceptions, in order. */
  readonly seen: unknown[];
  stop(): void;
}

/**
 * Records every `unhandledRejection` and `uncaughtException` of this process until `stop()`,
 * so a test can assert that a fault produced none.
 *
 * @example
 * ```ts
 * const failures = watchProcessFailures();
 * // … inject the fault …
 * expect(failures.seen).toStrictEqual([]);
 * failures.stop();
 * ```
 */
export function watchProcessFailures(): ProcessFailures {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  process.on('uncaughtException', listener);
  return {
    seen,
    stop() {
      process.off('unhandledRejection', listener);
      process.off('uncaughtException', listener);
    },
  };
}
