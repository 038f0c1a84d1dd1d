import { WebhookSender } from '@keyward/webhooks';
import type { KeywardEvent } from '../types.js';
import type { WebhookConfig } from './thresholds.js';
import type { Alert } from './types.js';

/** The longest wait between two attempts to send one alert. */
const MAX_BACKOFF_MS = 60_000;

export interface DeliveryConfig {
  readonly onAlert: ((alert: Alert) => void) | undefined;
  readonly emit: (event: KeywardEvent) => void;
  readonly webhook: WebhookConfig | undefined;
  readonly maxQueue: number;
}

/** The JSON body of an alert's webhook (`type`, `timestamp`, `data`, as Standard Webhooks suggests). */
export function webhookBody(alert: Alert): string {
  return JSON.stringify({
    type: `alert.${alert.kind}`,
    timestamp: alert.at.toISOString(),
    data: alert,
  });
}

/**
 * Gets alerts to `onAlert`, the `alert` event and the webhook, off the request path: `deliver`
 * only queues; one unref'd timer runs the callbacks, and the webhook is sent by
 * `@keyward/webhooks`' {@link WebhookSender} (Standard Webhooks signature, bounded retries with
 * exponential backoff and jitter, a timeout per attempt, no retry on a 4xx other than 429, as #16 asks).
 * At most `maxQueue` alerts wait (queued or being sent); past that a new alert is dropped and
 * reported as an `alert.undelivered` event. `close()` stops the timer, aborts sends in flight and
 * reports what was still waiting.
 */
export class AlertDelivery {
  readonly #config: DeliveryConfig;
  readonly #sender: WebhookSender | undefined;
  #fresh: Alert[] = [];
  #sending = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #dropped = 0;

  constructor(config: DeliveryConfig) {
    this.#config = config;
    const webhook = config.webhook;
    this.#sender =
      webhook === undefined
        ? undefined
        : new WebhookSender({
            url: webhook.url,
            secret: webhook.secret,
            maxAttempts: webhook.maxAttempts,
            initialDelayMs: webhook.retryBaseMs,
            maxDelayMs: MAX_BACKOFF_MS,
            timeoutMs: webhook.timeoutMs,
            maxPending: config.maxQueue,
          });
  }

  /** Alerts dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues an alert; never throws, never waits. */
  deliver(alert: Alert): void {
    if (this.#closed) return;
    if (this.#fresh.length + this.#sending >= this.#config.maxQueue) {
      this.#dropped++;
      this.#undelivered(alert, 'queue_full', 0);
      return;
    }
    this.#fresh.push(alert);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#run(), 0);
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** Resolves once the sends in flight have stopped and reported themselves; never rejects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const alert of this.#fresh) this.#undelivered(alert, 'closed', 0);
    this.#fresh = [];
    // Aborts the sends in flight; each reports itself undelivered ('closed') as it settles.
    await this.#sender?.close().catch(() => {});
  }

  #run(): void {
    this.#timer = undefined;
    const { onAlert, emit } = this.#config;
    const fresh = this.#fresh;
    this.#fresh = [];
    for (const alert of fresh) {
      try {
        onAlert?.(alert);
      } catch {
        // A throwing handler loses nothing else.
      }
      emit({ type: 'alert', at: alert.at, keyId: alert.keyId, alert });
      if (this.#sender !== undefined) void this.#send(this.#sender, alert);
    }
  }

  async #send(sender: WebhookSender, alert: Alert): Promise<void> {
    this.#sending++;
    // WebhookSender.send never rejects: every outcome is a WebhookDelivery.
    const delivery = await sender.send(webhookBody(alert), { id: alert.id });
    this.#sending--;
    if (delivery.ok) return;
    const reason = delivery.reason === 'closed' ? 'closed' : 'failed';
    this.#undelivered(alert, reason, delivery.attempts, delivery.status);
  }

  #undelivered(
    alert: Alert,
    reason: 'queue_full' | 'failed' | 'closed',
    attempts: number,
    status?: number,
  ): void {
    this.#config.emit({
      type: 'alert.undelivered',
      at: new Date(),
      keyId: alert.keyId,
      alertId: alert.id,
      kind: alert.kind,
      reason,
      attempts,
      status,
    });
  }
}
