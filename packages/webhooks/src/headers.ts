/**
 * The request headers `verifyWebhook` reads: Node's `IncomingHttpHeaders` (`req.headers`), a
 * Fetch `Headers` (anything with `get(name)`), or a plain record (names in any case).
 *
 * @example
 * ```ts
 * const headers: WebhookHeaders = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,…' };
 * ```
 */
export type WebhookHeaders =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** A header given more than once (an array of several values), or not as a string. */
export const UNREADABLE = Symbol('unreadable header');

/**
 * One header's value: undefined when absent or empty, {@link UNREADABLE} when it is repeated or
 * not a string. A record is looked up by the lower-case name first, then in any case.
 */
export function readHeader(
  headers: WebhookHeaders,
  name: string,
): string | undefined | typeof UNREADABLE {
  let value: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get(name: string): unknown }).get(name);
  } else {
    const record = headers as Readonly<Record<string, unknown>>;
    value = record[name];
    if (value === undefined) {
      for (const key in record) {
        if (key.length === name.length && key.toLowerCase() === name) {
          value = record[key];
          break;
        }
      }
    }
  }
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (value.length === 1 && typeof value[0] === 'string') return value[0] || undefined;
  }
  return UNREADABLE;
}
