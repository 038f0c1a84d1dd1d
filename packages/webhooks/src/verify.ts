import { decodeBase64 } from './crypto/base64.js';
import { type HmacKey, hmacSha256 } from './crypto/hmac-sha256.js';
import { layOutSignedContent } from './crypto/signed-content.js';
import { readHeader, UNREADABLE, type WebhookHeaders } from './headers.js';
import { cachedSecrets } from './secret.js';

/**
 * Why `verifyWebhook` refused a webhook:
 * - `missing_headers`: `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty;
 * - `malformed`: a header is repeated or unreadable, the id is not 1–256 visible ASCII characters
 *   without `.`, the timestamp is not a plain decimal number of seconds (at most 15 digits, no
 *   sign, no leading zero), the signature header holds no well-formed `version,signature` entry,
 *   or the body is larger than `maxBodyBytes` (refused before hashing);
 * - `timestamp_too_old` / `timestamp_too_new`: the timestamp is more than `toleranceSeconds`
 *   before / after now;
 * - `invalid_signature`: no `v1` signature matches any of the secrets.
 *
 * @example
 * ```ts
 * const code: WebhookVerifyCode = 'timestamp_too_old';
 * ```
 */
export type WebhookVerifyCode =
  | 'missing_headers'
  | 'invalid_signature'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'malformed';

/**
 * What `verifyWebhook` returns: the verified id and timestamp (seconds since the epoch), or the
 * code of the refusal. Never thrown.
 *
 * @example
 * ```ts
 * const result: VerifyWebhookResult = verifyWebhook({ secrets, headers, body });
 * if (!result.ok) console.warn('webhook refused', result.code);
 * ```
 */
export type VerifyWebhookResult =
  | { readonly ok: true; readonly id: string; readonly timestamp: number }
  | { readonly ok: false; readonly code: WebhookVerifyCode };

/**
 * Options of {@link verifyWebhook}.
 *
 * @example
 * ```ts
 * const options: VerifyWebhookOptions = {
 *   secrets: [process.env.WEBHOOK_SECRET!, process.env.WEBHOOK_SECRET_PREVIOUS!],
 *   headers: req.headers,
 *   body: rawBody,
 *   toleranceSeconds: 300,
 * };
 * ```
 */
export interface VerifyWebhookOptions {
  /** The endpoint's secret (`whsec_…`), or several during a rotation: the current one first. */
  readonly secrets: string | readonly string[];
  readonly headers: WebhookHeaders;
  /**
   * The raw body exactly as received: bytes, or a string that is their UTF-8 decoding. Never a
   * parsed-and-serialised JSON: a different space or key order is a different signature.
   */
  readonly body: string | Uint8Array;
  /** How far the timestamp may be from now, either way. Default 300 (5 minutes). */
  readonly toleranceSeconds?: number | undefined;
  /** Bodies larger than this many bytes are `malformed`, refused before hashing. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /** The time to check against: a Date or milliseconds since the epoch. Default `Date.now()`. */
  readonly now?: number | Date | undefined;
}

/** Default `toleranceSeconds`: 5 minutes, as the Standard Webhooks libraries use. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** Default `maxBodyBytes`: 1 MiB (the spec recommends payloads under 20 kB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const MAX_ID_LENGTH = 256;
/** Headers are bounded by HTTP servers; a record from elsewhere is bounded here. */
const MAX_SIGNATURE_HEADER_LENGTH = 16 * 1024;
const TIMESTAMP = /^[1-9][0-9]{0,14}$/;
/** Another version's entry (`v1a,…`, a future `v2,…`): ignored, but it makes the header well-formed. */
const OTHER_ENTRY = /^v[0-9][0-9a-z]*,[\x21-\x7e]+$/;

const refusals: { readonly [code in WebhookVerifyCode]: VerifyWebhookResult } = {
  missing_headers: Object.freeze({ ok: false, code: 'missing_headers' }),
  invalid_signature: Object.freeze({ ok: false, code: 'invalid_signature' }),
  timestamp_too_old: Object.freeze({ ok: false, code: 'timestamp_too_old' }),
  timestamp_too_new: Object.freeze({ ok: false, code: 'timestamp_too_new' }),
  malformed: Object.freeze({ ok: false, code: 'malformed' }),
};

/**
 * Whether `id` can be a webhook id: 1–256 visible ASCII characters, no `.` (the spec's guard
 * against shifting the boundary between id, timestamp and body in the signed content).
 */
export function isWebhookId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code < 0x21 || code > 0x7e || code === 0x2e) return false;
  }
  return true;
}

/** Constant-time equality of two 32-byte MACs: no early exit. */
function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * The `v1` signatures of a `webhook-signature` header, decoded, or undefined when it holds no
 * well-formed entry at all. A `v1` entry is well-formed when it is the canonical base64 of 32
 * bytes (44 characters with one `=`), so comparing bytes is comparing the strings the reference
 * libraries compare. Entries of other versions are skipped, as the spec asks.
 */
