/**
 * The delay before retry number `failures` (1 for the first retry): exponential from
 * `initialDelayMs`, capped at `maxDelayMs`, with "equal jitter" (between half and all of it), so
 * retries from many senders spread out yet never come back at once.
 */
export function backoffDelay(
  failures: number,
  initialDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * A `Retry-After` value (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) in milliseconds from
 * `nowMs`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,10}$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form names its weekday and month; a bare number is no date.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Whether a failed attempt with this response status is worth retrying: 429 and 5xx are; other
 * 4xx say the request itself is refused (410 Gone asks to stop for good), and 3xx are not
 * followed (the spec asks senders to update the URL instead).
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
