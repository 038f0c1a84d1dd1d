import { encodeBase64 } from '../crypto/base64.js';
import type { HmacKey } from '../crypto/hmac-sha256.js';
import { compileSecrets } from '../secret.js';
import { signatureHeader } from '../sign.js';
import { checkBody, isWebhookId, numberOption } from '../verify.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry.js';

/**
 * One attempt of a delivery, as reported to `onAttempt`: for logs and metrics. It never holds
 * the secret, the signature or the body.
 *
 * @example
 * ```ts
 * const onAttempt = (attempt: WebhookAttempt) =>
 *   logger.info({ id: attempt.id, n: attempt.attempt, status: attempt.status, error: attempt.error }, 'webhook attempt');
 * ```
 */
export interface WebhookAttempt {
  /** The message id (`webhook-id`), the same on every attempt. */
  readonly id: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Whether the receiver answered 2xx. */
  readonly ok: boolean;
  /** The response status, when a response came. */
  readonly status?: number | undefined;
  /** Why no response came: `timeout` (no answer within `timeoutMs`) or `network`. */
  readonly error?: 'timeout' | 'network' | undefined;
  /** When another attempt follows: the wait before it. */
  readonly retryInMs?: number | undefined;
  readonly durationMs: number;
}

/**
 * How a delivery ended. `reason`: `status` (a non-2xx answer that is not retried, or the last
 * one), `timeout` or `network` (the last attempt got no answer), `closed` (the sender was closed
 * or the signal aborted), `overloaded` (`maxPending` deliveries were already under way). Never a
 * rejected Promise.
 *
 * @example
 * ```ts
 * const delivery: WebhookDelivery = await sender.send(body);
 * if (!delivery.ok && delivery.status === 410) disableEndpoint();
 * ```
 */
export type WebhookDelivery =
  | {
      readonly ok: true;
      readonly id: string;
      readonly attempts: number;
      readonly status: number;
    }
  | {
      readonly ok: false;
      readonly id: string;
      readonly attempts: number;
      readonly reason: 'status' | 'timeout' | 'network' | 'closed' | 'overloaded';
      readonly status?: number | undefined;
    };

/**
 * Options of {@link WebhookSender}: the endpoint, its secret, and the retry policy.
 *
 * @example
 * ```ts
 * const options: WebhookSenderOptions = {
 *   url: 'https://example.com/webhooks/keyward',
 *   secret: process.env.WEBHOOK_SECRET!,
 *   maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 15_000,
 * };
 * ```
 */
export interface WebhookSenderOptions {
  /** The endpoint: an http: or https: URL. Redirects are not followed. */
  readonly url: string | URL;
  /** The endpoint's secret, or several during a rotation (each signs; current first). */
  readonly secret: string | readonly string[];
  /** Attempts per delivery, the first included. Default 5. */
  readonly maxAttempts?: number | undefined;
  /** The first retry's delay before jitter; it doubles each retry. Default 1000 ms. */
  readonly initialDelayMs?: number | undefined;
  /** The longest wait between attempts, a `Retry-After` included. Default 60,000 ms. */
  readonly maxDelayMs?: number | undefined;
  /** How long one attempt may wait for the response headers. Default 15,000 ms. */
  readonly timeoutMs?: number | undefined;
  /** Deliveries under way at once; more are refused as `overloaded`. Default 1000. */
  readonly maxPending?: number | undefined;
  /** The body's media type. Default `application/json`. */
  readonly contentType?: string | undefined;
  /**
   * More request headers (a `user-agent`, say). The sender sets `webhook-id`,
   * `webhook-timestamp`, `webhook-signature` and `content-type` (from {@link contentType}) itself:
   * naming any of them here, in any case, is a TypeError.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Called after every attempt; what it throws is ignored. */
  readonly onAttempt?: ((attempt: WebhookAttempt) => void) | undefined;
  /** Whether waits and timeouts let the process exit (`unref`). Default true. */
  readonly unref?: boolean | undefined;
  /** The fetch to use. Default the global `fetch`. */
  readonly fetch?: typeof fetch | undefined;
  /** Milliseconds since the epoch, for the timestamps. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
  /** Jitter source in [0, 1). Default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/**
 * Options of one {@link WebhookSender.send}.
 *
 * @example
 * ```ts
 * const options: SendOptions = { id: `msg_${event.id}`, signal: AbortSignal.timeout(120_000) };
 * ```
 */
export interface SendOptions {
  /** The message id; default a new random `msg_…`. Reuse it when you send the same event again. */
  readonly id?: string | undefined;
  /** Stops the delivery (no further attempt; the current one is aborted). */
  readonly signal?: AbortSignal | undefined;
}

/** What one attempt came to: a response status, or why there was none. */
type AttemptOutcome =
  | { readonly status: number; readonly retryAfterMs: number | undefined }
  | { readonly error: 'timeout' | 'network' | 'closed' };

const TIMED_OUT = Symbol('timed out');

function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/** A new message id: `msg_` and 16 random bytes in base64url. */
function newMessageId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `msg_${encodeBase64(bytes).slice(0, 22).replace(/\+/g, '-').replace(/\//g, '_')}`;
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  const number = numberOption(value, option, fallback);
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new TypeError(`${option} must be a positive integer`);
  }
  return number;
}

