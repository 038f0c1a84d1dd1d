import type { HmacKey } from './crypto/hmac-sha256.js';
import { layOutSignedContent, signContent } from './crypto/signed-content.js';
import { cachedSecrets } from './secret.js';
import { checkBody, isWebhookId } from './verify.js';

/**
 * Options of {@link signWebhook}.
 *
 * @example
 * ```ts
 * const options: SignWebhookOptions = { secret, id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', body: '{"type":"ping"}' };
 * ```
 */
export interface SignWebhookOptions {
  /**
   * The endpoint's secret (`whsec_…`), or several during a rotation (current first): the
   * header then carries one signature per secret, so receivers on either secret accept it.
   */
  readonly secret: string | readonly string[];
  /**
   * The message id: the same for every retry of one event (receivers use it to drop
   * duplicates). 1–256 visible ASCII characters without `.`, e.g. `msg_…`.
   */
  readonly id: string;
  /** When this attempt is sent: a Date or whole seconds since the epoch. Default now. */
  readonly timestamp?: number | Date | undefined;
  /** The exact body that will be sent: a string (signed as UTF-8) or bytes. */
  readonly body: string | Uint8Array;
}

/**
 * The three Standard Webhooks headers of a signed webhook (a plain object, assignable to any
 * header record: `fetch` headers, Node's `setHeader`, `verifyWebhook`'s `headers`).
 *
 * @example
 * ```ts
 * const headers: WebhookSignatureHeaders = signWebhook({ secret, id: 'msg_1', body });
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
 * ```
 */
export type WebhookSignatureHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  /** `v1,<base64>`, one per secret, space-separated. */
  readonly 'webhook-signature': string;
};

/** Whole seconds since the epoch of a `timestamp` option; a TypeError names what is wrong. */
function timestampSeconds(timestamp: number | Date | undefined): number {
  if (timestamp === undefined) return Math.floor(Date.now() / 1000);
  if (timestamp instanceof Date) {
    const ms = timestamp.getTime();
    if (Number.isFinite(ms) && ms >= 1000) return Math.floor(ms / 1000);
  } else if (Number.isSafeInteger(timestamp) && timestamp > 0 && timestamp < 1e11) {
    return timestamp;
  }
  throw new TypeError(
    'timestamp must be a valid Date or whole seconds since the epoch (not milliseconds)',
  );
}

/** The `webhook-signature` value: `v1,<base64>` under each key, space-separated. */
export function signatureHeader(
  keys: readonly HmacKey[],
  id: string,
  timestamp: string,
  body: string | Uint8Array,
): string {
  const content = layOutSignedContent(id, timestamp, body);
  let header = '';
  for (const key of keys) header += `${header === '' ? '' : ' '}v1,${signContent(key, content)}`;
  return header;
}

/**
 * Signs a webhook per Standard Webhooks v1: HMAC-SHA256, keyed with the base64-decoded secret,
 * of `${id}.${timestamp}.${body}`, returned as the `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers to send with the body unchanged. Synchronous; a bad secret, id,
 * timestamp or body throws a TypeError (never showing the secret).
 *
 * @example
 * ```ts
 * import { signWebhook } from '@keyward/webhooks';
 *
 * const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } });
 * const headers = signWebhook({ secret: process.env.WEBHOOK_SECRET!, id: 'msg_inv_1_paid', body });
 * await fetch('https://example.com/webhooks', {
 *   method: 'POST',
 *   headers: { ...headers, 'content-type': 'application/json' },
 *   body,
 * });
 * ```
 */
export function signWebhook(options: SignWebhookOptions): WebhookSignatureHeaders {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('signWebhook() needs { secret, id, body }');
  }
  const { id, body } = options;
  const keys = cachedSecrets(options.secret, 'secret');
  if (typeof id !== 'string' || !isWebhookId(id)) {
    throw new TypeError('id must be 1 to 256 visible ASCII characters without "."');
  }
  checkBody(body);
  const timestamp = String(timestampSeconds(options.timestamp));
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signatureHeader(keys, id, timestamp, body),
  };
}
