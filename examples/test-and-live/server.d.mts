/** A running test-and-live example (see server.mjs). */
export interface RunningExample {
  readonly url: string;
  /** An `acme_live_…` key with `orders:read`. */
  readonly liveKey: string;
  /** An `acme_test_…` key with `orders:read`. */
  readonly testKey: string;
  close(): Promise<void>;
}

/** Builds both deployments (`/live`, `/sandbox`), issues their keys and listens. */
export function start(options?: { port?: number; host?: string }): Promise<RunningExample>;

/** Sends each key to each deployment; one transcript line per request. */
export function walkThrough(example: RunningExample): Promise<string[]>;