function checkUrl(url: unknown): URL {
  let parsed: URL;
  try {
    parsed = new URL(url as string);
  } catch {
    throw new TypeError('url must be an absolute http: or https: URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError('url must be an absolute http: or https: URL');
  }
  return parsed;
}

/** Headers the sender writes itself; `headers` may not name them, in any case. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

/**
 * Sends signed webhooks (Standard Webhooks v1) to one endpoint, with bounded retries: up to
 * `maxAttempts`, exponential backoff with jitter between them, a `timeoutMs` on each, a
 * `Retry-After` honoured up to `maxDelayMs`. 2xx is success; 429, 5xx, timeouts and network
 * errors are retried; other statuses (4xx, 3xx) end the delivery at once. Every attempt has a
 * fresh timestamp and signature and the same `webhook-id`.
 *
 * `send` never rejects: it resolves with a {@link WebhookDelivery}. Timers are `unref`'d (by
 * default), so pending retries never hold a process open; `close()` stops them all. The secret is
 * kept in a private field: it never shows in `util.inspect`, `JSON.stringify` or an error.
 *
 * @example
 * ```ts
 * import { WebhookSender } from '@keyward/webhooks';
 *
 * const sender = new WebhookSender({
 *   url: 'https://example.com/webhooks/keyward',
 *   secret: process.env.WEBHOOK_SECRET!,
 *   onAttempt: (a) => metrics.increment('webhook.attempt', { ok: a.ok }),
 * });
 * const delivery = await sender.send(JSON.stringify({ type: 'key.revoked', data: { id: 'k_1' } }));
 * if (!delivery.ok) console.warn('webhook not delivered', delivery.reason, delivery.status);
 * await sender.close(); // at shutdown
 * ```
 */
export class WebhookSender {
  readonly #url: string;
  readonly #keys: readonly HmacKey[];
  readonly #maxAttempts: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #onAttempt: ((attempt: WebhookAttempt) => void) | undefined;
  readonly #unref: boolean;
  readonly #fetch: typeof fetch | undefined;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #closing = new AbortController();
  readonly #pending = new Set<Promise<WebhookDelivery>>();

  constructor(options: WebhookSenderOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('WebhookSender needs { url, secret }');
    }
    this.#url = checkUrl(options.url).href;
    this.#keys = compileSecrets(options.secret, 'secret');
    this.#maxAttempts = positiveInteger(options.maxAttempts, 'maxAttempts', 5);
    this.#initialDelayMs = numberOption(options.initialDelayMs, 'initialDelayMs', 1000);
    this.#maxDelayMs = numberOption(options.maxDelayMs, 'maxDelayMs', 60_000);
    this.#timeoutMs = positiveInteger(options.timeoutMs, 'timeoutMs', 15_000);
    this.#maxPending = positiveInteger(options.maxPending, 'maxPending', 1000);
    const contentType = options.contentType ?? 'application/json';
    if (typeof contentType !== 'string') throw new TypeError('contentType must be a string');
    for (const name in options.headers) {
      // Header names are case-insensitive: `Content-Type` beside ours would be sent joined to it.
      if (RESERVED_HEADERS.has(name.toLowerCase())) {
        throw new TypeError(
          `headers.${name} is set by the sender (use contentType for the content type)`,
        );
      }
      if (typeof options.headers[name] !== 'string') {
        throw new TypeError(`headers.${name} must be a string`);
      }
    }
    this.#headers = { ...options.headers, 'content-type': contentType };
    for (const [name, value] of [
      ['onAttempt', options.onAttempt],
      ['fetch', options.fetch],
      ['clock', options.clock],
      ['random', options.random],
    ] as const) {
      if (value !== undefined && typeof value !== 'function') {
        throw new TypeError(`${name} must be a function`);
      }
    }
    this.#onAttempt = options.onAttempt;
    this.#unref = options.unref ?? true;
    this.#fetch = options.fetch;
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Deliveries under way (attempting or waiting to retry). */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Delivers `body` (the exact bytes that are signed and sent). Resolves when it is delivered,
   * refused, out of attempts, or stopped; never rejects. A body that is not a string or bytes, or
   * a bad `id`, throws a TypeError at once.
   */
  send(body: string | Uint8Array, options: SendOptions = {}): Promise<WebhookDelivery> {
    checkBody(body);
    const id = options.id ?? newMessageId();
    if (typeof id !== 'string' || !isWebhookId(id)) {
      throw new TypeError('id must be 1 to 256 visible ASCII characters without "."');
    }
    const signal = options.signal;
    if (this.#closing.signal.aborted || signal?.aborted) {
      return Promise.resolve({ ok: false, id, attempts: 0, reason: 'closed' });
    }
    if (this.#pending.size >= this.#maxPending) {
      return Promise.resolve({ ok: false, id, attempts: 0, reason: 'overloaded' });
    }
    const delivery = this.#deliver(id, body, signal).catch(
      (): WebhookDelivery => ({ ok: false, id, attempts: 0, reason: 'network' }),
    );
    this.#pending.add(delivery);
    delivery.then(() => this.#pending.delete(delivery));
    return delivery;
  }

  /** Stops every delivery: no further attempts, in-flight ones aborted. Resolves once all ended. */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all(this.#pending);
  }

  async #deliver(
    id: string,
    body: string | Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<WebhookDelivery> {
    const stop = this.#stopSignal(signal);
    try {
      for (let attempt = 1; ; attempt++) {
        const started = this.#clock();
        const outcome = await this.#attempt(id, body, stop.signal);
        const status = 'status' in outcome ? outcome.status : undefined;
        const error = 'error' in outcome ? outcome.error : undefined;
        const ok = status !== undefined && status >= 200 && status < 300;
        const retry =
          !ok &&
          error !== 'closed' &&
          attempt < this.#maxAttempts &&
          (status === undefined || isRetryableStatus(status));
        const retryInMs = retry ? this.#delay(attempt, outcome) : undefined;
        this.#report({
          id,
          attempt,
          ok,
          status,
          error: error === 'closed' ? undefined : error,
          retryInMs,
          durationMs: this.#clock() - started,
        });
        if (ok) return { ok: true, id, attempts: attempt, status };
        if (retryInMs === undefined) {
          return { ok: false, id, attempts: attempt, reason: error ?? 'status', status };
        }
        if (!(await this.#wait(retryInMs, stop.signal))) {
          return { ok: false, id, attempts: attempt, reason: 'closed', status };
        }
      }
    } finally {
      stop.dispose();
    }
  }

  /** One signal that aborts when the sender closes or the caller's signal aborts. */
  #stopSignal(signal: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
    const closing = this.#closing.signal;
    if (signal === undefined) return { signal: closing, dispose() {} };
    const controller = new AbortController();
    const abort = () => controller.abort();
    closing.addEventListener('abort', abort, { once: true });
    signal.addEventListener('abort', abort, { once: true });
    return {
      signal: controller.signal,
      dispose() {
        closing.removeEventListener('abort', abort);
        signal.removeEventListener('abort', abort);
      },
    };
  }

  #delay(failures: number, outcome: AttemptOutcome): number {
    const backoff = backoffDelay(failures, this.#initialDelayMs, this.#maxDelayMs, this.#random);
    const retryAfterMs = 'retryAfterMs' in outcome ? outcome.retryAfterMs : undefined;
    if (retryAfterMs === undefined) return backoff;
    return Math.min(this.#maxDelayMs, Math.max(backoff, retryAfterMs));
  }

  async #attempt(
    id: string,
    body: string | Uint8Array,
    stop: AbortSignal,
  ): Promise<AttemptOutcome> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    stop.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(() => controller.abort(TIMED_OUT), this.#timeoutMs);
    if (this.#unref) unrefTimer(timer);
    try {
      const timestamp = String(Math.floor(this.#clock() / 1000));
      const headers = {
        ...this.#headers,
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': signatureHeader(this.#keys, id, timestamp, body),
      };
      const fetchFn = this.#fetch ?? globalThis.fetch;
      const response = await fetchFn(this.#url, {
        method: 'POST',
        headers,
        body: body as NonNullable<RequestInit['body']>,
        redirect: 'manual',
        signal: controller.signal,
      });
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#clock());
      // The answer's body is not needed: release the connection.
      response.body?.cancel().catch(() => {});
      return { status: response.status, retryAfterMs };
    } catch {
      if (stop.aborted) return { error: 'closed' };
      return { error: controller.signal.reason === TIMED_OUT ? 'timeout' : 'network' };
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', abort);
    }
  }

  /** Waits `ms`; resolves false at once if `stop` aborts first. */
  #wait(ms: number, stop: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (stop.aborted) {
        resolve(false);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        stop.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      if (this.#unref) unrefTimer(timer);
      stop.addEventListener('abort', onAbort, { once: true });
    });
  }

  #report(attempt: WebhookAttempt): void {
    if (this.#onAttempt === undefined) return;
    try {
      this.#onAttempt(attempt);
    } catch {
      // A broken listener must not break delivery.
    }
  }
}

