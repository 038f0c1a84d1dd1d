import type { AlertWebhook, Keyward } from '@keyward/core';

/** A running leaked-key-alerts API (see server.mjs). */
export interface RunningExample {
  readonly url: string;
  /** The partner's key, with `invoices:read`. */
  readonly key: string;
  readonly keyId: string;
  readonly keyward: Keyward;
  close(): Promise<void>;
}

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string;

/** The invoices API, alerting to `webhook`; issues the partner's key and listens. */
export function start(options: {
  webhook: AlertWebhook;
  port?: number;
  host?: string;
}): Promise<RunningExample>;

/** The partner calls, the key is revoked, the leaked copy is used from another network. */
export function playLeak(example: RunningExample): Promise<string[]>;
