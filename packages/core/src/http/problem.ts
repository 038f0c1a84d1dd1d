import type { ProblemDetails, RejectionCode, ResponseHeaders, VerifyRejection } from '../types.js';

interface CodeInfo {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

/**
 * The HTTP status, title and default detail of every rejection code.
 *
 * @example
 * ```ts
 * REJECTIONS.rate_limited.status; // 429
 * ```
 */
export const REJECTIONS: Readonly<Record<RejectionCode, CodeInfo>> = {
  missing_key: { status: 401, title: 'Unauthorized', detail: 'An API key is required.' },
  ambiguous_key: {
    status: 400,
    title: 'Bad Request',
    detail: 'The request carries more than one API key, or a key header more than once.',
  },
  malformed_key: { status: 401, title: 'Unauthorized', detail: 'The API key is malformed.' },
  wrong_environment: {
    status: 401,
    title: 'Unauthorized',
    detail: 'The API key belongs to an environment this API does not accept.',
  },
  invalid_key: { status: 401, title: 'Unauthorized', detail: 'The API key is invalid.' },
  expired_key: { status: 401, title: 'Unauthorized', detail: 'The API key has expired.' },
  revoked_key: { status: 401, title: 'Unauthorized', detail: 'The API key has been revoked.' },
  disabled_key: { status: 403, title: 'Forbidden', detail: 'The API key is disabled.' },
  ip_not_allowed: {
    status: 403,
    title: 'Forbidden',
    detail: 'The API key may not be used from this IP address.',
  },
  referrer_not_allowed: {
    status: 403,
    title: 'Forbidden',
    detail: 'The API key may not be used from this referrer.',
  },
  insufficient_scope: {
    status: 403,
    title: 'Forbidden',
    detail: 'The API key lacks a required scope.',
  },
  route_not_allowed: {
    status: 403,
    title: 'Forbidden',
    detail: 'The API key may not be used on this route.',
  },
  invalid_path: {
    status: 400,
    title: 'Bad Request',
    detail: 'The request path has dot segments or encoded separators; send it in its plain form.',
  },
  wrong_key_type: {
    status: 403,
    title: 'Forbidden',
    detail: 'This route does not accept this type of API key (secret or publishable).',
  },
  rate_limited: { status: 429, title: 'Too Many Requests', detail: 'Rate limit exceeded.' },
  quota_exceeded: { status: 429, title: 'Too Many Requests', detail: 'Quota exhausted.' },
  too_many_failures: {
    status: 429,
    title: 'Too Many Requests',
    detail: 'Too many invalid API keys from this client.',
  },
  store_unavailable: {
    status: 503,
    title: 'Service Unavailable',
    detail: 'Authentication is temporarily unavailable.',
  },
};

const BEARER_ERRORS: Partial<Record<RejectionCode, string>> = {
  malformed_key: 'invalid_token',
  wrong_environment: 'invalid_token',
  invalid_key: 'invalid_token',
  expired_key: 'invalid_token',
  revoked_key: 'invalid_token',
  ambiguous_key: 'invalid_request',
};

/**
 * Builds a rejection: status from the code table, an RFC 9457 body, and the headers it must
 * carry (`content-type`, `cache-control`, `WWW-Authenticate` on 401, plus `extra`).
 */
export function reject(
  code: RejectionCode,
  realm: string,
  extra?: Record<string, string>,
  detail?: string,
): VerifyRejection {
  const info = REJECTIONS[code];
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (info.status === 401) {
    const error = BEARER_ERRORS[code];
    headers['www-authenticate'] =
      error === undefined ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="${error}"`;
  }
  if (extra !== undefined) Object.assign(headers, extra);
  const body: ProblemDetails = {
    type: 'about:blank',
    title: info.title,
    status: info.status,
    detail: detail ?? info.detail,
    code,
  };
  return { ok: false, code, status: info.status, headers: headers as ResponseHeaders, body };
}
