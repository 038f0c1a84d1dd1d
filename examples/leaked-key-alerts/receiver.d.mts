/** An alert as the webhook carries it (see docs/alerts.md). */
export interface ReceivedAlert {
  readonly type: string;
  readonly timestamp: string;
  readonly data: {
    readonly id: string;
    readonly kind: string;
    readonly at: string;
    readonly keyId?: string;
    readonly detail: string;
    readonly data: Record<string, unknown>;
  };
}

/** A running receiver (see receiver.mjs). */
export interface Receiver {
  readonly url: string;
  /** Verified alerts, each once. */
  readonly alerts: ReceivedAlert[];
  /** Requests refused for a bad or missing signature. */
  readonly refused: number;
  close(): Promise<void>;
}

/** Listens for alert webhooks signed with `secret`. */
export function startReceiver(options: {
  secret: string;
  port?: number;
  host?: string;
}): Promise<Receiver>;
