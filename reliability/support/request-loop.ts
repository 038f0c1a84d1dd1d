import type { Outcome } from './probe.js';

/** A running {@link startRequestLoop}. */
export interface RequestLoop {
  /** Every outcome so far, in the order they completed. */
  readonly outcomes: Outcome[];
  /** Outcomes that started at or after `at` (ms since the epoch). */
  since(at: number): Outcome[];
  /** Stops sending and resolves once the requests in flight have ended. */
  stop(): Promise<void>;
}

/**
 * Keeps `lanes` requests in flight, each lane sending its next request as soon as the previous
 * one ended (`send(lane, n)`), until `stop()` or until `maxMs` or `maxRequests` is reached —
 * so a test that fails half-way never leaves a loop running.
 *
 * @example
 * ```ts
 * const loop = startRequestLoop({ lanes: 4, maxMs: 20_000, send: () => probe(url, key) });
 * await sleep(1000);
 * await loop.stop();
 * ```
 */
export function startRequestLoop(options: {
  lanes: number;
  send: (lane: number, n: number) => Promise<Outcome>;
  maxMs: number;
  maxRequests?: number;
  /** Pause between a lane's requests; default 5 ms (a steady load, not a flood). */
  pauseMs?: number;
}): RequestLoop {
  const { lanes, send, maxMs, maxRequests = 100_000, pauseMs = 5 } = options;
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + maxMs;
  let stopped = false;
  let sent = 0;
  const running = Array.from({ length: lanes }, async (_, lane) => {
    while (!stopped && Date.now() < deadline && sent < maxRequests) {
      outcomes.push(await send(lane, sent++));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  });
  return {
    outcomes,
    since: (at) => outcomes.filter((outcome) => outcome.startedAt >= at),
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}