function v1Signatures(header: string): Uint8Array[] | undefined {
  if (header.length > MAX_SIGNATURE_HEADER_LENGTH) return undefined;
  const found: Uint8Array[] = [];
  let wellFormed = false;
  for (const entry of header.split(' ')) {
    if (entry.startsWith('v1,')) {
      const mac =
        entry.length === 47 && entry.endsWith('=') ? decodeBase64(entry.slice(3)) : undefined;
      if (mac === undefined || mac.length !== 32) continue;
      found.push(mac);
      wellFormed = true;
    } else if (OTHER_ENTRY.test(entry)) {
      wellFormed = true;
    }
  }
  return wellFormed ? found : undefined;
}

/** The verification settings, checked once (by `verifyWebhook` per call, by middleware at setup). */
export interface VerifierSettings {
  readonly keys: readonly HmacKey[];
  readonly toleranceSeconds: number;
  readonly maxBodyBytes: number;
}

/** A non-negative number option, or its default; anything else throws a TypeError naming it. */
export function numberOption(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${option} must be a non-negative finite number`);
  }
  return value;
}

/** Verifies with settings already checked; `nowMs` in milliseconds since the epoch. */
export function verifyWithSettings(
  settings: VerifierSettings,
  headers: WebhookHeaders,
  body: string | Uint8Array,
  nowMs: number,
): VerifyWebhookResult {
  const id = readHeader(headers, 'webhook-id');
  const timestamp = readHeader(headers, 'webhook-timestamp');
  const signature = readHeader(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signature === undefined) {
    return refusals.missing_headers;
  }
  if (id === UNREADABLE || timestamp === UNREADABLE || signature === UNREADABLE) {
    return refusals.malformed;
  }
  if (!isWebhookId(id) || !TIMESTAMP.test(timestamp)) return refusals.malformed;
  const candidates = v1Signatures(signature);
  if (candidates === undefined) return refusals.malformed;
  if (body.length > settings.maxBodyBytes) return refusals.malformed;

  const seconds = Number(timestamp);
  const nowSeconds = Math.floor(nowMs / 1000);
  if (nowSeconds - seconds > settings.toleranceSeconds) return refusals.timestamp_too_old;
  if (seconds - nowSeconds > settings.toleranceSeconds) return refusals.timestamp_too_new;
  if (candidates.length === 0) return refusals.invalid_signature;

  const content = layOutSignedContent(id, timestamp, body);
  if (content.bodyBytes > settings.maxBodyBytes) return refusals.malformed;
  for (const key of settings.keys) {
    const expected = hmacSha256(key, content.data, content.length);
    for (const candidate of candidates) {
      if (sameMac(candidate, expected)) return { ok: true, id, timestamp: seconds };
    }
  }
  return refusals.invalid_signature;
}

/** Checks the body's type: a parsed body (an object) is a programming error, thrown. */
export function checkBody(body: unknown): asserts body is string | Uint8Array {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError(
      'body must be the raw body as a string or Uint8Array/Buffer, not a parsed object',
    );
  }
}

/**
 * Verifies a webhook per Standard Webhooks v1: the three `webhook-*` headers are present and
 * well-formed, the timestamp is within `toleranceSeconds` of now, and one `v1` signature of the
 * `webhook-signature` header is the HMAC-SHA256, under one of `secrets`, of
 * `${id}.${timestamp}.${body}` (compared in constant time). Synchronous; hostile input gives a
 * code, never a throw. Only misuse throws a TypeError: a bad secret or option, or a body that is
 * not a string or bytes.
 *
 * @example
 * ```ts
 * import { verifyWebhook } from '@keyward/webhooks';
 *
 * const body = new Uint8Array(await request.arrayBuffer()); // the raw bytes, never re-serialised
 * const result = verifyWebhook({
 *   secrets: [process.env.WEBHOOK_SECRET!],
 *   headers: request.headers, // Fetch Headers, Node's req.headers, or a record
 *   body,
 * });
 * if (!result.ok) return new Response(result.code, { status: 400 });
 * console.log('webhook', result.id, 'sent at', new Date(result.timestamp * 1000));
 * ```
 */
export function verifyWebhook(options: VerifyWebhookOptions): VerifyWebhookResult {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('verifyWebhook() needs { secrets, headers, body }');
  }
  const { headers, body, now } = options;
  if (typeof headers !== 'object' || headers === null) {
    throw new TypeError('headers must be the request headers (an object or Headers)');
  }
  checkBody(body);
  const settings: VerifierSettings = {
    keys: cachedSecrets(options.secrets, 'secrets'),
    toleranceSeconds: numberOption(
      options.toleranceSeconds,
      'toleranceSeconds',
      DEFAULT_TOLERANCE_SECONDS,
    ),
    maxBodyBytes: numberOption(options.maxBodyBytes, 'maxBodyBytes', DEFAULT_MAX_BODY_BYTES),
  };
  let nowMs: number;
  if (now === undefined) nowMs = Date.now();
  else if (now instanceof Date) nowMs = now.getTime();
  else nowMs = now;
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
    throw new TypeError('now must be a valid Date or milliseconds since the epoch');
  }
  return verifyWithSettings(settings, headers, body, nowMs);
}
