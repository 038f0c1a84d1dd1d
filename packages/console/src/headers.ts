/**
 * The Content-Security-Policy of every console response: scripts and styles only from the
 * console itself (no inline script or style element), API calls only to itself, never framed.
 *
 * @example
 * ```ts
 * import { CONTENT_SECURITY_POLICY } from '@keyward/console';
 * console.log(CONTENT_SECURITY_POLICY.includes("frame-ancestors 'none'")); // true
 * ```
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every console response (pages, assets, API). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};
