/** A `notification` event of pg: the channel and the payload sent with `pg_notify`. */
interface Notification {
  channel: string;
  payload?: string | undefined;
}

/**
 * What keyward needs of the client it LISTENs on: a `pg.Client`, new and not yet connected.
 * (An intersection rather than one interface, so pg's generic `on` matches each event.)
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const listenClient = (): PostgresListenClient => new pg.Client({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export type PostgresListenClient = {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<unknown>;
} & { on(event: 'notification', listener: (message: Notification) => void): unknown } & {
  on(event: 'error', listener: (error: Error) => void): unknown;
} & { on(event: 'end', listener: () => void): unknown };

type Listener = (keyId: string | undefined) => void;

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * The LISTEN side of cache invalidation: one dedicated connection, opened with the first
 * subscription and closed with the last. A lost connection (restart, failover,
 * `pg_terminate_backend`) is replaced after a backoff (100 ms doubling to 5 s, jittered); when the
 * new one listens, listeners get `undefined` (drop everything), since notifications sent in
 * between are lost. Errors are absorbed, so it never crashes the process or leaves a rejection.
 */
export class InvalidationListener {
  readonly #newClient: (() => PostgresListenClient) | undefined;
  readonly #channel: string;
  readonly #listenSql: string;
  readonly #listeners = new Set<Listener>();
  /** The connection being opened or listening; undefined while waiting to retry or closed. */
  #client: PostgresListenClient | undefined;
  #open = false;
  /** A connection failed or was lost since the last one listened: notifications may be lost. */
  #interrupted = false;
  #failures = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    newClient: (() => PostgresListenClient) | undefined,
    channel: string,
    listenSql: string,
  ) {
    this.#newClient = newClient;
    this.#channel = channel;
    this.#listenSql = listenSql;
  }

  add(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (!this.#open && this.#newClient !== undefined) {
      this.#open = true;
      this.#connect();
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  close(): void {
    this.#open = false;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#interrupted = false;
    this.#failures = 0;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) end(client);
  }

  #connect(): void {
    let client: PostgresListenClient | undefined;
    try {
      client = this.#newClient!();
      this.#client = client;
      const current = client;
      current.on('error', () => this.#lost(current));
      current.on('end', () => this.#lost(current));
      current.on('notification', (message) => {
        if (current === this.#client && message.channel === this.#channel) {
          this.#notify(message.payload);
        }
      });
      current
        .connect()
        .then(() => (current === this.#client ? current.query(this.#listenSql) : undefined))
        .then(
          () => this.#listening(current),
          () => this.#lost(current),
        );
    } catch {
      // A client factory that throws, or a client without the expected methods: retry later.
      this.#client = undefined;
      if (client !== undefined) end(client);
      this.#interrupted = true;
      this.#scheduleRetry();
    }
  }

  #listening(client: PostgresListenClient): void {
    if (client !== this.#client) return;
    this.#failures = 0;
    if (this.#interrupted) {
      this.#interrupted = false;
      this.#notify(undefined);
    }
  }

  #lost(client: PostgresListenClient): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#interrupted = true;
    end(client);
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (!this.#open) return;
    const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.#failures);
    this.#failures++;
    this.#retry = setTimeout(
      () => {
        this.#retry = undefined;
        if (this.#open) this.#connect();
      },
      ceiling / 2 + Math.random() * (ceiling / 2),
    );
    this.#retry.unref?.();
  }

  #notify(keyId: string | undefined): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(keyId);
      } catch {
        // One listener's failure never stops the others.
      }
    }
  }
}

function end(client: PostgresListenClient): void {
  try {
    client.end().catch(() => {});
  } catch {
    // Ending a broken client may throw; it is being dropped either way.
  }
}
