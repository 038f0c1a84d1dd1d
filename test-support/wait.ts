// Small async helpers shared by the store, reliability and example tests.
import { createServer } from 'node:net';

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every 25 ms (running `tick` first each time, e.g. to publish a probe) until
 * it holds or `timeoutMs` passes; resolves to whether it held.
 */
export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  tick?: () => unknown,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tick !== undefined)
      await Promise.resolve()
        .then(tick)
        .catch(() => {});
    if (condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (right now). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
