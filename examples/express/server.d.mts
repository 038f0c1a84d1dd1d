/** A running example server (see server.mjs). */
export interface RunningExample {
  readonly url: string;
  /** A test key with `items:read`. */
  readonly readKey: string;
  /** A test key with `items:*`. */
  readonly adminKey: string;
  /** A test key with `keyward:admin`, to sign in to the console at `/keyward/`. */
  readonly consoleKey: string;
  close(): Promise<void>;
}

/** Builds the example API, issues its keys and listens (`PORT`/`HOST` from the environment by default). */
export function start(options?: { port?: number; host?: string }): Promise<RunningExample>;
