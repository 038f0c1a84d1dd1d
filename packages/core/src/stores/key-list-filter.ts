import type { KeyListQuery, KeyRecord } from './types.js';

/**
 * A key's state as `list({ status })` filters it: `revoked` (revokedAt set), else `disabled`,
 * else `expired` (expiresAt at or before now), else `active`. Each key has exactly one.
 *
 * @example
 * ```ts
 * const status: KeyStatus = keyStatus(record, Date.now());
 * ```
 */
export type KeyStatus = 'active' | 'disabled' | 'revoked' | 'expired';

/**
 * Every {@link KeyStatus}, in the order a console shows them.
 *
 * @example
 * ```ts
 * if (!KEY_STATUSES.includes(input)) throw new Error('unknown status');
 * ```
 */
export const KEY_STATUSES: readonly KeyStatus[] = ['active', 'disabled', 'revoked', 'expired'];

/**
 * The longest `search` text `list()` accepts (UTF-16 code units).
 *
 * @example
 * ```ts
 * if (term.length > MAX_KEY_SEARCH_LENGTH) term = term.slice(0, MAX_KEY_SEARCH_LENGTH);
 * ```
 */
export const MAX_KEY_SEARCH_LENGTH = 100;

/**
 * The status of a record at `now` (ms since the epoch): revoked wins over disabled, disabled over
 * expired.
 *
 * @example
 * ```ts
 * keyStatus({ ...record, disabled: true }, Date.now()); // 'disabled' (unless revoked)
 * ```
 */
export function keyStatus(
  record: Pick<KeyRecord, 'revokedAt' | 'disabled' | 'expiresAt'>,
  now: number,
): KeyStatus {
  if (record.revokedAt != null) return 'revoked';
  if (record.disabled === true) return 'disabled';
  if (record.expiresAt != null && record.expiresAt <= now) return 'expired';
  return 'active';
}

/**
 * ASCII case folding (`A`–`Z` to `a`–`z`, nothing else): how `search` compares names in every
 * store, the SQL ones included, so a search finds the same keys wherever they are kept.
 *
 * @example
 * ```ts
 * foldKeySearch('CI Pipeline'); // 'ci pipeline'
 * foldKeySearch('ÉTÉ');         // 'ÉTÉ' (non-ASCII letters are compared as they are)
 * ```
 */
export function foldKeySearch(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The SQL `LIKE` pattern (with `ESCAPE '\'`) that finds `search` anywhere in an ASCII-folded
 * name: `%`, `_` and `\` in the text are escaped, so they match only themselves.
 *
 * @example
 * ```ts
 * keySearchLikePattern('50%_Off'); // '%50\\%\\_off%'
 * db.prepare("SELECT id FROM keys WHERE lower(name) LIKE ? ESCAPE '\\'").all(keySearchLikePattern(term));
 * ```
 */
export function keySearchLikePattern(search: string): string {
  return `%${foldKeySearch(search).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Whether a record passes every filter of a {@link KeyListQuery} (owner, environment, status at
 * `query.now` or `now`, search), ignoring the cursor and limit. Stores that filter in JavaScript
 * use it; SQL stores translate the same rules.
 *
 * @example
 * ```ts
 * const items = records.filter((record) => matchesKeyListQuery(record, query, Date.now()));
 * ```
 */
export function matchesKeyListQuery(record: KeyRecord, query: KeyListQuery, now: number): boolean {
  if (query.ownerId !== undefined && record.ownerId !== query.ownerId) return false;
  if (query.environment !== undefined && record.environment !== query.environment) return false;
  if (query.status !== undefined && keyStatus(record, query.now ?? now) !== query.status) {
    return false;
  }
  const { search } = query;
  if (search !== undefined && search !== '' && record.id !== search) {
    return foldKeySearch(record.name).includes(foldKeySearch(search));
  }
  return true;
}
