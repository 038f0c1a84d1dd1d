/** A running example (see server.mjs). */
export interface RunningExample {
  /** The API, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Prometheus's scrape URL, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly metricsUrl: string;
  /** A test key with `items:read`. */
  readonly key: string;
  close(): Promise<void>;
}

/** Builds the API and its metrics endpoint, issues a key and listens (ports from the environment by default). */
export function start(options?: {
  port?: number;
  metricsPort?: number;
  host?: string;
}): Promise<RunningExample>;
