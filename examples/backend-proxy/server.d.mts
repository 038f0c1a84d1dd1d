import type { IssuedKey, Keyward } from '@keyward/core';

/** The in-process weather API (see upstream.mjs). */
export interface RunningUpstream {
  readonly url: string;
  readonly keyward: Keyward;
  /** The key handed to the proxy. */
  readonly issued: IssuedKey;
  /** Ids of the keys the weather API accepted, one per request. */
  readonly acceptedKeyIds: readonly string[];
  close(): Promise<void>;
}

/** The weather API plus the proxy child process in front of it. */
export interface RunningExample {
  readonly proxyUrl: string;
  readonly upstream: RunningUpstream;
  close(): Promise<void>;
}

/** Starts the weather API in process and forks the proxy with the key in its environment. */
export function start(options?: {
  port?: number;
  upstreamPort?: number;
  host?: string;
}): Promise<RunningExample>;

/** Calls the proxy as a browser would; one transcript line per call. */
export function walkThrough(example: RunningExample): Promise<string[]>;
