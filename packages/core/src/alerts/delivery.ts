import type { KeywardEvent } from '../types.js';
import { postWebhookTemporary, signWebhookTemporary } from './temporary-webhook.js';
import type { WebhookConfig } from './thresholds.js';
import type { Alert } from './types.js';

/** Webhook sends in flight at once. */
const CONCURRENCY = 4;
const MAX_BACKOFF_MS = 60_000;

interface Outgoing {
  readonly alert: Alert;
  readonly body: string;
  attempts: number;
  due: number;
}

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
 * only queues; one unref'd timer runs the callbacks and the sends, with bounded retries and
 * exponential backoff with jitter. At most `maxQueue` alerts wait (queued, retrying or in
 * flight); past that a new alert is dropped and reported as an `alert.undelivered` event.
 * `close()` stops the timer, aborts sends in flight and reports what was still waiting.
 */
export class AlertDelivery {
  readonly #config: DeliveryConfig;
  #fresh: Alert[] = [];
  #outbox: Outgoing[] = [];
  readonly #inFlight = new Set<AbortController>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #closed = false;
  #dropped = 0;

  constructor(config: DeliveryConfig) {
    this.#config = config;
  }

  /** Alerts dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues an alert; never throws, never waits. */
  deliver(alert: Alert): void {
    if (this.#closed) return;
    const waiting = this.#fresh.length + this.#outbox.length + this.#inFlight.size;
    if (waiting >= this.#config.maxQueue) {
      this.#dropped++;
      this.#undelivered(alert, 'queue_full', 0);
      return;
    }
    this.#fresh.push(alert);
    this.#schedule(0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const abort of this.#inFlight) abort.abort();
    for (const alert of this.#fresh) this.#undelivered(alert, 'closed', 0);
    for (const item of this.#outbox) this.#undelivered(item.alert, 'closed', item.attempts);
    this.#fresh = [];
    this.#outbox = [];
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    const due = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(() => this.#run(), Math.max(0, delayMs));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #run(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const { onAlert, emit, webhook } = this.#config;
    const fresh = this.#fresh;
    this.#fresh = [];
    for (const alert of fresh) {
      try {
        onAlert?.(alert);
      } catch {
        // A throwing handler loses nothing else.
      }
      emit({ type: 'alert', at: alert.at, keyId: alert.keyId, alert });
      if (webhook !== undefined) {
        this.#outbox.push({ alert, body: webhookBody(alert), attempts: 0, due: 0 });
      }
    }
    this.#pump();
  }

  /** Starts the sends that are due (up to the concurrency), then waits for the next one. */
  #pump(): void {
    if (this.#closed) return;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    const waiting: Outgoing[] = [];
    for (const item of this.#outbox) {
      if (item.due <= now && this.#inFlight.size < CONCURRENCY) void this.#send(item);
      else {
        waiting.push(item);
        next = Math.min(next, item.due);
      }
    }
    this.#outbox = waiting;
    if (next !== Number.POSITIVE_INFINITY && this.#inFlight.size < CONCURRENCY) {
      this.#schedule(next - now);
    }
  }

  async #send(item: Outgoing): Promise<void> {
    const webhook = this.#config.webhook!;
    const abort = new AbortController();
    this.#inFlight.add(abort);
    item.attempts++;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signWebhookTemporary(webhook.secret, item.alert.id, timestamp, item.body);
    const result = await postWebhookTemporary(
      webhook.url,
      headers,
      item.body,
      webhook.timeoutMs,
      abort,
    );
    this.#inFlight.delete(abort);
    if (this.#closed) return;
    if (!result.ok) {
      if (result.retry && item.attempts < webhook.maxAttempts) {
        const backoff = Math.min(MAX_BACKOFF_MS, webhook.retryBaseMs * 2 ** (item.attempts - 1));
        item.due = Date.now() + backoff / 2 + Math.random() * (backoff / 2);
        this.#outbox.push(item);
      } else {
        this.#undelivered(item.alert, 'failed', item.attempts, result.status);
      }
    }
    this.#pump();
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
