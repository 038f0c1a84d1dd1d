import type { RedisClient } from './commands.js';

type Listener = (keyId: string | undefined) => void;

/**
 * The subscriber side of cache invalidation: one duplicate connection in subscriber mode, made on
 * the first subscription and closed with the last. Its errors are absorbed (ioredis reconnects
 * and resubscribes by itself), so it can never crash the process.
 */
export class InvalidationSubscriber {
  readonly #client: RedisClient;
  readonly #channel: string;
  readonly #listeners = new Set<Listener>();
  #connection: RedisClient | undefined;
  #subscribed = false;
  #subscribing = false;
  /**
   * Set when the connection dropped since it opened or since the last live subscription (a
   * reconnect, or Redis dying while the first SUBSCRIBE was in flight): messages may have been
   * missed, so the next live subscription tells listeners to drop everything.
   */
  #interrupted = false;

  constructor(client: RedisClient, channel: string) {
    this.#client = client;
    this.#channel = channel;
  }

  add(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#connection === undefined) this.#connect();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  close(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#subscribed = false;
    this.#subscribing = false;
    this.#interrupted = false;
    connection?.disconnect();
  }

  #connect(): void {
    const connection = this.#client.duplicate();
    this.#connection = connection;
    connection.on('error', () => {
      // Reconnection is ioredis's job; until then the cache TTL bounds staleness.
    });
    connection.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#notify(message);
    });
    // Subscribe again on every ready connection: covers a first SUBSCRIBE that failed (Redis down
    // with the offline queue disabled) and clients made with autoResubscribe off. Idempotent.
    connection.on('reconnecting', () => {
      if (connection !== this.#connection) return;
      this.#subscribed = false;
      this.#interrupted = true;
    });
    connection.on('ready', () => this.#subscribe(connection));
    this.#subscribe(connection);
  }

  #subscribe(connection: RedisClient): void {
    if (this.#subscribed || this.#subscribing || connection !== this.#connection) return;
    this.#subscribing = true;
    connection.subscribe(this.#channel).then(
      () => {
        if (connection !== this.#connection) return;
        this.#subscribing = false;
        this.#subscribed = true;
        // Invalidations published while we were away are lost: tell listeners to drop all.
        if (this.#interrupted) this.#notify(undefined);
        this.#interrupted = false;
      },
      () => {
        if (connection === this.#connection) this.#subscribing = false;
      },
    );
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
