import { createHash } from 'node:crypto';
import { DEFAULT_TABLE, parseTableName } from './table-name.js';

/** PostgreSQL keeps identifiers, and so channel names, to NAMEDATALEN - 1 bytes. */
const MAX_CHANNEL_BYTES = 63;

/**
 * The NOTIFY channel of a store on `table`: `keyward:<table>` (`keyward:auth.api_keys`), or
 * `keyward:` and a hash of the table name when that would pass 63 bytes.
 */
export function defaultChannel(table: string = DEFAULT_TABLE): string {
  parseTableName(table);
  const channel = `keyward:${table}`;
  if (channel.length <= MAX_CHANNEL_BYTES) return channel;
  return `keyward:${createHash('sha256').update(table).digest('hex').slice(0, 40)}`;
}

/**
 * Validates a channel name (1 to 63 bytes of UTF-8, no NUL or lone surrogate) and returns it with the SQL to LISTEN
 * on it: the name as a quoted identifier, `"` doubled, so any text is safe and taken as it is.
 * `pg_notify` takes the same name as a parameter. Throws a TypeError naming the option otherwise.
 */
export function listenStatement(channel: unknown): { channel: string; sql: string } {
  const bytes = typeof channel === 'string' ? new TextEncoder().encode(channel).length : 0;
  if (
    typeof channel !== 'string' ||
    bytes === 0 ||
    bytes > MAX_CHANNEL_BYTES ||
    channel.includes('\u0000') ||
    (channel as { isWellFormed?: () => boolean }).isWellFormed?.() === false
  ) {
    throw new TypeError(
      `invalidation.channel must be a non-empty string of at most ${MAX_CHANNEL_BYTES} bytes (UTF-8) without NUL or lone surrogates`,
    );
  }
  return { channel, sql: `LISTEN "${channel.replaceAll('"', '""')}"` };
}
