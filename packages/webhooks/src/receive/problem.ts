import type { WebhookVerifyCode } from '../verify.js';

/**
 * Every code a webhook middleware rejects with: `verifyWebhook`'s, plus `replayed` (the id was
 * already accepted within the tolerance) and `store_unavailable` (the seen-id store failed or
 * timed out: refused, so the sender retries later).
 *
 * @example
 * ```ts
 * const code: WebhookRejectionCode = 'replayed';
 * ```
 */
export type WebhookRejectionCode = WebhookVerifyCode | 'replayed' | 'store_unavailable';

/**
 * The RFC 9457 problem document of a rejection, sent as `application/problem+json`.
 *
 * @example
 * ```ts
 * const body: WebhookProblem = { type: 'about:blank', title: 'Forbidden', status: 403, detail: '…', code: 'invalid_signature' };
 * ```
 */
export interface WebhookProblem {
  readonly type: 'about:blank';
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: WebhookRejectionCode;
}

/**
 * A webhook the middleware refused: the status, headers and problem body of the response, as
 * handed to an `onReject`.
 *
 * @example
 * ```ts
 * const onReject = (rejection: WebhookRejection) => console.warn('webhook refused', rejection.code);
 * ```
 */
export interface WebhookRejection {
  readonly ok: false;
  readonly code: WebhookRejectionCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: WebhookProblem;
}

interface CodeInfo {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

const FORBIDDEN = 'Forbidden';

const CODES: Readonly<Record<WebhookRejectionCode, CodeInfo>> = {
  missing_headers: {
    status: 400,
    title: 'Bad Request',
    detail: 'The webhook-id, webhook-timestamp and webhook-signature headers are required.',
  },
  malformed: {
    status: 400,
    title: 'Bad Request',
    detail: 'The webhook headers or body are malformed.',
  },
  invalid_signature: {
    status: 403,
    title: FORBIDDEN,
    detail: 'No webhook signature matches.',
  },
  timestamp_too_old: {
    status: 403,
    title: FORBIDDEN,
    detail: 'The webhook timestamp is too old.',
  },
  timestamp_too_new: {
    status: 403,
    title: FORBIDDEN,
    detail: 'The webhook timestamp is too far in the future.',
  },
  replayed: {
    status: 409,
    title: 'Conflict',
    detail: 'This webhook id was already accepted.',
  },
  store_unavailable: {
    status: 503,
    title: 'Service Unavailable',
    detail: 'Webhooks cannot be accepted right now.',
  },
};

/** A rejection, frozen all through: one object answers every request, whatever onReject does. */
function frozen(rejection: WebhookRejection): WebhookRejection {
  Object.freeze(rejection.headers);
  Object.freeze(rejection.body);
  return Object.freeze(rejection);
}

/** Builds the rejection response for `code`. */
export function rejection(code: WebhookRejectionCode): WebhookRejection {
  const { status, title, detail } = CODES[code];
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (status === 503) headers['retry-after'] = '1';
  return frozen({
    ok: false,
    code,
    status,
    headers,
    body: { type: 'about:blank', title, status, detail, code },
  });
}

/**
 * The rejection of a body over `maxBodyBytes`: `malformed`, as `verifyWebhook` says, with the
 * status that tells the sender why (413) and `connection: close`, so the rest is never read.
 */
export function tooLarge(maxBodyBytes: number): WebhookRejection {
  const base = rejection('malformed');
  return frozen({
    ...base,
    status: 413,
    headers: { ...base.headers, connection: 'close' },
    body: {
      ...base.body,
      title: 'Content Too Large',
      status: 413,
      detail: `The webhook body is larger than ${maxBodyBytes} bytes.`,
    },
  });
}
