/**
 * Resolves after `ms`.
 *
 * @example
 * ```ts
 * await sleep(100);
 * ```
 */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every 25 ms until it holds or `timeoutMs` passes; resolves to whether it held.
 *
 * @example
 * ```ts
 * expect(await waitFor(() => client.status === 'ready', 8000)).toBe(true);
 * ```
 */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}
