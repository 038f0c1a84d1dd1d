/** The running example (see server.mjs): the API, the page's origin and another origin. */
export interface RunningExample {
  readonly apiUrl: string;
  /** The origin the publishable key was issued for: the page works here. */
  readonly webUrl: string;
  /** Another origin serving the same page and key: refused. */
  readonly otherUrl: string;
  /** The publishable key the page carries (`shop_pk_live_…`). */
  readonly publishableKey: string;
  /** A secret key with `orders:read`, for server-to-server calls. */
  readonly secretKey: string;
  close(): Promise<void>;
}

/** Starts the API and both page origins and issues the keys (ports from the environment by default). */
export function start(options?: {
  host?: string;
  apiPort?: number;
  webPort?: number;
  otherPort?: number;
}): Promise<RunningExample>;
