/**
 * The kinds of alert keyward raises (see docs/alerts.md for when each fires).
 *
 * @example
 * ```ts
 * const paging: AlertKind[] = ['revoked_key_used', 'new_network', 'rejection_burst'];
 * ```
 */
export type AlertKind =
  | 'spike'
  | 'rejection_burst'
  | 'revoked_key_used'
  | 'grace_secret_used'
  | 'new_network'
  | 'quota_threshold'
  | 'failed_attempts'
  | 'store_error';

/**
 * Something unusual about a key (or the deployment), as `onAlert`, the `alert` event and the
 * webhook carry it. Holds no secret: ids, counts, client IPs and networks only.
 *
 * @example
 * ```ts
 * createKeyward({ prefix: 'acme', alerts: { onAlert: (a) => pager.send(`${a.kind} on ${a.keyId}: ${a.detail}`) } });
 * ```
 */
export interface Alert {
  /** Random, unique; also the webhook's `webhook-id`. */
  readonly id: string;
  readonly kind: AlertKind;
  readonly at: Date;
  readonly keyId?: string | undefined;
  readonly ownerId?: string | undefined;
  /** One sentence for people. */
  readonly detail: string;
  /** The figures behind it (counts, thresholds, `ip`, `network`…), for machines. */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The detectors' thresholds; every one has a default (see docs/alerts.md).
 *
 * @example
 * ```ts
 * createKeyward({ prefix: 'acme', alerts: { onAlert, thresholds: { spikeFactor: 8, networkMemoryDays: 90 } } });
 * ```
 */
export interface AlertThresholds {
  /** `spike`: a minute above this many times the key's moving average… (default 5) */
  spikeFactor: number;
  /** …and above this many requests (default 300). */
  spikeFloor: number;
  /** The moving average's span in minutes (exponential, default 60). */
  spikeWindowMinutes: number;
  /** Full minutes of a key's traffic seen before it can spike (default 10). */
  spikeWarmupMinutes: number;
  /** `rejection_burst`: restriction failures with the right secret… (default 20) */
  rejectionBurst: number;
  /** …within this window (default 60_000 ms). */
  rejectionBurstWindowMs: number;
  /** `grace_secret_used` again when the grace period ends within this (default 3_600_000 ms). */
  graceWarningMs: number;
  /** `new_network`: a network unseen for this many days is new (default 30). */
  networkMemoryDays: number;
  /** After keyward first sees a key, its networks are learnt silently for this long (default 3_600_000 ms). */
  networkLearningMs: number;
  /** Networks remembered per key; the least recently seen is forgotten first (default 16). */
  maxNetworksPerKey: number;
  /** `quota_threshold`: percentages of the period's quota that raise an alert (default [80, 95, 100]). */
  quotaPercents: readonly number[];
}

/**
 * Where alerts go by webhook: a Standard Webhooks POST of JSON, signed with `secret`.
 *
 * @example
 * ```ts
 * const webhook: AlertWebhook = { url: 'https://ops.example.com/keyward', secret: process.env.ALERT_WEBHOOK_SECRET! };
 * ```
 */
export interface AlertWebhook {
  url: string;
  /** `whsec_` + base64 of 24–64 random bytes. */
  secret: string;
  /** Tries per alert, first included (default 5). */
  maxAttempts?: number | undefined;
  /** Per try (default 10_000 ms). */
  timeoutMs?: number | undefined;
  /** The first retry's delay; doubled each time, with jitter, up to a minute (default 1000 ms). */
  retryBaseMs?: number | undefined;
}

/**
 * The `alerts` option of `createKeyward`.
 *
 * @example
 * ```ts
 * createKeyward({ prefix: 'acme', alerts: { onAlert: console.warn, webhook: { url, secret }, cooldownMs: 300_000 } });
 * ```
 */
export interface AlertOptions {
  onAlert?: ((alert: Alert) => void) | undefined;
  webhook?: AlertWebhook | undefined;
  /** One alert per kind and key within this time (default 600_000 ms). */
  cooldownMs?: number | undefined;
  thresholds?: Partial<AlertThresholds> | undefined;
  /** Keys whose traffic the detectors follow at once (default 10_000; the oldest seen is dropped). */
  maxKeys?: number | undefined;
  /** Alerts waiting for delivery; past it, new ones are dropped and counted (default 1000). */
  maxQueue?: number | undefined;
}