/**
 * Options of {@link sendWebhook}: a {@link WebhookSender}'s, the body, and the message id.
 *
 * @example
 * ```ts
 * const options: SendWebhookOptions = { url, secret, body: '{"type":"ping"}', maxAttempts: 3 };
 * ```
 */
export interface SendWebhookOptions extends WebhookSenderOptions, SendOptions {
  readonly body: string | Uint8Array;
}

/**
 * Sends one signed webhook with the retry policy of {@link WebhookSender}, and resolves with how
 * the delivery ended; never rejects. Its timers are not `unref`'d by default (the caller awaits
 * the result); for background delivery keep one `WebhookSender` and `close()` it at shutdown.
 *
 * @example
 * ```ts
 * import { sendWebhook } from '@keyward/webhooks';
 *
 * const delivery = await sendWebhook({
 *   url: 'https://example.com/webhooks',
 *   secret: process.env.WEBHOOK_SECRET!,
 *   body: JSON.stringify({ type: 'ping' }),
 *   maxAttempts: 3,
 * });
 * console.log(delivery.ok ? `delivered in ${delivery.attempts}` : `failed: ${delivery.reason}`);
 * ```
 */
export function sendWebhook(options: SendWebhookOptions): Promise<WebhookDelivery> {
  const sender = new WebhookSender({ ...options, unref: options.unref ?? false });
  return sender.send(options.body, { id: options.id, signal: options.signal });
}
