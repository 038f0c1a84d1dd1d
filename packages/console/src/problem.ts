import { KeywardError } from '@keyward/core';
import { SECURITY_HEADERS } from './headers.js';

/** A refusal of the console's API, sent as an RFC 9457 problem document with a `code`. */
export class ConsoleProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF: Readonly<Record<string, number>> = {
  invalid_options: 400,
  key_not_found: 404,
  version_conflict: 409,
  store_unavailable: 503,
  no_audit_store: 501,
};

/** The JSON response for a body, with the console's security headers and `no-store`. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' },
  });
}

/** A problem document for `status`/`code`; `detail` is shown to the operator as is. */
export function problemResponse(status: number, code: string, detail: string): Response {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': 'application/problem+json',
  };
  if (status === 503) headers['retry-after'] = '1';
  return new Response(JSON.stringify({ type: 'about:blank', title: code, status, code, detail }), {
    status,
    headers,
  });
}

/**
 * Whether `error` is keyward's answer to `usage()` without a usage store (a TypeError saying so:
 * core gives it no code of its own; the API test of a keyward without usage holds the two together).
 */
export function isNoUsageStore(error: unknown): error is TypeError {
  return error instanceof TypeError && error.message.startsWith('usage() needs a usage store');
}

/**
 * What a management call's failure becomes: keyward's own errors keep their code and message
 * (they name the bad entry and never hold a secret); anything else is a 500 without details.
 */
export function errorResponse(error: unknown): Response {
  if (error instanceof ConsoleProblem) {
    return problemResponse(error.status, error.code, error.message);
  }
  if (error instanceof KeywardError) {
    return problemResponse(STATUS_OF[error.code] ?? 400, error.code, error.message);
  }
  if (isNoUsageStore(error)) {
    return problemResponse(501, 'no_usage_store', error.message);
  }
  return problemResponse(500, 'internal_error', 'the console could not complete this request');
}
